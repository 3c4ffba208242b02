"""Compare a peer's last-token logits with a fixture's golden.json.

usage: check_logits.py GOLDEN.json PROMPT_INDEX TOLERANCE < logits.json

stdin holds one JSON array: the peer's logits for golden["input_ids"][i]'s
last token. Exits non-zero (and says by how much) when any logit differs
from golden["logits_last"][i] by more than TOLERANCE. The peers run the
benchmarks only after this check, so a ratio never compares different
functions.
"""

import json
import sys


def main():
    golden_path, idx, tol = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    with open(golden_path) as f:
        want = json.load(f)["logits_last"][idx]
    got = json.load(sys.stdin)
    if len(got) != len(want):
        sys.exit(f"check_logits: {len(got)} logits, golden has {len(want)}")
    worst = max(abs(a - b) for a, b in zip(got, want))
    print(f"check_logits: {golden_path}[{idx}]: max |logit - golden| = {worst:.2e} (tolerance {tol:g})", file=sys.stderr)
    if not worst <= tol:
        sys.exit(1)


if __name__ == "__main__":
    main()
