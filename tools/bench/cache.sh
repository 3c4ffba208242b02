#!/usr/bin/env bash
# Measures the response cache end to end (issue 7, docs/PERFORMANCE.md
# "Response cache"): the real hfserve binary on loopback, once with the
# in-memory backend and once with a real redis-server, driven by
# `hfserve bench --same-prompt`: latency of cache hits, and of misses of the
# very same request (--cache-control no-cache makes the server compute it).
#
#   tools/bench/cache.sh
#
# Knobs (environment):
#   ROUNDS     repetitions of each measurement, interleaved; medians reported (3)
#   HITS       requests per hit run (2000); MISSES per miss run (300)
#   TOKENS     max_tokens of the generation (32)
#   MODEL      --model of the servers (builtin: stories260K, in the binary)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export PATH="/usr/local/go/bin:$PATH"
ROUNDS=${ROUNDS:-3}
HITS=${HITS:-2000}
MISSES=${MISSES:-300}
TOKENS=${TOKENS:-32}
MODEL=${MODEL:-builtin}
WORK="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

(cd "$ROOT" && go build -o "$WORK/hfserve" ./cmd/hfserve)
HF="$WORK/hfserve"
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

RPORT=$(freeport)
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" --loglevel warning >"$WORK/redis.log" 2>&1 &
pids+=($!)
serve() { # port args...
	local port=$1; shift
	"$HF" serve --listen "127.0.0.1:$port" --data-dir "$WORK/data-$port" --model "$MODEL" --log-level warn "$@" >"$WORK/serve-$port.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && return; sleep 0.1; done
	echo "server on $port did not start" >&2; cat "$WORK/serve-$port.log" >&2; exit 1
}
MEM=$(freeport); serve "$MEM"
RED=$(freeport); serve "$RED" --cache-backend redis --redis-url "redis://127.0.0.1:$RPORT/0"
ID=$(curl -s "http://127.0.0.1:$MEM/v1/models" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')

bench() { # port stream requests [extra flags] -> "p50 p99" in ms
	local port=$1 stream=$2 n=$3; shift 3
	"$HF" bench --server "http://127.0.0.1:$port" --model "$ID" --endpoint completions --same-prompt \
		--max-tokens "$TOKENS" --stream="$stream" --requests "$n" --json "$@" |
		python3 -c 'import json,sys; r=json.load(sys.stdin); l=r["latency_seconds"]; assert r["errors"]==0, r; print("%.3f %.3f %s" % (l["p50"]*1e3, l["p99"]*1e3, ",".join("%s=%d" % kv for kv in sorted(r.get("cache",{}).items()))))'
}
for port in "$MEM" "$RED"; do for s in false true; do bench "$port" "$s" 1 >/dev/null; done; done # prime the entries

echo "| backend | stream | answer | p50 ms | p99 ms | X-Cache counts (last round) |"
echo "|---|---|---|---:|---:|---|"
for backend in memory redis; do
	port=$MEM; [ "$backend" = redis ] && port=$RED
	for s in false true; do
		for kind in hit miss; do
			p50s=(); p99s=(); counts=""
			for _ in $(seq "$ROUNDS"); do
				if [ "$kind" = hit ]; then out=$(bench "$port" "$s" "$HITS"); else out=$(bench "$port" "$s" "$MISSES" --cache-control no-cache); fi
				read -r p50 p99 counts <<<"$out"
				p50s+=("$p50"); p99s+=("$p99")
			done
			med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
			echo "| $backend | $s | $kind | $(med "${p50s[@]}") | $(med "${p99s[@]}") | $counts |"
		done
	done
done
