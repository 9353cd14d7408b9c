#!/usr/bin/env bash
# Times an older commit's build against the working tree's in one run, the
# two alternating, so that both see the same machine speed (this VM's speed
# varies during a day; see BENCHMARKS.md). Usage:
#   bash scripts/compare-builds.sh OLD_COMMIT [ROUNDS]
# Runs the OpenBLAS build's solver, dynamics and SDE benchmarks ROUNDS times
# (default 3) for each side, the side that goes first alternating between
# rounds, and prints every benchmark line, prefixed by "old" or "new".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
old=${1:?usage: compare-builds.sh OLD_COMMIT [ROUNDS]}
rounds=${2:-3}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add -q "$work/old" "$old"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); old $(git rev-parse --short "$old"), new $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
for side in old new; do
	dir=$PWD
	[[ $side == old ]] && dir=$work/old
	for pkg in ode ad tasks/spiralsde; do
		(cd "$dir" && go test -tags openblas -c -o "$work/$side-${pkg//\//-}.test" "./$pkg")
	done
done
run() { # side pkg bench benchtime
	"$work/$1-${2//\//-}.test" -test.run '^$' -test.bench "$3" -test.benchtime "$4" 2>&1 | grep '^Benchmark' | sed "s/^/$1 /"
}
for ((r = 1; r <= rounds; r++)); do
	# Alternate which build goes first, so that neither gains from the order.
	order="old new"
	((r % 2 == 0)) && order="new old"
	for side in $order; do
		run "$side" ode 'SpiralGradient$' 1s
		run "$side" ode 'MNISTSolve(Forward|Gradient)(Input)?$' 6x
		run "$side" ad 'MNISTDynamics$' 40x
		run "$side" tasks/spiralsde 'SOSRITrainingIteration$' 20x
	done
done
