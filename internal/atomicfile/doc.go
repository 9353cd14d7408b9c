// Package atomicfile writes files atomically: the data goes to a temporary
// file in the target's directory, which is synced and then renamed over the
// target, so a reader (or a crash) sees either the old file or the new one,
// never a mixture. Checkpoints, results JSON and figures are written this way.
//
// A writer killed before its rename leaves its temporary file behind. Its
// name, ".<base>.tmp.<host>.<pid>.<random>", says whose it is, and the next
// Write of the same target removes it once that process no longer runs, or
// once it is older than StaleAge (another host's file, a reused process id). CheckWritable
// lets a command check an output path before hours of work.
package atomicfile
