#!/usr/bin/env bash
# run.sh: hfserve's engine against its peers, side by side, on the same
# random-weight checkpoints, the same workloads and the same thread count.
#
#   tools/peers/run.sh            # everything, results in $WORK/results.txt
#   ROUNDS=5 DTYPES=bf16 PEERS="llama.cpp" tools/peers/run.sh
#
# Knobs (environment):
#   WORK     scratch folder for peers, models and results (/tmp/hfserve-peers)
#   THREADS  threads for every engine (2)
#   ROUNDS   rounds; each runs every engine once per test, interleaved, so
#            that load from other processes hits all engines alike (3)
#   DTYPES   Qwen2.5-0.5B-shaped weight dtypes to test ("f32 bf16")
#   SEQS     decode batch sizes for hfserve and llama.cpp ("1")
#   PEERS    peers to run ("llama.cpp pytorch onnxruntime")
#   ENCODER  1 to run the MiniLM-shaped encoder comparison (1)
#   LOAD     1 to time start-up (load and first token, warm and cold page
#            cache) of the decoders, hfserve and llama.cpp (1)
#
# Everything it fetches or builds goes under $WORK, never into the repo:
# the npm packages @node-llama-cpp/linux-x64 (llama.cpp's shared libraries),
# node-llama-cpp (the matching llama.h, from its bundled source) and
# onnxruntime-node (libonnxruntime.so); Debian's python3-torch is installed
# with apt-get when missing. The summary table goes to stdout and to
# $WORK/table.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-/tmp/hfserve-peers}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
DTYPES=${DTYPES:-"f32 bf16"}
SEQS=${SEQS:-1}
PEERS=${PEERS:-"llama.cpp pytorch onnxruntime"}
ENCODER=${ENCODER:-1}
LOAD=${LOAD:-1}
PY=/usr/bin/python3
LLAMA_NPM_VERSION=3.22.1
ORT_NPM_VERSION=1.30.0
PEERDIR="$ROOT/tools/peers"
RESULTS="$WORK/results.txt"
TINY="$ROOT/testdata/models/tiny"

export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS GOMAXPROCS=$THREADS
# PyTorch runs with OMP_WAIT_POLICY=PASSIVE: its OpenMP threads otherwise
# spin against OpenBLAS's own threads on the same cores, which halves its
# decode speed here (measured: 2.2 -> 4.5 tok/s); prefill is unaffected.

log() { echo "run.sh: $*" >&2; }
has() { [[ " $PEERS " == *" $1 "* ]]; }

mkdir -p "$WORK/models" "$WORK/bin"

# --- builds -----------------------------------------------------------------
log "building hfserve's tools and benchmark binary"
(cd "$ROOT" && go build -o "$WORK/bin/randmodel" ./tools/randmodel \
	&& go build -o "$WORK/bin/togguf" ./tools/togguf \
	&& go test -c -o "$WORK/bin/bench.test" ./internal/bench)

fetch_npm() { # name version dir
	if [ ! -d "$WORK/npm/$3/package" ]; then
		log "fetching npm package $1@$2"
		mkdir -p "$WORK/npm/$3"
		(cd "$WORK/npm" && npm pack --silent "$1@$2" >/dev/null)
		tar -xzf "$WORK/npm/$(echo "$1" | sed 's/^@//; s/\//-/')-$2.tgz" -C "$WORK/npm/$3"
	fi
}

LLAMA_LIB="$WORK/npm/llama-bin/package/bins/linux-x64"
if has llama.cpp; then
	fetch_npm @node-llama-cpp/linux-x64 "$LLAMA_NPM_VERSION" llama-bin
	fetch_npm node-llama-cpp "$LLAMA_NPM_VERSION" llama-src
	if [ ! -f "$WORK/llama.cpp/include/llama.h" ]; then
		log "unpacking llama.cpp's headers from node-llama-cpp's source bundle"
		git clone -q "$WORK/npm/llama-src/package/llama/gitRelease.bundle" "$WORK/llama.cpp"
	fi
	log "building llamabench"
	gcc -O2 -Wall -o "$WORK/bin/llamabench" "$PEERDIR/llamabench.c" \
		-I"$WORK/llama.cpp/include" -I"$WORK/llama.cpp/ggml/include" -L"$LLAMA_LIB" \
		-l:libllama.v0.5.0.so -l:libggml.v0.5.0.so -l:libggml-base.so -Wl,-rpath,"$LLAMA_LIB"
fi
if has pytorch || { has onnxruntime && [ "$ENCODER" = 1 ]; }; then
	if ! $PY -c 'import torch' 2>/dev/null; then
		log "installing Debian's python3-torch"
		apt-get install -y python3-torch >/dev/null
	fi
fi
ORT_LIB="$WORK/npm/ort/package/bin/napi-v6/linux/x64/libonnxruntime.so.1"
if has onnxruntime && [ "$ENCODER" = 1 ]; then
	fetch_npm onnxruntime-node "$ORT_NPM_VERSION" ort
	(cd "$ROOT" && go build -tags peers -o "$WORK/bin/ortbench" ./tools/peers/ortbench)
fi

# --- models -----------------------------------------------------------------
DECODERS=()
for d in $DTYPES; do
	m="$WORK/models/qwen2.5-0.5b-$d"
	[ -f "$m/model.safetensors" ] || "$WORK/bin/randmodel" -preset qwen2.5-0.5b -dtype "$d" -seed 1 -out "$m"
	if has llama.cpp && [ ! -f "$m.gguf" ]; then "$WORK/bin/togguf" -in "$m" -out "$m.gguf"; fi
	DECODERS+=("$m")
done
ENC="$WORK/models/minilm-l6-f32"
if [ "$ENCODER" = 1 ]; then
	[ -f "$ENC/model.safetensors" ] || "$WORK/bin/randmodel" -preset minilm-l6 -dtype f32 -seed 1 -out "$ENC"
	if has onnxruntime && [ ! -f "$ENC.onnx" ]; then
		(cd "$PEERDIR" && $PY torch_bert.py --export "$ENC" "$ENC.onnx")
	fi
fi

# --- same function: every peer must reproduce the fixtures' golden logits --
log "checking that the peers compute the same functions as hfserve"
if has pytorch; then
	for f in qwen2 llama; do (cd "$PEERDIR" && $PY torch_qwen2.py --golden "$TINY/$f"); done
fi
if [ "$ENCODER" = 1 ] && { has pytorch || has onnxruntime; }; then
	(cd "$PEERDIR" && $PY torch_bert.py --golden "$TINY/bert")
fi
if has llama.cpp; then
	for f in qwen2 llama; do
		# -f32: the fixtures' goldens are float32 computations; llama.cpp's
		# bf16 path rounds activations to bf16, which is its own business.
		"$WORK/bin/togguf" -f32 -in "$TINY/$f" -out "$WORK/models/tiny-$f.gguf"
		for i in 0 1; do
			ids=$($PY -c "import json,sys; print(*json.load(open(sys.argv[1]))['input_ids'][$i])" "$TINY/$f/golden.json")
			# shellcheck disable=SC2086
			"$WORK/bin/llamabench" --logits "$WORK/models/tiny-$f.gguf" "$LLAMA_LIB" $ids |
				$PY "$PEERDIR/check_logits.py" "$TINY/$f/golden.json" "$i" 1e-3
		done
	done
fi

# --- rounds -----------------------------------------------------------------
: >"$RESULTS"
ours() { # model-tag bench-regexp count [env...]: count runs of $ITERS (1) iterations
	local tag=$1 re=$2 n=$3
	shift 3
	env "$@" HFSERVE_BENCH_THREADS="$THREADS" "$WORK/bin/bench.test" -test.run '^$' -test.bench "$re" \
		-test.benchtime "${ITERS:-1}x" -test.count "$n" 2>&1 | grep '^Benchmark' | sed "s|^|$tag\t|" | tee -a "$RESULTS" >&2
}
peer() { # model-tag command...
	local tag=$1
	shift
	"$@" | sed "s|^{|{\"model\":\"$tag\",|" | tee -a "$RESULTS" >&2
}
# Every model file, ours and the peers', cached alike before each round (see
# pagecache.py: how a file entered the page cache changes decode speed).
MODEL_FILES=()
for m in "${DECODERS[@]}"; do
	MODEL_FILES+=("$m/model.safetensors")
	if has llama.cpp; then MODEL_FILES+=("$m.gguf"); fi
done
if [ "$ENCODER" = 1 ]; then
	MODEL_FILES+=("$ENC/model.safetensors")
	if has onnxruntime; then MODEL_FILES+=("$ENC.onnx"); fi
fi
for r in $(seq "$ROUNDS"); do
	log "round $r of $ROUNDS"
	$PY "$PEERDIR/pagecache.py" "${MODEL_FILES[@]}"
	for m in "${DECODERS[@]}"; do
		tag=$(basename "$m")
		ours "$tag" 'Prefill|Decode' 1 HFSERVE_BENCH_DECODERS="$m" HFSERVE_BENCH_SEQS="${SEQS// /,}"
		if has llama.cpp; then
			for s in $SEQS; do
				prompt=$([ "$s" = 1 ] && echo 512 || echo 16)
				peer "$tag" "$WORK/bin/llamabench" "$m.gguf" "$THREADS" "$prompt" 32 "$s" 1 "$LLAMA_LIB"
			done
		fi
		if has pytorch; then
			peer "$tag" env OMP_WAIT_POLICY=PASSIVE $PY "$PEERDIR/torch_qwen2.py" "$m" "$THREADS" 512 32 1
		fi
		if [ "$LOAD" = 1 ]; then
			# Warm: the files are in the page cache from the runs above. Cold:
			# each engine evicts its own file before each start.
			for state in warm cold; do
				ours "$tag" 'Load' 1 HFSERVE_BENCH_DECODERS="$m" HFSERVE_BENCH_COLD=$([ $state = cold ] && echo 1 || echo 0)
				if has llama.cpp; then
					peer "$tag" "$WORK/bin/llamabench" --load "$m.gguf" "$THREADS" 1 "$LLAMA_LIB" $state
				fi
			done
		fi
	done
	if [ "$ENCODER" = 1 ]; then
		tag=$(basename "$ENC")
		ours "$tag" 'Encode/.*/(unpadded|padded)$' 5 HFSERVE_BENCH_ENCODERS="$ENC"
		# one sentence alone: a few milliseconds, so 20 iterations a run
		ITERS=20 ours "$tag" 'Encode/.*/lone$' 5 HFSERVE_BENCH_ENCODERS="$ENC"
		if has onnxruntime; then
			peer "$tag" "$WORK/bin/ortbench" -lib "$ORT_LIB" -model "$ENC.onnx" -threads "$THREADS" -reps 5
			peer "$tag" "$WORK/bin/ortbench" -lib "$ORT_LIB" -model "$ENC.onnx" -threads "$THREADS" -reps 20 -lone
		fi
		if has pytorch; then
			peer "$tag" env OMP_WAIT_POLICY=PASSIVE $PY "$PEERDIR/torch_bert.py" --bench "$ENC" "$THREADS" 5
		fi
	fi
done

{
	echo "threads $THREADS, $ROUNDS rounds, $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	$PY "$PEERDIR/summarize.py" "$RESULTS"
} | tee "$WORK/table.md"
