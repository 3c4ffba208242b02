// Measures the Rust `tokenizers` library (0.22.2, Node binding) on the same
// inputs as the Go benchmarks in bench_test.go. See ../../BENCH.md.
//
// Usage: node bench.js /path/to/tokenizers.linux-x64-gnu.node
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

const binding = require(path.resolve(process.argv[2]));
const repo = path.join(__dirname, "..", "..", "..", "..");
const corpus = JSON.parse(fs.readFileSync(path.join(repo, "testdata/tokenizers/corpus.json"), "utf8"));
const src = ["testdata/FIXTURES-README.md", "testdata/models/tiny/FIXTURES.md"]
  .map((p) => fs.readFileSync(path.join(repo, p), "utf8")).join("");
const srcBytes = Buffer.byteLength(src);
const long = src.repeat(Math.floor((1 << 20) / srcBytes) + 1);
const longBytes = Buffer.byteLength(long);
const corpusBytes = corpus.reduce((n, s) => n + Buffer.byteLength(s), 0);

const tokenizers = [
  ["gpt2", "testdata/tokenizers/gpt2/tokenizer.json.gz"],
  ["bert", "testdata/tokenizers/bert-uncased-minilm/tokenizer.json"],
  ["qwen3", "testdata/tokenizers/qwen3/tokenizer.json.gz"],
  ["llama3", "../shared/fixtures/tokenizers/llama3/tokenizer.json"],
];

function load(p) {
  const full = path.join(repo, p);
  if (!fs.existsSync(full)) return null;
  let data = fs.readFileSync(full);
  if (p.endsWith(".gz")) data = zlib.gunzipSync(data);
  const t0 = process.hrtime.bigint();
  const tk = binding.Tokenizer.fromString(data.toString("utf8"));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  tk.disablePadding();
  tk.disableTruncation();
  return [tk, ms];
}

// time runs fn until minMs have passed (at least once) and returns ms per run.
async function time(fn, minMs = 2000) {
  let n = 0;
  const t0 = process.hrtime.bigint();
  let el = 0;
  do { await fn(); n++; el = Number(process.hrtime.bigint() - t0) / 1e6; } while (el < minMs);
  return el / n;
}

(async () => {
  for (const [name, p] of tokenizers) {
    const l = load(p);
    if (!l) { console.log(`${name}: not present`); continue; }
    const [tk, loadMs] = l;
    const corpusMs = await time(async () => { for (const s of corpus) await tk.encode(s, null, { addSpecialTokens: true }); });
    const longMs = await time(async () => { await tk.encode(long, null, { addSpecialTokens: false }); });
    const lines = long.repeat(4).split(/(?<=\n)/);
    const batchMs = await time(async () => { await tk.encodeBatch(lines, { addSpecialTokens: false }); }, 0);
    const mbs = (bytes, ms) => (bytes / 1e6 / (ms / 1e3)).toFixed(2);
    console.log(`${name}: load ${loadMs.toFixed(0)} ms; corpus ${mbs(corpusBytes, corpusMs)} MB/s; long ${mbs(longBytes, longMs)} MB/s; batch ${mbs(4 * longBytes, batchMs)} MB/s`);
  }
})();
