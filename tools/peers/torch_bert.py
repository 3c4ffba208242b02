"""PyTorch side of the encoder peers: a plain PyTorch BertModel (Hugging
Face's semantics: absolute positions, token types, erf GELU, post-norm
LayerNorm, additive padding mask) built from a safetensors checkpoint.

usage: torch_bert.py --golden FIXTURE_DIR
           check against the fixture's golden.json last_hidden_state
       torch_bert.py --export MODEL_DIR OUT.onnx
           export to ONNX (inputs input_ids, attention_mask, token_type_ids
           as int64 [batch, seq]; output last_hidden_state) for ONNX Runtime
       torch_bert.py --bench MODEL_DIR THREADS REPS
           time PyTorch itself on internal/bench's encoder batch
"""

import json
import math
import sys
import time

import torch
import torch.nn.functional as F

from stload import load_config, load_safetensors


class Bert(torch.nn.Module):
    def __init__(self, folder):
        super().__init__()
        c = load_config(folder)
        w = {k: v.float().clone() for k, v in load_safetensors(f"{folder}/model.safetensors").items()}
        # Registered as buffers so torch.onnx.export stores them as
        # initializers in the graph.
        for i, (k, v) in enumerate(sorted(w.items())):
            self.register_buffer(f"w{i}", v)
        self.names = {k: f"w{i}" for i, k in enumerate(sorted(w))}
        self.h = c["hidden_size"]
        self.nh = c["num_attention_heads"]
        self.layers = c["num_hidden_layers"]
        self.eps = c.get("layer_norm_eps", 1e-12)
        self.vocab = c["vocab_size"]
        self.prefix = "bert." if "bert.embeddings.word_embeddings.weight" in w else ""

    def p(self, name):
        return getattr(self, self.names[self.prefix + name])

    def ln(self, x, name):
        return F.layer_norm(x, (self.h,), self.p(name + ".weight"), self.p(name + ".bias"), self.eps)

    def lin(self, x, name):
        return F.linear(x, self.p(name + ".weight"), self.p(name + ".bias"))

    def forward(self, input_ids, attention_mask, token_type_ids):
        B, T = input_ids.shape
        pos = torch.arange(T, device=input_ids.device).unsqueeze(0)
        x = (F.embedding(input_ids, self.p("embeddings.word_embeddings.weight"))
             + F.embedding(pos, self.p("embeddings.position_embeddings.weight"))
             + F.embedding(token_type_ids, self.p("embeddings.token_type_embeddings.weight")))
        x = self.ln(x, "embeddings.LayerNorm")
        mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        hd = self.h // self.nh
        for i in range(self.layers):
            l = f"encoder.layer.{i}."
            q = self.lin(x, l + "attention.self.query").view(B, T, self.nh, hd).transpose(1, 2)
            k = self.lin(x, l + "attention.self.key").view(B, T, self.nh, hd).transpose(1, 2)
            v = self.lin(x, l + "attention.self.value").view(B, T, self.nh, hd).transpose(1, 2)
            s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd) + mask
            a = torch.matmul(torch.softmax(s, dim=-1), v).transpose(1, 2).reshape(B, T, self.h)
            x = self.ln(self.lin(a, l + "attention.output.dense") + x, l + "attention.output.LayerNorm")
            f = F.gelu(self.lin(x, l + "intermediate.dense"))
            x = self.ln(self.lin(f, l + "output.dense") + x, l + "output.LayerNorm")
        return x


def encode_inputs(vocab):
    """internal/bench.EncodeInputs."""
    lens = [8 + (i * 5) % 9 for i in range(32)]
    longest = max(lens)
    ids = torch.zeros(32, longest, dtype=torch.int64)
    mask = torch.zeros(32, longest, dtype=torch.int64)
    for i, n in enumerate(lens):
        for j in range(n):
            ids[i, j] = 3 + ((100 * i + j) * 7919) % (vocab - 3)
            mask[i, j] = 1
    return ids, mask


def golden(folder):
    with open(f"{folder}/golden.json") as f:
        g = json.load(f)
    m = Bert(folder).eval()
    with torch.inference_mode():
        out = m(torch.tensor(g["input_ids"]), torch.tensor(g["attention_mask"]), torch.tensor(g["token_type_ids"]))
    want = torch.tensor(g["last_hidden_state"])
    real = torch.tensor(g["attention_mask"]).bool()
    worst = (out - want).abs()[real].max().item()  # padded rows are not compared
    print(f"torch_bert: {folder}: max |hidden - golden| = {worst:.2e}", file=sys.stderr)
    if not worst <= 1e-3:
        sys.exit("torch_bert: golden check failed")


def export(folder, out):
    m = Bert(folder).eval()
    ids, mask = encode_inputs(m.vocab)
    tt = torch.zeros_like(ids)
    axes = {0: "batch", 1: "seq"}
    torch.onnx.export(m, (ids, mask, tt), out, input_names=["input_ids", "attention_mask", "token_type_ids"],
                      output_names=["last_hidden_state"], opset_version=14,
                      dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                    "last_hidden_state": axes})
    print(f"torch_bert: exported {folder} to {out}", file=sys.stderr)


def bench(folder, threads, reps):
    torch.set_num_threads(threads)
    m = Bert(folder).eval()
    ids, mask = encode_inputs(m.vocab)
    tt = torch.zeros_like(ids)
    secs = []
    with torch.inference_mode():
        for r in range(-1, reps):
            s = time.perf_counter()
            m(ids, mask, tt)
            if r >= 0:
                secs.append(time.perf_counter() - s)
    print(json.dumps({"peer": "pytorch", "test": "encode32", "threads": threads, "tokens": 32,
                      "seconds": [round(s, 6) for s in secs]}), flush=True)


def main():
    a = sys.argv[1:]
    if len(a) == 2 and a[0] == "--golden":
        golden(a[1])
    elif len(a) == 3 and a[0] == "--export":
        export(a[1], a[2])
    elif len(a) == 4 and a[0] == "--bench":
        bench(a[1], int(a[2]), int(a[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
