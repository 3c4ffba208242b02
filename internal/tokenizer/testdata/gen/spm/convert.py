"""Converts a SentencePiece Unigram .model into a tokenizer.json laid out as
Hugging Face's converters (transformers' convert_slow_tokenizer) lay out T5
and XLM-RoBERTa: the model's precompiled_charsmap as a Precompiled
normalizer, Metaspace pre-tokenization, the Unigram vocabulary with scores.

Usage: python3 convert.py t5|xlmr IN.model OUT/tokenizer.json
"""
import json
import os
import sys

from sentencepiece import sentencepiece_model_pb2 as model_pb2
import base64


def special(id_, content):
    return {"id": id_, "content": content, "single_word": False, "lstrip": False,
            "rstrip": False, "normalized": False, "special": True}


def main():
    layout, src, dst = sys.argv[1:4]
    proto = model_pb2.ModelProto()
    with open(src, "rb") as f:
        proto.ParseFromString(f.read())
    assert proto.trainer_spec.model_type == model_pb2.TrainerSpec.UNIGRAM
    charsmap = base64.b64encode(proto.normalizer_spec.precompiled_charsmap).decode()
    pieces = [(p.piece, p.score) for p in proto.pieces]
    metaspace = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
    if layout == "t5":
        # T5: ids as in the .model; 3 extra ids as sentinel added tokens.
        vocab = [[p, s] for p, s in pieces]
        extra = ["<extra_id_%d>" % i for i in range(3)]
        added = [special(i, p) for i, (p, _) in enumerate(pieces[:3])]
        for i, e in enumerate(extra):
            added.append(special(len(vocab) + 2 - i, e))
        for e in reversed(extra):
            vocab.append([e, 0.0])
        tok = {
            "normalizer": {"type": "Precompiled", "precompiled_charsmap": charsmap},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, metaspace]},
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                         {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                "special_tokens": {"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}},
            },
            "decoder": metaspace,
            "model": {"type": "Unigram", "unk_id": 2, "vocab": vocab, "byte_fallback": False},
        }
    elif layout == "xlmr":
        # XLM-R: fairseq ids <s> <pad> </s> <unk>, then the pieces after the
        # model's first three, then <mask>.
        vocab = [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]]
        vocab += [[p, s] for p, s in pieces[3:]]
        vocab.append(["<mask>", 0.0])
        added = [special(i, p) for i, (p, _) in enumerate(vocab[:4])]
        mask = special(len(vocab) - 1, "<mask>")
        mask["lstrip"] = True
        added.append(mask)
        tok = {
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Replace", "pattern": {"String": "``"}, "content": "\""},
                {"type": "Replace", "pattern": {"String": "''"}, "content": "\""},
                {"type": "Precompiled", "precompiled_charsmap": charsmap},
                {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "\u2581"},
            ]},
            "pre_tokenizer": metaspace,
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                           {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                         {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                                   "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}},
            },
            "decoder": metaspace,
            "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": False},
        }
    else:
        sys.exit("layout must be t5 or xlmr")
    doc = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added}
    doc.update(tok)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
