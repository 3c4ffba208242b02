"""PyTorch peer for hfserve's decoder benchmarks (internal/bench): a plain
PyTorch implementation of the Qwen2/Llama forward pass (Hugging Face's
semantics: RMSNorm, rotate-half RoPE, grouped-query attention, SwiGLU,
q/k/v biases where present) with a KV cache, run on the same
random-weight checkpoint with the same workloads and token ids.

usage: torch_qwen2.py MODEL_DIR THREADS PROMPT DECODE REPS [--compute f32|native]
       torch_qwen2.py --golden FIXTURE_DIR

--golden checks this implementation against a fixture's golden.json (the
reference logits of Hugging Face transformers) and exits non-zero if the
last-token logits differ by more than 1e-3: proof that the peer computes
the same function as hfserve.

--compute f32 (default) widens bf16/f16 weights to float32 once at load, as
CPU users of transformers usually do; native keeps the checkpoint's dtype.
Prints one JSON line per test, like tools/peers/llamabench.c.
"""

import argparse
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

from stload import load_config, load_safetensors


def tok(i, vocab):
    """internal/bench.PromptToken."""
    return 3 + (i * 7919) % (vocab - 3)


class Qwen2:
    def __init__(self, folder, compute):
        self.cfg = c = load_config(folder)
        w = load_safetensors(f"{folder}/model.safetensors")
        if compute == "f32":
            w = {k: v.float() for k, v in w.items()}
        self.w = w
        self.dtype = w["model.embed_tokens.weight"].dtype
        self.h = c["hidden_size"]
        self.nh = c["num_attention_heads"]
        self.nkv = c.get("num_key_value_heads", self.nh)
        self.hd = self.h // self.nh
        self.layers = c["num_hidden_layers"]
        self.eps = c.get("rms_norm_eps", 1e-6)
        self.vocab = c["vocab_size"]
        theta = c.get("rope_theta", 10000.0)
        self.inv_freq = 1.0 / (theta ** (torch.arange(0, self.hd, 2, dtype=torch.float32) / self.hd))
        self.head = w.get("lm_head.weight", w["model.embed_tokens.weight"])

    def new_cache(self, max_len):
        shape = (self.nkv, max_len, self.hd)
        self.k = [torch.zeros(shape, dtype=self.dtype) for _ in range(self.layers)]
        self.v = [torch.zeros(shape, dtype=self.dtype) for _ in range(self.layers)]
        self.n = 0

    def rms(self, x, wt):
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return wt * xf.to(x.dtype)

    def rope(self, x, cos, sin):
        x1, x2 = x[..., : self.hd // 2], x[..., self.hd // 2 :]
        return x * cos + torch.cat((-x2, x1), dim=-1) * sin

    def forward(self, ids):
        w, T, p0 = self.w, len(ids), self.n
        x = w["model.embed_tokens.weight"][torch.tensor(ids)]
        pos = torch.arange(p0, p0 + T, dtype=torch.float32)
        freqs = pos[:, None] * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos().to(self.dtype)[None], emb.sin().to(self.dtype)[None]
        L = p0 + T
        mask = None
        if T > 1:
            mask = torch.full((T, L), float("-inf"), dtype=self.dtype).triu(p0 + 1)
        rep = self.nh // self.nkv
        for i in range(self.layers):
            p = f"model.layers.{i}."
            hN = self.rms(x, w[p + "input_layernorm.weight"])
            q = F.linear(hN, w[p + "self_attn.q_proj.weight"], w.get(p + "self_attn.q_proj.bias"))
            k = F.linear(hN, w[p + "self_attn.k_proj.weight"], w.get(p + "self_attn.k_proj.bias"))
            v = F.linear(hN, w[p + "self_attn.v_proj.weight"], w.get(p + "self_attn.v_proj.bias"))
            q = self.rope(q.view(T, self.nh, self.hd).transpose(0, 1), cos, sin)
            k = self.rope(k.view(T, self.nkv, self.hd).transpose(0, 1), cos, sin)
            self.k[i][:, p0:L] = k
            self.v[i][:, p0:L] = v.view(T, self.nkv, self.hd).transpose(0, 1)
            kk = self.k[i][:, :L].repeat_interleave(rep, dim=0)
            vv = self.v[i][:, :L].repeat_interleave(rep, dim=0)
            s = torch.matmul(q, kk.transpose(1, 2)) / math.sqrt(self.hd)
            if mask is not None:
                s = s + mask
            a = torch.matmul(torch.softmax(s.float(), dim=-1).to(self.dtype), vv)
            a = a.transpose(0, 1).reshape(T, self.h)
            x = x + F.linear(a, w[p + "self_attn.o_proj.weight"])
            hN = self.rms(x, w[p + "post_attention_layernorm.weight"])
            g = F.linear(hN, w[p + "mlp.gate_proj.weight"])
            u = F.linear(hN, w[p + "mlp.up_proj.weight"])
            x = x + F.linear(F.silu(g) * u, w[p + "mlp.down_proj.weight"])
        self.n = L
        last = self.rms(x[-1:], w["model.norm.weight"])
        return F.linear(last, self.head)


def emit(test, threads, tokens, secs, compute):
    print(json.dumps({"peer": "pytorch", "test": test, "threads": threads, "tokens": tokens,
                      "compute": compute, "seconds": [round(s, 6) for s in secs]}), flush=True)


def check_golden(folder):
    with open(f"{folder}/golden.json") as f:
        g = json.load(f)
    m = Qwen2(folder, "f32")
    worst = 0.0
    with torch.inference_mode():
        for ids, want in zip(g["input_ids"], g["logits_last"]):
            m.new_cache(len(ids))
            # Feed the prompt in two chunks to exercise the cache path too.
            m.forward(ids[:-2])
            got = m.forward(ids[-2:])[0]
            worst = max(worst, (got - torch.tensor(want)).abs().max().item())
    print(f"torch_qwen2: {folder}: max |logit - golden| = {worst:.2e}", file=sys.stderr)
    if not worst <= 1e-3:
        sys.exit("torch_qwen2: golden check failed")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--golden":
        check_golden(sys.argv[2])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("threads", type=int)
    ap.add_argument("prompt", type=int)
    ap.add_argument("decode", type=int)
    ap.add_argument("reps", type=int)
    ap.add_argument("--compute", choices=["f32", "native"], default="f32")
    ap.add_argument("--warm", type=int, default=16)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    m = Qwen2(a.model, a.compute)
    print(f"torch_qwen2: loaded {a.model} in {time.perf_counter() - t0:.2f}s, compute {m.dtype}, "
          f"threads {torch.get_num_threads()}, torch {torch.__version__}", file=sys.stderr)
    prompt = [tok(i, m.vocab) for i in range(a.prompt)]
    with torch.inference_mode():
        secs = []
        for r in range(-1, a.reps):
            m.new_cache(max(a.prompt, a.warm + a.decode) + 1)
            s = time.perf_counter()
            out = m.forward(prompt if r >= 0 else prompt[: a.warm])
            e = time.perf_counter() - s
            if not torch.isfinite(out).all():
                sys.exit("torch_qwen2: non-finite logits")
            if r >= 0:
                secs.append(e)
        emit(f"prefill{a.prompt}", a.threads, a.prompt, secs, a.compute)
        secs = []
        for r in range(-1, a.reps):
            m.new_cache(a.warm + a.decode + 1)
            m.forward(prompt[: a.warm])
            s = time.perf_counter()
            for step in range(a.decode):
                m.forward([tok(a.warm + step, m.vocab)])
            e = time.perf_counter() - s
            if r >= 0:
                secs.append(e)
        emit("decode_batch1", a.threads, a.decode, secs, a.compute)


if __name__ == "__main__":
    main()
