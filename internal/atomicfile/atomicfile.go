package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// StaleAge is the age after which any temporary file of a target (of a
// writer on another host, or of a process id since reused) is taken as
// abandoned and removed.
const StaleAge = 24 * time.Hour

// host is this machine's name as it appears in temporary file names: dots
// and anything but letters, digits and '-' become '-'.
var host = func() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "unknown"
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, h)
}()

// tempPrefix is the start of the name of every temporary file of base:
// ".<base>.tmp.".
func tempPrefix(base string) string { return "." + base + ".tmp." }

// tempName matches the rest of a temporary file name after tempPrefix:
// <host>.<pid>.<random>.
var tempName = regexp.MustCompile(`^([A-Za-z0-9-]+)\.([0-9]+)\.([0-9]+)$`)

// Write writes data to path atomically with permissions 0644. The error
// names path and is prefixed by who (a package name such as "train").
//
// The data goes to a temporary file ".<base>.tmp.<host>.<pid>.<random>" in
// the target's directory, which is synced and renamed over the target; on
// an error the temporary file is removed. A writer killed in between (kill
// -9, a crash, a lost node) leaves its temporary file behind: Write removes
// such files of the same target first: those of a process of this host
// that no longer runs, and any older than StaleAge.
func Write(who, path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	RemoveStale(path)
	f, err := os.CreateTemp(dir, tempPrefix(base)+host+"."+strconv.Itoa(os.Getpid())+".*")
	if err != nil {
		return fmt.Errorf("%s: writing %s: %w (check that the directory exists and is writable)", who, path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("%s: writing %s: %w", who, path, err)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// Persist the rename; not every system can sync a directory.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// RemoveStale removes the abandoned temporary files of the target path (see
// Write) and returns their names. Temporary files younger than StaleAge of
// running processes of this host, including this one, are kept, as are
// those of other hosts.
func RemoveStale(path string) []string {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	prefix := tempPrefix(base)
	var removed []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, prefix) {
			continue
		}
		m := tempName.FindStringSubmatch(name[len(prefix):])
		if m == nil {
			continue // another target's temporary file, or not ours
		}
		stale := false
		if m[1] == host {
			pid, err := strconv.Atoi(m[2])
			stale = err == nil && pid != os.Getpid() && !alive(pid)
		}
		if info, err := e.Info(); !stale && err == nil {
			// No write takes a day: a temporary file that old is abandoned
			// whoever's it is (process ids are reused, hosts unreachable).
			stale = time.Since(info.ModTime()) > StaleAge
		}
		if stale {
			full := filepath.Join(dir, name)
			if os.Remove(full) == nil {
				removed = append(removed, full)
			}
		}
	}
	return removed
}

// CheckWritable checks, before any long work, that Write can later write
// path: that path is not a directory and that its directory exists and
// accepts new files (a temporary file is created there and removed). The
// error names path and says what to fix.
func CheckWritable(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a directory; give a file name", path)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return fmt.Errorf("%s: directory %s does not exist; create it first", path, filepath.Clean(dir))
	}
	f, err := os.CreateTemp(dir, "."+base+".probe.*")
	if err != nil {
		return fmt.Errorf("%s: cannot create files in %s (%v); choose a writable directory", path, filepath.Clean(dir), unwrapPath(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// unwrapPath drops the *PathError's operation and path, keeping its cause.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// TempName returns the name of the temporary file that a Write of path by
// process pid of this host would use, with suffix as its random part (for
// tests that leave one behind as a killed writer would).
func TempName(path string, pid int, suffix string) string {
	dir, base := filepath.Split(path)
	return filepath.Join(dir, tempPrefix(base)+host+"."+strconv.Itoa(pid)+"."+suffix)
}
