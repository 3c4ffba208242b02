#!/bin/sh
# Builds the SentencePiece Unigram fixtures (../../golden/spm-*/tokenizer.json)
# from models trained here with the real SentencePiece trainer. See ../README.md.
# Needs Debian's `sentencepiece` and `python3-sentencepiece python3-protobuf`.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Training text: this repository's own documentation and comments, the fixture
# corpus, and a few lines in other scripts so the vocabulary is not all Latin.
{
  git -C "$root" ls-files '*.md' | sed "s|^|$root/|" | xargs cat
  git -C "$root" ls-files 'internal/tokenizer/*.go' | sed "s|^|$root/|" | xargs grep -h '^\s*//' | sed 's|^\s*// \?||'
  python3 -c 'import json,sys; [print(s) for s in json.load(open(sys.argv[1]))]' "$root/testdata/tokenizers/corpus.json"
  cat "$here/multilingual.txt"
} > "$work/train.txt"

common="--input=$work/train.txt --model_type=unigram --vocab_size=1200 --character_coverage=0.9995
  --normalization_rule_name=nmt_nfkc --num_threads=1 --input_sentence_size=0 --shuffle_input_sentence=false"
# T5 layout: <pad>=0 </s>=1 <unk>=2, no <s>.
spm_train $common --model_prefix="$work/t5" --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1 >/dev/null 2>&1
# XLM-R layout: SentencePiece defaults (<unk>=0 <s>=1 </s>=2), fairseq ids added by the converter.
spm_train $common --model_prefix="$work/xlmr" >/dev/null 2>&1

/usr/bin/python3 "$here/convert.py" t5 "$work/t5.model" "$here/../../golden/spm-t5-unigram/tokenizer.json"
/usr/bin/python3 "$here/convert.py" xlmr "$work/xlmr.model" "$here/../../golden/spm-xlmr-unigram/tokenizer.json"
