// Command whitebox trains regularized neural differential equations and
// reproduces the experiments of Pal et al., "Opening the Blackbox" (ICML
// 2021).
//
//	whitebox help [command]
//	whitebox reproduce <task> [flags]   train every method for several seeds; print a table, write JSON and figures
//	whitebox reproduce all [flags]      every task; one report folder (REPORT.md, each task's JSON and figures)
//	whitebox reproduce <task|all> --shard I/N --out DIR [flags]
//	                                    train only share I of N of the runs, for whitebox merge
//	whitebox merge [--json F] [--out D] DIR...
//	                                    the outputs of the unsharded reproduction from its shards
//	whitebox train <task> [flags]       one training run with checkpoints and --resume
//	whitebox eval <task> --model FILE   evaluate a saved model
//
// Run `whitebox <command> --help` for the flags and their defaults. Bad flags
// or paths print a one-line error and exit with status 2 (every output path
// is checked before training); a failed run, or a failed write of its
// metrics, exits with 1, an interrupted one (Ctrl-C) with 130 after writing
// its checkpoint. (Under `go run` both arrive as 1, with go run's own "exit
// status" line; build the binary to see them.)
//
// A shard writes its runs' records with the protocol (the flags that
// determine the results), the build and the machine to DIR/runs-I-of-N.json;
// merge checks that the shards share one protocol and build and hold every
// run exactly once, and makes the report from the records as the unsharded
// reproduction does, so the results are the same bit for bit. The scripts in
// deploy/slurm run the shards as a Slurm job array and merge them.
//
// The command holds no code of its own per experiment: each task is a
// package under tasks/ implementing tasks.Task, registered by a blank import
// in tasks.go; this package is the flags, the generic harness (runs,
// workers, progress, metrics, checkpoints, table, JSON, figures) and that
// list.
package main
