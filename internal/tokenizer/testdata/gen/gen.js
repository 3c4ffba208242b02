// Generates golden files for internal/tokenizer with the real Rust
// `tokenizers` library (through its Node binding). See README.md.
//
// Usage: node gen.js /path/to/tokenizers.linux-x64-gnu.node
// Writes ../golden/<case>/tokenizer.json and ../golden/<case>/golden.jsonl.
"use strict";
const fs = require("fs");
const path = require("path");

const binding = require(path.resolve(process.argv[2]));
const here = __dirname;
const outRoot = path.join(here, "..", "golden");
const corpus = JSON.parse(fs.readFileSync(path.join(here, "..", "..", "..", "..", "testdata", "tokenizers", "corpus.json"), "utf8"));

// Extra strings aimed at the components under test.
const extra = [
  "the-final--countdown",
  "  a  b  ",
  "x",
  "İstanbul ǅemal ß ﬁne ½ ① ²",
  "e\u0301 a\u0308 n\u0303o Å Å",
  "한국어 가나다",
  "tab\there\u3000ideographic space\u2003em",
  "123abc456 7 89 ١٢٣ 4½",
  "a,b;c!d?e...f",
  "don't stop 'til you've",
  "▁already▁has▁metaspace",
  "\u0000null\u0007bell\u200bzw\ufeffbom",
];
const pairs = [
  ["Hello world!", "How are you?"],
  ["The quick brown fox jumps over the lazy dog.", "a"],
  ["short", "a much longer second sequence that goes on and on and on for a while"],
  ["", "empty first"],
  ["naïve café", "日本語"],
];

// charVocab builds a vocabulary holding every character the inputs can
// produce through the usual normalizations, so that models show exactly
// what the normalizer and pre-tokenizer did.
function charVocab(texts, more = []) {
  const set = new Set();
  const addAll = (s) => { for (const c of s) set.add(c); };
  for (const t of texts) {
    for (const f of ["NFC", "NFD", "NFKC", "NFKD"]) {
      addAll(t.normalize(f));
      addAll(t.normalize(f).toLowerCase());
      addAll(t.normalize(f).toUpperCase());
    }
  }
  for (const m of more) set.add(m);
  const vocab = { "[UNK]": 0 };
  let id = 1;
  for (const c of [...set].sort()) vocab[c] = id++;
  return vocab;
}

const allTexts = corpus.concat(extra, pairs.flat());
const cvocab = charVocab(allTexts, ["▁", " ", "Ġ", "-", "[CLS]", "[SEP]", "<s>", "</s>", "<pad>", "[PAD]"]);

function charBPE(extraFields = {}) {
  return Object.assign({ type: "BPE", dropout: null, unk_token: "[UNK]", continuing_subword_prefix: null,
    end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false,
    vocab: cvocab, merges: [] }, extraFields);
}

function base(fields) {
  return Object.assign({ version: "1.0", truncation: null, padding: null, added_tokens: [],
    normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, model: charBPE() }, fields);
}

// trainBPE learns merges greedily (most frequent pair, ties by first seen)
// on the words of the corpus; prefix/suffix follow the Rust conventions.
function trainBPE(words, nMerges, prefix, suffix) {
  const vocab = { "[UNK]": 0 };
  let id = 1;
  const add = (t) => { if (!(t in vocab)) vocab[t] = id++; };
  let seqs = words.map((w) => [...w].map((c, i, a) => {
    let s = (i > 0 && prefix ? prefix : "") + c;
    if (i === a.length - 1 && suffix) s += suffix;
    add(s);
    return s;
  }));
  const merges = [];
  for (let k = 0; k < nMerges; k++) {
    const counts = new Map();
    for (const s of seqs) for (let i = 0; i + 1 < s.length; i++) {
      const key = s[i] + "\u0001" + s[i + 1];
      counts.set(key, (counts.get(key) || 0) + 1);
    }
    let best = null, bestN = 0;
    for (const [key, n] of counts) if (n > bestN) { best = key; bestN = n; }
    if (!best) break;
    const [a, b] = best.split("\u0001");
    const merged = a + (prefix && b.startsWith(prefix) ? b.slice(prefix.length) : b);
    add(merged);
    merges.push([a, b]);
    seqs = seqs.map((s) => {
      const o = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) { o.push(merged); i++; } else o.push(s[i]);
      }
      return o;
    });
  }
  return { vocab, merges };
}

const words = corpus.join(" ").split(/\s+/).filter((w) => w.length > 0);

const cases = [];
const c = (name, tok, opts = {}) => cases.push({ name, tok, opts });

// Pre-tokenizers.
c("pre-digits-contiguous", base({ pre_tokenizer: { type: "Digits", individual_digits: false } }));
c("pre-digits-individual", base({ pre_tokenizer: { type: "Digits", individual_digits: true } }));
c("pre-punctuation", base({ pre_tokenizer: { type: "Punctuation", behavior: "Isolated" } }));
c("pre-punctuation-contiguous", base({ pre_tokenizer: { type: "Punctuation", behavior: "Contiguous" } }));
c("pre-whitespace", base({ pre_tokenizer: { type: "Whitespace" } }));
c("pre-whitespace-split", base({ pre_tokenizer: { type: "WhitespaceSplit" } }));
c("pre-char-delimiter", base({ pre_tokenizer: { type: "CharDelimiterSplit", delimiter: "e" } }));
for (const behavior of ["Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"]) {
  for (const invert of [false, true]) {
    c(`pre-split-string-${behavior}${invert ? "-invert" : ""}`.toLowerCase(),
      base({ pre_tokenizer: { type: "Split", pattern: { String: "-" }, behavior, invert } }));
  }
  c(`pre-split-regex-${behavior}`.toLowerCase(),
    base({ pre_tokenizer: { type: "Split", pattern: { Regex: "\\s+(?!\\S)|\\d+|[^\\s\\w]" }, behavior, invert: false } }));
}
c("pre-split-regex-invert", base({ pre_tokenizer: { type: "Split", pattern: { Regex: "\\p{L}+" }, behavior: "Removed", invert: true } }));
for (const scheme of ["always", "first", "never"]) {
  for (const split of [true, false]) {
    c(`pre-metaspace-${scheme}-${split ? "split" : "nosplit"}`, base({
      pre_tokenizer: { type: "Metaspace", replacement: "▁", prepend_scheme: scheme, split },
      decoder: { type: "Metaspace", replacement: "▁", prepend_scheme: scheme, split },
      added_tokens: [{ id: cvocab["<s>"], content: "<s>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    }));
  }
}
c("pre-bytelevel-prefix", base({
  pre_tokenizer: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
  post_processor: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
  decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
  model: charBPE({ vocab: byteLevelVocab() }),
}));
c("pre-sequence", base({ pre_tokenizer: { type: "Sequence", pretokenizers: [
  { type: "WhitespaceSplit" }, { type: "Punctuation", behavior: "MergedWithNext" }, { type: "Digits", individual_digits: true }] } }));

function byteLevelVocab() {
  const v = { "[UNK]": 0 };
  const bs = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n); n++; }
  cs.forEach((cp, i) => { v[String.fromCodePoint(cp)] = i + 1; });
  return v;
}

// Normalizers.
for (const f of ["NFC", "NFD", "NFKC", "NFKD", "Lowercase", "StripAccents", "Nmt"]) {
  c(`norm-${f.toLowerCase()}`, base({ normalizer: { type: f } }));
}
c("norm-nfd-stripaccents", base({ normalizer: { type: "Sequence", normalizers: [{ type: "NFD" }, { type: "StripAccents" }] } }));
c("norm-strip-both", base({ normalizer: { type: "Strip", strip_left: true, strip_right: true } }));
c("norm-strip-left", base({ normalizer: { type: "Strip", strip_left: true, strip_right: false } }));
c("norm-strip-right", base({ normalizer: { type: "Strip", strip_left: false, strip_right: true } }));
c("norm-replace-regex", base({ normalizer: { type: "Replace", pattern: { Regex: "\\s+" }, content: "▁" } }));
c("norm-replace-string", base({ normalizer: { type: "Replace", pattern: { String: "a" }, content: "AA" } }));
c("norm-prepend", base({ normalizer: { type: "Prepend", prepend: "▁▁" } }));
c("norm-replace-empty-match", base({ normalizer: { type: "Replace", pattern: { Regex: "e*" }, content: "-" } }));
c("norm-bert-cased", base({ normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: false } }));
c("norm-bert-lower-keep-accents", base({ normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: false, strip_accents: false, lowercase: true } }));
c("norm-bert-strip-only", base({ normalizer: { type: "BertNormalizer", clean_text: false, handle_chinese_chars: true, strip_accents: true, lowercase: false } }));
c("norm-sequence-whitespace", base({
  normalizer: { type: "Sequence", normalizers: [{ type: "NFKC" }, { type: "Lowercase" }, { type: "Strip", strip_left: true, strip_right: true }] },
  pre_tokenizer: { type: "Whitespace" } }));

// Models.
const wl = { "[UNK]": 0 };
{ let id = 1; for (const w of words.map((w) => w.replace(/[^\p{L}\p{N}]/gu, "")).filter((w) => w)) if (!(w in wl)) wl[w] = id++; }
c("model-wordlevel", base({ pre_tokenizer: { type: "Whitespace" }, model: { type: "WordLevel", vocab: wl, unk_token: "[UNK]" } }));
{
  const t = trainBPE(words, 120, "##", "</w>");
  c("model-bpe-prefix-suffix", base({ pre_tokenizer: { type: "Whitespace" },
    model: charBPE({ vocab: t.vocab, merges: t.merges, continuing_subword_prefix: "##", end_of_word_suffix: "</w>" }),
    decoder: { type: "BPEDecoder", suffix: "</w>" } }));
  const t2 = trainBPE(words, 150, null, "</w>");
  c("model-bpe-suffix", base({ pre_tokenizer: { type: "WhitespaceSplit" },
    model: charBPE({ vocab: t2.vocab, merges: t2.merges.map((m) => m.join(" ")), end_of_word_suffix: "</w>" }),
    decoder: { type: "BPEDecoder", suffix: "</w>" } }));
  const t3 = trainBPE(words, 150, null, null);
  c("model-bpe-unk-nofuse", base({ pre_tokenizer: { type: "WhitespaceSplit" },
    model: charBPE({ vocab: Object.fromEntries(Object.entries(t3.vocab).filter(([k]) => /^[\x00-\x7f]+$/.test(k)).map(([k], i) => [k, i])),
      merges: t3.merges.filter((m) => /^[\x00-\x7f]+$/.test(m.join(""))) }) }));
  c("model-bpe-unk-fuse", base({ pre_tokenizer: { type: "WhitespaceSplit" },
    model: charBPE({ fuse_unk: true, vocab: Object.fromEntries(Object.entries(t3.vocab).filter(([k]) => /^[\x00-\x7f]+$/.test(k)).map(([k], i) => [k, i])),
      merges: t3.merges.filter((m) => /^[\x00-\x7f]+$/.test(m.join(""))) }) }));
  c("model-bpe-ignore-merges", base({ pre_tokenizer: { type: "WhitespaceSplit" },
    model: charBPE({ ignore_merges: true, vocab: Object.assign({}, t3.vocab, { "fox": 100000, "quick": 100001 }), merges: t3.merges }) }));
}
{
  // Unigram with byte fallback: pieces from the corpus words, scores by length.
  const pieces = [["<unk>", 0], ["<s>", 0], ["</s>", 0]];
  for (let b = 0; b < 256; b++) pieces.push([`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, 0]);
  const seen = new Set(pieces.map((p) => p[0]));
  const addPiece = (p, s) => { if (!seen.has(p)) { seen.add(p); pieces.push([p, s]); } };
  for (const ch of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'\"-▁") addPiece(ch, -8);
  for (const w of words.slice(0, 150)) {
    const lw = "▁" + w.replace(/[^a-z]/g, "");
    for (let i = 2; i <= Math.min(lw.length, 6); i++) addPiece(lw.slice(0, i), -2 - 1.5 / i - (lw.length % 3) * 0.1);
  }
  for (const bf of [true, false]) {
    c(`model-unigram-${bf ? "bytefallback" : "unk"}`, base({
      pre_tokenizer: { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true },
      model: { type: "Unigram", unk_id: 0, vocab: pieces, byte_fallback: bf },
      decoder: { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: "▁" }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" }, { type: "Strip", content: " ", start: 1, stop: 0 }] },
      added_tokens: [{ id: 1, content: "<s>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
      post_processor: { type: "TemplateProcessing", single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
        pair: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }],
        special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } } },
    }));
  }
}

// Post-processors, added tokens, truncation, padding.
const bertDir = path.join(here, "..", "..", "..", "..", "testdata", "models", "tiny");
const tinyBert = JSON.parse(fs.readFileSync(path.join(bertDir, "bert", "tokenizer.json"), "utf8"));
const tinyRoberta = JSON.parse(fs.readFileSync(path.join(bertDir, "roberta", "tokenizer.json"), "utf8"));
c("post-bert-processing", Object.assign({}, tinyBert, { post_processor: { type: "BertProcessing", sep: ["[SEP]", 3], cls: ["[CLS]", 2] } }));
c("post-roberta-trim", Object.assign({}, tinyRoberta, { post_processor: { type: "RobertaProcessing", sep: ["</s>", 2], cls: ["<s>", 0], trim_offsets: true, add_prefix_space: true } }));
c("post-roberta-notrim", Object.assign({}, tinyRoberta, { post_processor: { type: "RobertaProcessing", sep: ["</s>", 2], cls: ["<s>", 0], trim_offsets: false, add_prefix_space: false } }));
c("post-bytelevel-trim", Object.assign({}, tinyRoberta, { post_processor: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true } }));
c("added-flags", Object.assign({}, tinyBert, {
  normalizer: { type: "Lowercase" },
  added_tokens: tinyBert.added_tokens.concat([
    { id: 400, content: "<mask>", single_word: true, lstrip: true, rstrip: true, normalized: false, special: true },
    { id: 401, content: "hello", single_word: false, lstrip: false, rstrip: true, normalized: true, special: false },
    { id: 402, content: "WORLD", single_word: false, lstrip: true, rstrip: false, normalized: true, special: false },
    { id: 403, content: "ly", single_word: true, lstrip: false, rstrip: false, normalized: false, special: false },
    { id: 404, content: "Lily", single_word: false, lstrip: false, rstrip: false, normalized: false, special: false },
  ]),
}), { extra: ["<mask> My name <mask> A<mask> <mask>ony <mask>", "Hi <mask> there\t<mask>\t<mask>\u2000end", "Hello WORLD hello world Lily lily slowly ly ly.", "hello<mask>hello"] });
for (const [name, trunc] of [
  ["trunc-longest-first", { direction: "Right", max_length: 12, strategy: "LongestFirst", stride: 0 }],
  ["trunc-only-first", { direction: "Right", max_length: 10, strategy: "OnlyFirst", stride: 0 }],
  ["trunc-only-second-left", { direction: "Left", max_length: 14, strategy: "OnlySecond", stride: 0 }],
  ["trunc-left-stride", { direction: "Left", max_length: 13, strategy: "LongestFirst", stride: 2 }],
]) {
  c(name, Object.assign({}, tinyBert, { truncation: trunc }), { keepParams: true });
}
c("pad-fixed-left", Object.assign({}, tinyBert, { padding: { strategy: { Fixed: 40 }, direction: "Left", pad_to_multiple_of: null, pad_id: 0, pad_type_id: 7, pad_token: "[PAD]" } }), { keepParams: true });
c("pad-multiple-right", Object.assign({}, tinyBert, {
  truncation: { direction: "Right", max_length: 20, strategy: "LongestFirst", stride: 5 },
  padding: { strategy: "BatchLongest", direction: "Right", pad_to_multiple_of: 8, pad_id: 0, pad_type_id: 0, pad_token: "[PAD]" } }), { keepParams: true });

// Decoders.
c("dec-ctc", Object.assign({}, tinyBert, { decoder: { type: "CTC", pad_token: "[PAD]", word_delimiter_token: "##", cleanup: true } }));
c("dec-strip-replace", base({ decoder: { type: "Sequence", decoders: [
  { type: "Replace", pattern: { Regex: "[aeiou]" }, content: "*" }, { type: "Strip", content: "*", start: 2, stop: 0 }, { type: "Fuse" }] } }));

// SentencePiece Unigram tokenizers with a precompiled_charsmap, built by
// spm/build.sh from models the real SentencePiece trainer made; here only
// their goldens are written. The extra strings aim at the charsmap: NFKC
// folds, the 6-byte grapheme rule (halfwidth ｶﾞ), clusters whose first
// character alone matches, controls, \r\n as one cluster, ZWJ emoji.
const spmExtra = [
  "ＡＢＣ　ｆｕｌｌ１２３ ｶﾞｷﾞｸﾞ ﾊﾟﾋﾟ ｶ ﾞ ｱｲｳ",
  "ﬁﬂ ™ ℃ ㎏ ① Ⅻ ½ x² ㍻ ㊙ … 〜 ‥",
  "Ａ\u0301 e\u0301 A\u030a\u0323 ｶ\u0301",
  "line\r\nbreak\rcarriage\u001egroup\u0000nul\u007fdel\u0085nel",
  "👩\u200d💻 🇯🇵 👍🏽 \u1100\u1161\u11a8 각",
  "क्षत्रिय हिन्दी สวัสดี Tiếng Việt",
  "``quoted'' and ''double'' `` ''",
  "many     spaces\u00a0\u2003\u3000between",
  "<extra_id_0> masked <mask> span <extra_id_1>.",
];
for (const name of ["spm-t5-unigram", "spm-xlmr-unigram"]) {
  const file = path.join(outRoot, name, "tokenizer.json");
  c(name, JSON.parse(fs.readFileSync(file, "utf8")), { extra: spmExtra, keepFile: true });
}

function plain(e) {
  return {
    ids: e.getIds(), tokens: e.getTokens(), offsets: e.getOffsets(), type_ids: e.getTypeIds(),
    attention_mask: e.getAttentionMask(), special_tokens_mask: e.getSpecialTokensMask(),
    word_ids: e.getWordIds().map((w) => (w === null || w === undefined ? -1 : w)),
  };
}

async function run() {
  for (const { name, tok, opts } of cases) {
    const dir = path.join(outRoot, name);
    if (!opts.keepFile) fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const json = JSON.stringify(tok);
    if (!opts.keepFile) fs.writeFileSync(path.join(dir, "tokenizer.json"), json);
    if (opts.keepParams) fs.writeFileSync(path.join(dir, "keep_params"), "truncation and padding from tokenizer.json apply\n");
    const tk = binding.Tokenizer.fromString(json);
    const lines = [];
    const inputs = corpus.concat(extra, opts.extra || []).map((t) => [t, null]).concat(pairs);
    for (const [text, pair] of inputs) {
      for (const add of [true, false]) {
        let e;
        try {
          e = await tk.encode(text, pair, { addSpecialTokens: add });
        } catch (err) {
          lines.push(JSON.stringify(Object.assign({ text }, pair === null ? {} : { pair }, { add_special_tokens: add, error: String(err.message || err) })));
          continue;
        }
        const line = Object.assign({ text }, pair === null ? {} : { pair }, { add_special_tokens: add }, plain(e));
        const over = e.getOverflowing();
        if (over && over.length) line.overflowing = over.map(plain);
        if (add) {
          try {
            const e2 = await tk.encode(text, pair, { addSpecialTokens: false });
            line.ids_no_special = e2.getIds();
          } catch (err) {
            line.ids_no_special_error = String(err.message || err);
            lines.push(JSON.stringify(line));
            continue;
          }
          line.decoded = await tk.decode(line.ids_no_special, false);
          line.decoded_skip_special = await tk.decode(line.ids, true);
        }
        lines.push(JSON.stringify(line));
      }
    }
    fs.writeFileSync(path.join(dir, "golden.jsonl"), lines.join("\n") + "\n");
  }
  console.log(`wrote ${cases.length} cases to ${outRoot}`);
}

run().catch((e) => { console.error(e); process.exit(1); });
