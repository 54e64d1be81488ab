// Package enginesim reproduces, with the git binary and no engine, what a
// Dagger v0.21.8 engine hands a function that plans from
// GitRepository.uncommitted: the changeset between the repository
// directory (git-ignored files left out, as a +defaultPath directory is
// loaded) and the same directory with its uncommitted changes discarded
// (core/git_local.go: git restore --staged, git restore, git clean -fd),
// listed as core/changeset_delta.go lists it (folders with a trailing "/",
// removed folders collapsed, mode and link-target changes as
// modifications). Tests compare plans made from it with plans made from
// the working tree itself.
package enginesim

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/pipelines/detect"
)

// Uncommitted is the engine's changeset for the repository at dir.
func Uncommitted(t testing.TB, dir string) detect.Uncommitted {
	t.Helper()
	tmp := t.TempDir()
	dirty := filepath.Join(tmp, "dirty")
	clean := filepath.Join(tmp, "clean")
	run(t, "", "cp", "-a", dir, dirty)
	// The engine loads the directory without git-ignored files.
	for _, p := range strings.Split(git(t, dirty, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"), "\x00") {
		if p != "" {
			if err := os.RemoveAll(filepath.Join(dirty, filepath.FromSlash(strings.TrimSuffix(p, "/")))); err != nil {
				t.Fatal(err)
			}
		}
	}
	run(t, "", "cp", "-a", dirty, clean)
	index := filepath.Join(tmp, "index")
	run(t, "", "cp", filepath.Join(clean, ".git", "index"), index)
	for _, args := range [][]string{{"restore", "--staged", "."}, {"restore", "."}, {"clean", "-fd"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = clean, append(os.Environ(), "GIT_INDEX_FILE="+index)
		if out, err := cmd.CombinedOutput(); err != nil && !bytes.Contains(out, []byte("did not match any file")) {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	before, after := listTree(t, clean), listTree(t, dirty)
	var u detect.Uncommitted
	for p, a := range after {
		b, ok := before[p]
		switch {
		case !ok:
			u.Added = append(u.Added, p)
		case a != b:
			if strings.HasSuffix(p, "/") {
				continue
			}
			u.Modified = append(u.Modified, p)
		}
	}
	var removed []string
	for p := range before {
		if _, ok := after[p]; !ok {
			removed = append(removed, p)
		}
	}
	slices.Sort(removed)
	for _, p := range removed { // collapsed below removed folders
		if n := len(u.Removed); n == 0 || !strings.HasSuffix(u.Removed[n-1], "/") || !strings.HasPrefix(p, u.Removed[n-1]) {
			u.Removed = append(u.Removed, p)
		}
	}
	slices.Sort(u.Added)
	slices.Sort(u.Modified)
	return u
}

// listTree maps each path below root (not .git; folders with a trailing
// "/") to what the engine compares: a file's executable bit and content,
// a link's target.
func listTree(t testing.TB, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ".":
			return nil
		case rel == ".git":
			return filepath.SkipDir
		case d.IsDir():
			out[rel+"/"] = "dir"
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			out[rel] = "link:" + target
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		out[rel] = fi.Mode().Perm().String()[3:4] + string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Export makes the folder a function exports for planning from u: the git
// folder of the repository at dir and the added and modified files.
func Export(t testing.TB, dir string, u detect.Uncommitted) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "export")
	run(t, "", "mkdir", "-p", out)
	run(t, "", "cp", "-a", filepath.Join(dir, ".git"), filepath.Join(out, ".git"))
	for _, p := range append(slices.Clone(u.Added), u.Modified...) {
		dst := filepath.Join(out, filepath.FromSlash(strings.TrimSuffix(p, "/")))
		if strings.HasSuffix(p, "/") {
			run(t, "", "mkdir", "-p", dst)
			continue
		}
		run(t, "", "mkdir", "-p", filepath.Dir(dst))
		run(t, "", "cp", "-a", filepath.Join(dir, filepath.FromSlash(p)), dst)
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
