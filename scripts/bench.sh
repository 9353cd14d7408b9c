#!/usr/bin/env bash
# Runs the benchmarks recorded in BENCHMARKS.md, in one go so that ratios
# compare numbers measured under the same conditions. Usage:
#   bash scripts/bench.sh            # OpenBLAS build (needs libopenblas-dev)
#   TAGS= bash scripts/bench.sh      # pure-Go build
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TAGS=${TAGS-openblas}
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; tags='${TAGS}'; load: $(cut -d' ' -f1-3 /proc/loadavg)"
go version
run() { go test -tags "$TAGS" -run '^$' "$@" 2>&1 | grep -E '^Benchmark|^ok|FAIL'; }
run -bench 'DGEMM/[a-z-]+/512x785x100$|MNISTDynamics' -count 3 ./tensor ./ad
run -bench 'Gemm' -benchtime 50x -count 3 ./internal/gemm
run -bench 'TanhKernel' -count 3 ./tensor
run -bench 'SpiralGradient' -count 3 ./ode
run -bench 'MNISTSolveForward|MNISTSolveGradient' -benchtime 8x -count 3 ./ode
# Input and state forms, checkpointing policies, and the fused step end on
# and off, alternated in one loop;
# the pure-Go build's products make these take over ten minutes, so they run
# with OpenBLAS only.
if [[ $TAGS == *openblas* ]]; then
	run -bench 'MNISTInput|FusedStepEnd' -benchtime 10x -count 3 ./ode
fi
run -bench 'StepStatistics' -benchtime 100x -count 5 ./ode
run -bench 'SOSRITrainingIteration' -count 2 ./tasks/spiralsde
run -bench 'TrainIteration' -benchtime 2x -count 2 ./tasks/mnistnode
