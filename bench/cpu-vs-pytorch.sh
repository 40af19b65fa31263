#!/usr/bin/env bash
# Our CPU training steps against PyTorch's eager ones, back to back (bench/README.md, "The CPU against PyTorch").
# For each model and batch, ROUNDS rounds of a short PyTorch run then a short run of ours; a round's ratio compares
# two runs minutes apart at most, and the report takes the median over the rounds. A shared VM's speed drifts by
# tens of percent from one minute to the next, so one long run of each, minutes apart, compares unlike conditions.
# Needs Debian's PyTorch (apt-get install python3-torch libopenblas0-pthread): benchmarks only, never the tests.
#
#   bench/cpu-vs-pytorch.sh [ROUNDS (5)] [OUTDIR (target/cpu-vs-pytorch)]
# PyTorch runs on as many threads as ours (the cores); PYTORCH_THREADS=1 gives its single-thread figures, which on
# 2 cores beat its 2-thread ones on the mlp.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${1:-5}"
OUT="${2:-$ROOT/target/cpu-vs-pytorch}"
PYTHON="${PYTHON:-/usr/bin/python3}"
PYTORCH_THREADS="${PYTORCH_THREADS:-$(nproc)}"
mkdir -p "$OUT"
cd "$ROOT"
./kernelnet info >/dev/null  # builds the jar first if needed

# model batch steps-per-run: 5 timed windows each, about 100 steps (20 for the slow cnn 512 of PyTorch)
POINTS=("mlp 128 20" "mlp 512 20" "cnn 128 20" "cnn 512 4")
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores, PyTorch on $PYTORCH_THREADS" \
    "thread(s), $ROUNDS rounds; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for point in "${POINTS[@]}"; do
    read -r model batch steps <<<"$point"
    for round in $(seq 1 "$ROUNDS"); do
        tag="$model-$batch-$round"
        "$PYTHON" bench/pytorch/train_bench.py --device cpu --modes eager --models "$model" --batches "$batch" \
            --threads "$PYTORCH_THREADS" --runs 5 --steps-per-run "$steps" --out "$OUT/pytorch-$tag.json" >"$OUT/pytorch-$tag.log" 2>&1
        ./kernelnet bench train --device cpu --models "$model" --batches "$batch" --runs 5 --steps-per-run "$steps" \
            --out "$OUT/ours-$tag.json" >"$OUT/ours-$tag.log" 2>&1
    done
done

"$PYTHON" - "$OUT" "$ROUNDS" <<'EOF'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
print(f"{'model':5} {'batch':>5} {'ours ex/s':>10} {'eager ex/s':>11} {'ratio (median)':>15}  ratios by round")
for model, batch in [("mlp", 128), ("mlp", 512), ("cnn", 128), ("cnn", 512)]:
    ours, theirs, ratios = [], [], []
    for r in range(1, rounds + 1):
        tag = f"{model}-{batch}-{r}"
        o = json.load(open(f"{out}/ours-{tag}.json"))["results"][0]["examples_per_second"]
        p = [x for x in json.load(open(f"{out}/pytorch-{tag}.json"))["results"] if x["mode"] == "eager"][0]
        ours.append(o)
        theirs.append(p["examples_per_second"])
        ratios.append(o / p["examples_per_second"])
    print(f"{model:5} {batch:>5} {statistics.median(ours):>10.0f} {statistics.median(theirs):>11.0f} "
          f"{statistics.median(ratios):>14.2f}x  " + " ".join(f"{x:.2f}" for x in ratios))
EOF
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
