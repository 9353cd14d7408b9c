// Command whitebox trains regularized neural differential equations and
// reproduces the experiments of Pal et al., "Opening the Blackbox" (ICML
// 2021).
//
//	whitebox help [command]
//	whitebox reproduce <task> [flags]   train every method for several seeds; print a table, write JSON and figures
//	whitebox train <task> [flags]       one training run with checkpoints and --resume
//
// Run `whitebox <command> --help` for the flags and their defaults. Bad flags
// or paths print a one-line error and exit with status 2; a failed run exits
// with 1, an interrupted one (Ctrl-C) with 130 after writing its checkpoint.
package main
