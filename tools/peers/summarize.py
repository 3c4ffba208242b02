"""Turn the raw results of tools/peers/run.sh into the comparison table.

usage: summarize.py RESULTS.txt...

Each file mixes two kinds of lines, in any order (several files, e.g. from
several runs of run.sh, are pooled):
  - `go test -bench` lines of internal/bench (hfserve), prefixed by run.sh
    with "MODEL<TAB>": tok/s, sent/s, GB/s and weightMB metrics;
  - JSON lines of the peers (llamabench, torch_*.py, ortbench), with a
    "model" field added by run.sh and the seconds of each repetition.
Each cell is "median / best" over all repetitions of all rounds, and the
ratio column gives hfserve over the fastest peer both ways (> 1 means
hfserve is faster). On a shared machine other processes can only slow a
run down, so the best run estimates what an engine can do and the median
what it did; engines whose threads spin-wait (llama.cpp, OpenMP) lose far
more to a busy neighbour than others, which the medians show and the
best runs do not.
The decode bandwidth bound of a run is the peak read bandwidth measured
around that run (bwGB/s) over the bytes of weights read per token
(weightMB: every weight is read once per decode step).
Start-up times (hfserve's BenchmarkLoad, llamabench --load) go to a second
table in seconds, lower is better: load (the model load call), ttft16 (load
plus the first forward pass of a 16-token prompt: time to first token) and
read (reading the weight files once, hfserve's yardstick), each "-warm"
(files in the page cache) or "-cold" (evicted before each start).
"""

import json
import re
import statistics
import sys
from collections import defaultdict

BENCH = re.compile(r"^Benchmark(\w+)(?:/([^\s]+?))?(?:/batch(\d+))?-\d+\s+\d+\s+(.*)$")

ENGINES = ["hfserve", "llama.cpp", "pytorch", "onnxruntime"]


TIMES = ("load", "ttft16", "read")


def is_time(test):
    return test.split("-")[0] in TIMES


def parse(paths):
    rates = defaultdict(list)  # (model, test, engine) -> per-repetition rates, or seconds for is_time tests
    extra = defaultdict(list)  # (model, metric) -> values
    lines = []
    for path in paths:
        with open(path) as f:
            lines += f.readlines()
    for line in lines:
        line = line.rstrip("\n")
        if "\t" in line and not line.startswith("{"):
            model, line = line.split("\t", 1)
            m = BENCH.match(line)
            if not m:
                continue
            kind, name, batch, rest = m.groups()
            metrics = {unit: float(v) for v, unit in re.findall(r"([\d.e+-]+) (\S+)", rest)}
            if kind == "Load":
                state = (name or "").rsplit("/", 1)[-1]
                for metric, test in (("s/load", "load"), ("s/ttft", "ttft16"), ("s/read", "read")):
                    if metric in metrics:
                        rates[(model, f"{test}-{state}", "hfserve")].append(metrics[metric])
                continue
            if kind == "ReadBandwidth":
                extra[("machine", "GB/s")].append(metrics["GB/s"])
                continue
            test = {"Prefill": "prefill512", "Encode": "encode32"}.get(kind, f"decode_batch{batch}")
            if kind == "Encode" and (name or "").endswith("/padded"):
                test = "encode32-padded"  # padded positions computed, as ONNX Runtime does
            if kind == "Encode" and (name or "").endswith("/lone"):
                test = "encode1"  # the batch's first sentence alone: one request's latency
            rate = metrics.get("tok/s") or metrics.get("sent/s")
            rates[(model, test, "hfserve")].append(rate)
            if "weightMB" in metrics:
                extra[(model, "weightMB")].append(metrics["weightMB"])
            if "rssMB" in metrics:
                extra[(model, "rssMB")].append(metrics["rssMB"])
            if "hugeMB" in metrics:
                extra[(model, "hugeMB")].append(metrics["hugeMB"])
            if "bwGB/s" in metrics and test == "decode_batch1":
                bound = metrics["bwGB/s"] * 1e3 / metrics["weightMB"]
                extra[(model, "bound")].append(bound)
                extra[(model, "of_bound")].append(rate / bound)
                extra[("machine", "GB/s")].append(metrics["bwGB/s"])
        elif line.startswith("{"):
            d = json.loads(line)
            for s in d["seconds"]:
                v = s if is_time(d["test"]) else d["tokens"] / s
                rates[(d["model"], d["test"], d["peer"])].append(v)
                if d["test"] == "encode32":
                    # the peers compute the padded positions: their one
                    # number also stands against hfserve's padded run
                    rates[(d["model"], "encode32-padded", d["peer"])].append(v)
    return rates, extra


def main():
    rates, extra = parse(sys.argv[1:])
    med = {k: statistics.median(v) for k, v in rates.items()}
    best = {k: (min(v) if is_time(k[1]) else max(v)) for k, v in rates.items()}
    rows = sorted({(m, t) for m, t, _ in med if not is_time(t)})
    head = ["model", "test", "unit"] + ENGINES + ["hfserve / fastest peer (median; best)"]
    table = [head]
    for model, test in rows:
        unit = "sent/s" if test.startswith("encode") else "tok/s"
        cells = [model, test, unit]
        for e in ENGINES:
            k = (model, test, e)
            cells.append(f"{med[k]:.1f} / {best[k]:.1f} (n={len(rates[k])})" if k in med else "-")
        k = (model, test, "hfserve")
        peers = [e for e in ENGINES[1:] if (model, test, e) in med]
        if k in med and peers:
            pm = max(peers, key=lambda e: med[(model, test, e)])
            pb = max(peers, key=lambda e: best[(model, test, e)])
            cells.append(f"{med[k] / med[(model, test, pm)]:.2f}x vs {pm}; "
                         f"{best[k] / best[(model, test, pb)]:.2f}x vs {pb}")
        else:
            cells.append("-")
        table.append(cells)
        if test == "decode_batch1" and extra[(model, "bound")]:
            # Each run's bound comes from the bandwidth measured around
            # that run; the ratio is the median of the per-run ratios.
            bound = statistics.median(extra[(model, "bound")])
            ratio = statistics.median(extra[(model, "of_bound")])
            table.append([model, "bandwidth bound", "tok/s", f"{bound:.1f} (median)", "", "", "",
                          f"hfserve at {ratio:.2f}x of it (median of per-run ratios; "
                          f"range {min(extra[(model, 'of_bound')]):.2f}-{max(extra[(model, 'of_bound')]):.2f})"])
    print_table(table)
    times = sorted({(m, t) for m, t, _ in med if is_time(t)})
    if times:
        head = ["model", "test", "unit", "hfserve", "llama.cpp", "hfserve time / peer time (median; best)"]
        table = [head]
        for model, test in times:
            cells = [model, test, "s"]
            for e in ("hfserve", "llama.cpp"):
                k = (model, test, e)
                cells.append(f"{med[k]:.3f} / {best[k]:.3f} (n={len(rates[k])})" if k in med else "-")
            h, p = (model, test, "hfserve"), (model, test, "llama.cpp")
            if h in med and p in med:
                cells.append(f"{med[h] / med[p]:.2f}x; {best[h] / best[p]:.2f}x")
            else:
                cells.append("-")
            table.append(cells)
        print("\nStart-up, in seconds (lower is better):\n")
        print_table(table)
    gb = extra[("machine", "GB/s")]
    if gb:
        print(f"\npeak read bandwidth around the decode runs: median {statistics.median(gb):.1f} GB/s, "
              f"range {min(gb):.1f}-{max(gb):.1f}")
    for (model, metric), v in sorted(extra.items()):
        if metric == "rssMB" and extra[(model, "weightMB")]:
            w = statistics.median(extra[(model, "weightMB")])
            r = statistics.median(v)
            huge = extra[(model, "hugeMB")]
            pages = f", {statistics.median(huge):.0f} MB of the files in 2 MiB pages" if huge else ""
            print(f"{model}: weights {w:.0f} MB, process RSS after the runs {r:.0f} MB ({r / w:.3f}x){pages}")


def print_table(table):
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
        if r is table[0]:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


if __name__ == "__main__":
    main()
