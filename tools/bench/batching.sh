#!/usr/bin/env bash
# Measures what batching buys the served system (issue 6, docs/PERFORMANCE.md
# "Batching"): the real hfserve binary on a loopback port, driven by
# `hfserve bench`, with batching on and off, on random-weight checkpoints in
# the shapes of all-MiniLM-L6-v2 and Qwen2.5-0.5B (tools/randmodel).
#
#   tools/bench/batching.sh                 # everything, report in $WORK/batching.md
#
# Knobs (environment):
#   WORK      scratch folder for models and results (/tmp/hfserve-peers, shared with tools/peers)
#   DTYPE     weights of the generation model: bf16 or f32 (bf16)
#   ROUNDS    repetitions of each measurement; medians are reported (3)
#   TOKENS    tokens per generation (128)
#   STREAMS   concurrent generations (16)
#   EMB_REQS  embeddings requests per run (640)
#   PARTS     which parts to run ("embed gen table")
#
# The llama.cpp side of the 16-sequence comparison comes from the peer
# harness (tools/peers/run.sh with SEQS="1 16"), which runs llama.cpp's
# batched decode on the same weights and threads.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export PATH="/usr/local/go/bin:$PATH"
WORK=${WORK:-/tmp/hfserve-peers}
DTYPE=${DTYPE:-bf16}
ROUNDS=${ROUNDS:-3}
TOKENS=${TOKENS:-128}
STREAMS=${STREAMS:-16}
EMB_REQS=${EMB_REQS:-640}
PARTS=${PARTS:-"embed gen table"}
OUT="$WORK/batching"
mkdir -p "$WORK/models" "$WORK/bin" "$OUT"
rm -f "$OUT"/*.json # results of an earlier run (more rounds) must not join the medians

(cd "$ROOT" && go build -o "$WORK/bin/hfserve" ./cmd/hfserve && go build -o "$WORK/bin/randmodel" ./tools/randmodel)
HF="$WORK/bin/hfserve"
model() { # preset dtype
	local dir="$WORK/models/$1-$2"
	[ -f "$dir/model.safetensors" ] || "$WORK/bin/randmodel" -preset "$1" -dtype "$2" -out "$dir" >&2
	echo "$dir"
}
# servable copies of the random checkpoints with the real models' tokenizers
# (randmodel's stand-in tokenizers count one token per character or byte,
# which would inflate every input several times): the weights are linked,
# tokenizer.json and tokenizer_config.json come from the repo's fixtures.
with_tokenizer() { # dir tokenizer-fixture name
	local src=$1 tok="$ROOT/testdata/tokenizers/$2" dst="$OUT/models/$3"
	rm -rf "$dst"
	mkdir -p "$dst"
	for f in "$src"/*; do
		case "$(basename "$f")" in tokenizer.json | tokenizer.json.gz | tokenizer_config.json) ;; *) ln -s "$f" "$dst/" ;; esac
	done
	cp "$tok"/tokenizer.json* "$tok/tokenizer_config.json" "$dst/"
	echo "$dst"
}
EMB=$(with_tokenizer "$(model minilm-l6 f32)" bert-uncased-minilm minilm-l6)
GEN=$(with_tokenizer "$(model qwen2.5-0.5b "$DTYPE")" qwen3 qwen2.5-0.5b-$DTYPE)

PORT=18631
SERVER_PID=""
start() { # name dir batching [extra flags...]
	local name=$1 dir=$2 batching=$3
	shift 3
	stop
	# The response cache is off: these runs measure the engine and the
	# batcher, and repeated prompts across runs would be cache hits.
	"$HF" serve --listen 127.0.0.1:$PORT --model "$name=$dir" --enable-batching="$batching" --preload \
		--enable-caching=false \
		--keep-alive -1 --log-level warn --data-dir "$WORK/data" "$@" 2>"$OUT/server.log" &
	SERVER_PID=$!
	for _ in $(seq 600); do
		curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "server did not become ready" >&2
	cat "$OUT/server.log" >&2
	exit 1
}
stop() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=""
	fi
}
trap stop EXIT
bench() { # file args...
	local file=$1
	shift
	"$HF" bench --server "http://127.0.0.1:$PORT" --json "$@" >"$file"
}

median() { # jq-path files...
	local path=$1
	shift
	python3 - "$path" "$@" <<'EOF'
import json, statistics, sys
path, files = sys.argv[1], sys.argv[2:]
vals = []
for f in files:
    v = json.load(open(f))
    for k in path.split("."):
        v = v[k]
    vals.append(v)
print(statistics.median(vals))
EOF
}

REPORT="$OUT/batching.md"
{
	echo "threads: all $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); rounds $ROUNDS, medians; load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
} >"$REPORT"

if [[ " $PARTS " == *" embed "* ]]; then
	# Embeddings, MiniLM-L6 shape, short inputs, concurrency 32: on vs off,
	# interleaved round by round.
	for r in $(seq "$ROUNDS"); do
		for b in true false; do
			start emb "$EMB" $b
			bench "$OUT/emb-$b-$r.json" --model emb --endpoint embeddings --concurrency 32 --requests "$EMB_REQS" --prompt-words 8
			bench "$OUT/emb1-$b-$r.json" --model emb --endpoint embeddings --concurrency 1 --requests 200 --prompt-words 8
		done
	done
	on=$(median requests_per_second "$OUT"/emb-true-*.json)
	off=$(median requests_per_second "$OUT"/emb-false-*.json)
	l_on=$(median latency_seconds.p50 "$OUT"/emb1-true-*.json)
	l_off=$(median latency_seconds.p50 "$OUT"/emb1-false-*.json)
	python3 - "$on" "$off" "$l_on" "$l_off" >>"$REPORT" <<'EOF'
import sys
on, off, l_on, l_off = map(float, sys.argv[1:])
print("| embeddings (minilm-l6 f32, 8-word inputs) | batching on | batching off | ratio |")
print("|---|---|---|---|")
print(f"| concurrency 32: requests/s | {on:.1f} | {off:.1f} | {on/off:.2f}x |")
print(f"| concurrency 1: latency p50 | {l_on*1000:.2f} ms | {l_off*1000:.2f} ms | {l_on/l_off:.3f} |")
print()
EOF
fi

if [[ " $PARTS " == *" gen "* ]]; then
	# Generation, Qwen2.5-0.5B shape: one stream vs $STREAMS concurrent
	# streams of $TOKENS tokens (batching on), and one stream with batching
	# off for the concurrency-1 latency comparison.
	for r in $(seq "$ROUNDS"); do
		start gen "$GEN" true
		bench "$OUT/gen1-true-$r.json" --model gen --concurrency 1 --requests 2 --max-tokens "$TOKENS" --prompt-words 16
		bench "$OUT/genN-true-$r.json" --model gen --concurrency "$STREAMS" --requests "$STREAMS" --max-tokens "$TOKENS" --prompt-words 16
		start gen "$GEN" false
		bench "$OUT/gen1-false-$r.json" --model gen --concurrency 1 --requests 2 --max-tokens "$TOKENS" --prompt-words 16
	done
	one=$(median output_tokens_per_second "$OUT"/gen1-true-*.json)
	agg=$(median output_tokens_per_second "$OUT"/genN-true-*.json)
	tpot1=$(median time_per_output_token_seconds.p50 "$OUT"/gen1-true-*.json)
	tpotN=$(median time_per_output_token_seconds.p50 "$OUT"/genN-true-*.json)
	tpotNw=$(median time_per_output_token_seconds.p95 "$OUT"/genN-true-*.json)
	lat_on=$(median latency_seconds.p50 "$OUT"/gen1-true-*.json)
	lat_off=$(median latency_seconds.p50 "$OUT"/gen1-false-*.json)
	python3 - "$one" "$agg" "$tpot1" "$tpotN" "$tpotNw" "$lat_on" "$lat_off" "$STREAMS" "$TOKENS" "$DTYPE" >>"$REPORT" <<'EOF'
import sys
one, agg, t1, tn, tnw, lon, loff = map(float, sys.argv[1:8])
streams, tokens, dtype = sys.argv[8:]
print(f"| generation (qwen2.5-0.5b {dtype}, {tokens} tokens per stream) | value | ratio |")
print("|---|---|---|")
print(f"| 1 stream: output tokens/s | {one:.1f} | |")
print(f"| {streams} streams: aggregate output tokens/s | {agg:.1f} | {agg/one:.2f}x one stream |")
print(f"| time per output token, 1 stream (p50) | {t1*1000:.1f} ms | |")
print(f"| time per output token, {streams} streams (p50 / p95) | {tn*1000:.1f} / {tnw*1000:.1f} ms | {tn/t1:.2f}x / {tnw/t1:.2f}x one stream |")
print(f"| concurrency 1 latency, batching on / off (p50) | {lon:.2f} / {loff:.2f} s | {lon/loff:.3f} |")
print()
EOF
fi

if [[ " $PARTS " == *" table "* ]]; then
	# The seed's table: no batching vs batches of 16 and 32, with as many
	# concurrent clients as the batch holds (embeddings, MiniLM-L6 shape).
	for r in $(seq "$ROUNDS"); do
		start emb "$EMB" false
		bench "$OUT/seed-1-$r.json" --model emb --endpoint embeddings --concurrency 1 --requests 200 --prompt-words 8
		for bs in 16 32; do
			start emb "$EMB" true --max-batch-size $bs
			bench "$OUT/seed-$bs-$r.json" --model emb --endpoint embeddings --concurrency $bs --requests $((bs * 20)) --prompt-words 8
		done
	done
	{
		echo "| scenario (embeddings, minilm-l6) | batch size | latency p50 | throughput |"
		echo "|---|---|---|---|"
		for bs in 1 16 32; do
			lat=$(median latency_seconds.p50 "$OUT"/seed-$bs-*.json)
			rps=$(median requests_per_second "$OUT"/seed-$bs-*.json)
			name="with batching"
			[ "$bs" = 1 ] && name="no batching"
			python3 -c "print(f'| $name | $bs | {float($lat)*1000:.1f} ms | {float($rps):.1f} req/s |')"
		done
		echo
	} >>"$REPORT"
fi
stop
cat "$REPORT"
