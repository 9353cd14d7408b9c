// Package atomicfile writes files atomically: the data goes to a temporary
// file in the target's directory, which is synced and then renamed over the
// target, so a reader (or a crash) sees either the old file or the new one,
// never a mixture. Checkpoints, results JSON and figures are written this way.
package atomicfile
