//go:build !unix

package atomicfile

// alive reports whether a process with this id may run. Without a cheap
// portable test it answers yes, so only the age rule removes temporary
// files here.
func alive(pid int) bool { return true }
