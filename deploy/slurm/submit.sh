#!/bin/bash
# Submits a sharded Whitebox reproduction to Slurm: a job array whose task I
# of N trains shard I/N (shard.sbatch), and a merge job that runs after all of
# them have succeeded (merge.sbatch, --dependency=afterok). If a shard fails,
# the merge job is cancelled (--kill-on-invalid-dep=yes).
#
#   deploy/slurm/submit.sh [options] <task|all> [whitebox reproduce flags]
#
# Options (before the task):
#   -n, --shards N        array tasks, one shard each (default 4)
#   -o, --out DIR         output folder on a file system every node sees
#                         (default ./whitebox-sweep); made absolute
#   -b, --whitebox BIN    the whitebox binary (default ./whitebox), on that
#                         file system too
#   -m, --max-running K   run at most K array tasks at once (--array=1-N%K)
#   -s, --sbatch OPT      an sbatch option for every job, e.g. -s --partition=short
#                         -s --time=2:00:00 -s --account=abc (repeatable)
#   -w, --wait            wait for the jobs; exit 0 only if every shard and
#                         the merge succeeded, 1 otherwise
#
# Outputs in DIR: shards/shard-I (each shard's runs-I-of-N.json),
# checkpoints/shard-I, logs/shard-I.out and logs/merge.out, report/ (the
# merged REPORT.md, results JSON and figures) and merge.status.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
shards=4
out=$PWD/whitebox-sweep
whitebox=./whitebox
max_running=""
wait=false
sbatch_opts=()

usage() {
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

while (($# > 0)); do
	case $1 in
	-n | --shards) shards=$2; shift 2 ;;
	-o | --out) out=$2; shift 2 ;;
	-b | --whitebox) whitebox=$2; shift 2 ;;
	-m | --max-running) max_running=$2; shift 2 ;;
	-s | --sbatch) sbatch_opts+=("$2"); shift 2 ;;
	-w | --wait) wait=true; shift ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) echo "submit.sh: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
if (($# < 1)); then
	echo "submit.sh: name a task (or all) to reproduce" >&2
	usage
fi
task=$1
if ! [[ $shards =~ ^[1-9][0-9]*$ ]]; then
	echo "submit.sh: --shards $shards: give a positive number" >&2
	exit 2
fi
if [[ -n $max_running ]] && ! [[ $max_running =~ ^[1-9][0-9]*$ ]]; then
	echo "submit.sh: --max-running $max_running: give a positive number" >&2
	exit 2
fi
if [[ ! -x $whitebox ]]; then
	echo "submit.sh: $whitebox is not an executable; build it with 'go build -o whitebox ./cmd/whitebox' or pass --whitebox" >&2
	exit 2
fi
whitebox=$(cd "$(dirname "$whitebox")" && pwd)/$(basename "$whitebox")
mkdir -p "$out"/{shards,checkpoints,logs}
out=$(cd "$out" && pwd)
rm -f "$out/merge.status"
export WHITEBOX_SHARDS=$shards # what shard.sbatch divides the runs by

array=1-$shards${max_running:+%$max_running}
array_args=(--array="$array" --output="$out/logs/shard-%a.out" "${sbatch_opts[@]}" "$here/shard.sbatch" "$whitebox" "$out" "$@")
merge_args=(--kill-on-invalid-dep=yes --output="$out/logs/merge.out" "${sbatch_opts[@]}" "$here/merge.sbatch" "$whitebox" "$out" "$task")

if ! $wait; then
	array_id=$(sbatch --parsable "${array_args[@]}")
	array_id=${array_id%%;*}
	merge_id=$(sbatch --parsable --dependency=afterok:"$array_id" "${merge_args[@]}")
	merge_id=${merge_id%%;*}
	echo "submitted: shards = job array $array_id ($shards tasks), merge = job $merge_id (after all shards succeed)"
	echo "follow with: squeue -j $array_id,$merge_id; logs in $out/logs; the report goes to $out/report"
	exit 0
fi

# sbatch --wait prints the job id at submission and exits when the job ends,
# with the highest exit status of the array's tasks.
ids=$(mktemp)
trap 'rm -f "$ids" "$ids.merge"' EXIT
sbatch --parsable --wait "${array_args[@]}" >"$ids" &
array_pid=$!
for _ in $(seq 600); do
	[[ -s $ids ]] && break
	kill -0 "$array_pid" 2>/dev/null || break
	sleep 0.1
done
array_id=$(head -n1 "$ids")
array_id=${array_id%%;*}
if [[ -z $array_id ]]; then
	wait "$array_pid" || true
	echo "submit.sh: sbatch did not submit the job array" >&2
	exit 1
fi
sbatch --parsable --wait --dependency=afterok:"$array_id" "${merge_args[@]}" >"$ids.merge" &
merge_pid=$!
echo "submitted: shards = job array $array_id ($shards tasks); waiting"
array_status=0
wait "$array_pid" || array_status=$?
merge_status=0
wait "$merge_pid" || merge_status=$?
merge_id=$(head -n1 "$ids.merge" 2>/dev/null || true)
merge_id=${merge_id%%;*}
if ((array_status != 0)); then
	echo "submit.sh: FAILED: a shard of job array $array_id exited with status $array_status (the highest of its tasks); the merge job ${merge_id:-?} was cancelled. Logs: $out/logs/shard-*.out" >&2
	exit 1
fi
status=$(cat "$out/merge.status" 2>/dev/null || echo "none")
if [[ $status != 0 ]]; then
	echo "submit.sh: FAILED: the merge job ${merge_id:-?} ended with status $status (sbatch: $merge_status). Log: $out/logs/merge.out" >&2
	exit 1
fi
echo "done: job array $array_id and merge job $merge_id succeeded; the report is in $out/report"
