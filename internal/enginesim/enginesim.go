// Package enginesim reproduces, with the git binary and no engine, what a
// function that plans inside a Dagger engine sees: the repository
// directory as the engine loads it (git-ignored files left out, stat data
// other than sizes and modification times lost), and the working tree's
// changes that detect.StatusScript prints there (pipelines/job runs it in
// a container that mounts the directory). Tests compare plans made from
// them with plans made from the working tree itself.
package enginesim

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/pipelines/detect"
)

// Uncommitted is what detect.StatusScript finds in the engine's copy of
// the repository at dir.
func Uncommitted(t testing.TB, dir string) detect.Uncommitted {
	t.Helper()
	loaded := filepath.Join(t.TempDir(), "loaded")
	run(t, "", "cp", "-a", dir, loaded) // new inodes and change times, same sizes and modification times
	// The engine loads the directory without git-ignored files.
	for _, p := range strings.Split(git(t, loaded, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"), "\x00") {
		if p != "" {
			if err := os.RemoveAll(filepath.Join(loaded, filepath.FromSlash(strings.TrimSuffix(p, "/")))); err != nil {
				t.Fatal(err)
			}
		}
	}
	cmd := exec.Command("sh", "-c", detect.StatusScript)
	cmd.Dir = loaded
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("status script: %v", err)
	}
	u, err := detect.ParseStatus(out)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Export makes the folder a function exports for planning from u: the git
// folder of the repository at dir and the added and modified files and
// folders.
func Export(t testing.TB, dir string, u detect.Uncommitted) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "export")
	run(t, "", "mkdir", "-p", out)
	run(t, "", "cp", "-a", filepath.Join(dir, ".git"), filepath.Join(out, ".git"))
	for _, p := range append(slices.Clone(u.Added), u.Modified...) {
		p = filepath.FromSlash(strings.TrimSuffix(p, "/")) // a folder with all below it
		dst := filepath.Join(out, p)
		run(t, "", "mkdir", "-p", filepath.Dir(dst))
		run(t, "", "cp", "-a", filepath.Join(dir, p), dst)
	}
	return out
}

func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return run(t, dir, "git", args...)
}

func run(t testing.TB, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}
