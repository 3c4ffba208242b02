#!/usr/bin/env bash
# device.sh: the kernel sets and the peers on another machine — one with no
# network, no Go and no compiler, such as the workplace's lent GPU machines,
# whose host CPUs have AVX-512. Two steps:
#
#   tools/peers/device.sh bundle DIR   # here: build everything into DIR/b.tar.xz
#   tools/peers/device.sh run DIR      # there (repo root): unpack and run
#
# bundle needs what run.sh fetches (WORK, default /tmp/hfserve-peers: llama.cpp's
# libraries and llamabench) and Debian's libopenblas; the bundle holds the test
# binaries (static Go, plus the cgo OpenBLAS one), randmodel, togguf, llamabench
# and the shared libraries, about 16 MB compressed. run writes its log to
# $OUT/log.txt (OUT defaults to /tmp/devout) and needs python3 with torch,
# onnx and onnxruntime there for the PyTorch and ONNX Runtime rows.
#
# What run does, with every kernel set the CPU has (HFSERVE_KERNELS caps it):
# every engine test package; BenchmarkKernelSets (the sets side by side, the
# AVX-512 packed product at two panel depths); the micro-kernels on 1..all
# cores at once and the products' scaling with workers (is the per-core rate
# the kernel's, the clock's or the scheduling's); OpenBLAS side by side; then the
# Qwen2.5-0.5B-shaped decode and 512-token prefill (ours with auto, with the
# avx512vec build and with avx2; llama.cpp; PyTorch) and the MiniLM-shaped
# encoder (ours; PyTorch; ONNX Runtime), at all of the machine's threads.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mode=${1:-}; dir=${2:-}
[ -n "$mode" ] && [ -n "$dir" ] || { echo "usage: $0 bundle|run DIR" >&2; exit 2; }

if [ "$mode" = bundle ]; then
	set -e
	WORK=${WORK:-/tmp/hfserve-peers}
	L="$WORK/npm/llama-bin/package/bins/linux-x64"
	[ -x "$WORK/bin/llamabench" ] && [ -d "$L" ] || { echo "run tools/peers/run.sh first (llama.cpp)" >&2; exit 1; }
	s=$(mktemp -d); b="$s/b"; mkdir -p "$b/lib"
	cd "$ROOT"
	for p in tensor models models/auto models/bert models/gpt2 models/llama generate bench; do
		go test -c -ldflags='-s -w' -o "$b/$(echo $p | tr / _).test" "./internal/$p"
	done
	for p in tensor generate bench; do
		go test -c -ldflags='-s -w' -tags avx512vec -o "$b/$p-vec.test" "./internal/$p"
	done
	go test -c -ldflags='-s -w' -tags openblas -o "$b/openblas.test" ./internal/tensor/openblas
	go build -ldflags='-s -w' -o "$b/randmodel" ./tools/randmodel
	go build -ldflags='-s -w' -o "$b/togguf" ./tools/togguf
	cp "$WORK/bin/llamabench" "$b/"
	cp "$L"/libggml-base.so "$L"/libggml.v0.5.0.so "$L"/libllama.v0.5.0.so "$L"/libggml-cpu-{x64,haswell,skylakex,icelake,sapphirerapids,zen4}.so "$b/lib/"
	cp -L /usr/lib/x86_64-linux-gnu/libopenblas.so.0 /lib/x86_64-linux-gnu/libgfortran.so.5 /lib/x86_64-linux-gnu/libquadmath.so.0 "$b/lib/"
	mkdir -p "$dir"
	(cd "$s" && XZ_OPT=-T0 tar cJf "$dir/b.tar.xz" b)
	rm -rf "$s"
	ls -la "$dir/b.tar.xz"
	exit 0
fi
[ "$mode" = run ] || { echo "usage: $0 bundle|run DIR" >&2; exit 2; }

cd "$ROOT"
OUT=${OUT:-/tmp/devout}; mkdir -p "$OUT"
T=${T:-$(nproc)}
MODELS=${MODELS:-/tmp/devmodels}; mkdir -p "$MODELS"
B=${B:-/tmp/devbin}
TO=/tmp/devtests; mkdir -p "$TO"
exec > >(tee -a "$OUT/log.txt") 2>&1
sec() { echo; echo "=== $* [$(date +%T), ${SECONDS}s]"; }
export GOMAXPROCS=$T OPENBLAS_NUM_THREADS=$T OMP_NUM_THREADS=$T

sec info
grep -m1 'model name' /proc/cpuinfo; nproc; free -g | head -2
grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E 'avx|amx|fma|f16c' | tr '\n' ' '; echo
lscpu | grep -Ei 'socket|numa|cache|thread|core'; cat /proc/loadavg
if [ ! -x "$B/tensor.test" ]; then mkdir -p "$B" && tar xJf "$dir/b.tar.xz" -C "$B" --strip-components=1 || exit 1; fi
export LD_LIBRARY_PATH=$B/lib

sec correctness
for set in auto avx2; do
	for p in tensor models models/auto models/bert models/gpt2 models/llama generate; do
		n=$(echo $p | tr / _)
		(cd "internal/$p" && HFSERVE_KERNELS=$set timeout 100 "$B/$n.test" -test.count=1 -test.timeout=90s -test.v >"$TO/t_${set}_$n.txt" 2>&1); rc=$?
		echo "$set $p rc=$rc $(tail -1 "$TO/t_${set}_$n.txt") $(grep -c '^--- PASS' "$TO/t_${set}_$n.txt") passed"
		[ $rc = 0 ] || grep -B2 -A20 -- '--- FAIL' "$TO/t_${set}_$n.txt" | head -60
	done
done
for p in tensor generate; do
	(cd "internal/$p" && timeout 100 "$B/$p-vec.test" -test.count=1 -test.v >"$TO/t_vec_$p.txt" 2>&1); rc=$?
	echo "avx512vec build $p rc=$rc $(tail -1 "$TO/t_vec_$p.txt") $(grep -c '^--- PASS' "$TO/t_vec_$p.txt") passed"
	[ $rc = 0 ] || grep -A20 -- '--- FAIL' "$TO/t_vec_$p.txt" | head -40
done
(cd internal/tensor/openblas && timeout 60 "$B/openblas.test" -test.count=1 -test.run . 2>&1 | tail -1)

sec kernel sets, $T threads
(cd internal/tensor && timeout 150 "$B/tensor.test" -test.run '^$' -test.bench KernelSets -test.benchtime 0.15s 2>&1 | grep -E '^Benchmark|ok|FAIL|skip')
sec micro-kernel on 1..$T cores at once, products on pools of 1..$T workers
(cd internal/tensor && timeout 120 "$B/tensor.test" -test.run '^$' -test.bench 'MicroKernel$|MicroKernelCores|LinearScaling' -test.benchtime 0.2s 2>&1 | grep -E '^Benchmark')
sec OpenBLAS side by side, $T threads
(cd internal/tensor/openblas && timeout 60 "$B/openblas.test" -test.run '^$' -test.bench SideBySide -test.benchtime 0.3s 2>&1 | grep -E '^Benchmark')

sec models
gen() { # preset dtype name
	[ -f "$MODELS/$3/model.safetensors" ] || timeout 120 "$B/randmodel" -preset "$1" -dtype "$2" -seed 1 -out "$MODELS/$3" >/dev/null || echo "randmodel $3 failed"
}
gen qwen2.5-0.5b f32 qwen-f32; gen qwen2.5-0.5b bf16 qwen-bf16; gen minilm-l6 f32 minilm
for d in f32 bf16; do
	[ -f "$MODELS/qwen-$d.gguf" ] || timeout 60 "$B/togguf" -in "$MODELS/qwen-$d" -out "$MODELS/qwen-$d.gguf" >/dev/null || echo "togguf $d failed"
done

ours() { # set regexp [env...]; set "vec" is auto with the avx512vec build
	local set=$1 re=$2 bin=bench.test
	shift 2
	if [ "$set" = vec ]; then set=auto bin=bench-vec.test; fi
	(cd internal/bench && env "$@" HFSERVE_KERNELS=$set HFSERVE_BENCH_THREADS=$T timeout 120 "$B/$bin" -test.run '^$' \
		-test.bench "$re" -test.benchtime "${ITERS:-1}x" 2>&1 | grep -E '^Benchmark|kernels' | sed "s|^|$set/$bin |")
}
sec decode and prefill, $T threads
for r in 1 2; do
	# every model file cached alike (see pagecache.py)
	python3 tools/peers/pagecache.py "$MODELS"/qwen-*/model.safetensors "$MODELS"/qwen-*.gguf || echo "pagecache.py failed"
	for set in auto vec avx2; do ours $set 'Prefill|Decode' HFSERVE_BENCH_DECODERS="$MODELS/qwen-f32,$MODELS/qwen-bf16"; done
	for d in f32 bf16; do
		echo "llama.cpp $d: $(timeout 90 "$B/llamabench" "$MODELS/qwen-$d.gguf" "$T" 512 32 1 1 "$B/lib" 2>/dev/null | tr '\n' ' ')"
	done
done
sec PyTorch prefill and decode, f32
PYTHONUNBUFFERED=1 OMP_WAIT_POLICY=PASSIVE timeout 120 python3 tools/peers/torch_qwen2.py "$MODELS/qwen-f32" "$T" 512 32 1 2>&1 | tail -2

sec encoder, $T threads
for set in auto avx2; do ITERS=10 ours $set 'Encode/.*/(unpadded|padded)$' HFSERVE_BENCH_ENCODERS="$MODELS/minilm"; done
(cd tools/peers && timeout 60 python3 torch_bert.py --bench "$MODELS/minilm" "$T" 5 2>&1 | tail -1)
if (cd tools/peers && timeout 90 python3 torch_bert.py --export "$MODELS/minilm" "$MODELS/minilm.onnx" >"$TO/export.txt" 2>&1); then
	timeout 60 python3 - "$MODELS/minilm.onnx" "$T" <<'PY'
import json, sys, time
import numpy as np
import onnxruntime as ort
so = ort.SessionOptions()
so.intra_op_num_threads, so.inter_op_num_threads = int(sys.argv[2]), 1
s = ort.InferenceSession(sys.argv[1], so, providers=["CPUExecutionProvider"])
vocab = 30522  # internal/bench.EncodeInputs, as torch_bert.encode_inputs
lens = [8 + (i * 5) % 9 for i in range(32)]
ids = np.zeros((32, max(lens)), np.int64)
mask = np.zeros_like(ids)
for i, n in enumerate(lens):
    for j in range(n):
        ids[i, j] = 3 + ((100 * i + j) * 7919) % (vocab - 3)
        mask[i, j] = 1
feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
s.run(None, feed)
t = []
for _ in range(10):
    a = time.perf_counter()
    s.run(None, feed)
    t.append(time.perf_counter() - a)
print(json.dumps({"peer": "onnxruntime " + ort.__version__, "test": "encode32", "sent/s median": 32 / sorted(t)[5]}))
PY
else
	tail -5 "$TO/export.txt"
fi
tar czf "$OUT/tests.tar.gz" -C "$TO" .
sec done
