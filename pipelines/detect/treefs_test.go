package detect

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/monopipe/monopipe/internal/gittest"
)

// symlinkRepo commits manifests reached through symbolic links of every
// kind, and links that must fail.
func symlinkRepo(t *testing.T) *gittest.Repo {
	t.Helper()
	r := gittest.New(t)
	r.Write(map[string]string{
		"comp/real.yaml":    "name: real\n",
		"comp/sub/deep.txt": "deep\n",
		"e/sub/f.txt":       "f\n",
		"plain.txt":         "plain\n",
	})
	links := map[string]string{
		"a/component.yaml":    "../comp/real.yaml",               // to a file
		"b/component.yaml":    "../a/component.yaml",             // a chain
		"lib":                 "comp",                            // to a folder
		"c/component.yaml":    "../lib/real.yaml",                // through a linked folder
		"e/component.yaml":    "sub/../../comp/./real.yaml",      // dots
		"f/component.yaml":    "../lib/sub/../real.yaml",         // .. after a linked folder is physical
		"g/component.yaml":    "../lib",                          // a folder where a file is expected
		"out/component.yaml":  "../../outside.yaml",              // leaves the repository
		"abs/component.yaml":  "/etc/hostname",                   // absolute
		"loop/component.yaml": "component.yaml",                  // loops
		"dang/component.yaml": "nothing.yaml",                    // dangling
		"h/component.yaml":    "../plain.txt/x",                  // a file used as a folder
		"i/component.yaml":    "../lib/../lib/../comp/real.yaml", // many hops
	}
	for link, target := range links {
		full := filepath.Join(r.Dir, link)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, full); err != nil {
			t.Fatal(err)
		}
	}
	r.Git("add", "-A")
	r.Git("commit", "-q", "-m", "links")
	return r
}

// TestTreeFSSymlinks reads every path through TreeFS at HEAD and from the
// working tree: the same bytes, or for links that leave the repository or
// loop, an error that names the link.
func TestTreeFSSymlinks(t *testing.T) {
	r := symlinkRepo(t)
	fsys := headFS(t, r.Dir, "HEAD")
	work := os.DirFS(r.Dir)
	for _, name := range []string{"a/component.yaml", "b/component.yaml", "c/component.yaml", "e/component.yaml",
		"f/component.yaml", "i/component.yaml", "lib/real.yaml", "lib/sub/deep.txt", "dang/component.yaml", "h/component.yaml", "g/component.yaml"} {
		want, werr := fs.ReadFile(work, name)
		got, gerr := fs.ReadFile(fsys, name)
		if string(got) != string(want) || (werr == nil) != (gerr == nil) || errors.Is(werr, fs.ErrNotExist) != errors.Is(gerr, fs.ErrNotExist) {
			t.Errorf("%s: tree %q, %v; working tree %q, %v", name, got, gerr, want, werr)
		}
	}
	for name, want := range map[string]string{
		"out/component.yaml":  "symbolic link out/component.yaml points outside the repository (../../outside.yaml)",
		"abs/component.yaml":  "symbolic link abs/component.yaml points outside the repository (/etc/hostname)",
		"loop/component.yaml": "symbolic link loop/component.yaml: too many levels of symbolic links",
	} {
		if _, err := fs.ReadFile(fsys, name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", name, err, want)
		}
	}
	// A linked folder lists like the folder.
	entries, err := fs.ReadDir(fsys, "lib")
	if err != nil || len(entries) != 2 || entries[0].Name() != "real.yaml" || entries[1].Name() != "sub" {
		t.Errorf("ReadDir(lib) = %v, %v", entries, err)
	}
	// The content id of a linked manifest is its target's (the manifest
	// cache keys on it).
	bt := fsys.(interface {
		BlobID(string) (plumbing.Hash, bool)
	})
	h, ok := bt.BlobID("b/component.yaml")
	if want := r.Git("rev-parse", "HEAD:comp/real.yaml"); !ok || h.String() != want {
		t.Errorf("BlobID(b/component.yaml) = %s, %v; want %s", h, ok, want)
	}
}

// TestTreeFSSymlinksFSTest runs fstest over a tree whose links all resolve.
func TestTreeFSSymlinksFSTest(t *testing.T) {
	r := symlinkRepo(t)
	r.Git("rm", "-q", "out/component.yaml", "abs/component.yaml", "loop/component.yaml", "dang/component.yaml", "h/component.yaml", "g/component.yaml")
	r.Git("commit", "-q", "-m", "only links that resolve")
	fsys := headFS(t, r.Dir, "HEAD")
	if err := fstest.TestFS(fsys, "a/component.yaml", "b/component.yaml", "comp/real.yaml", "comp/sub/deep.txt", "plain.txt"); err != nil {
		t.Error(err)
	}
}

// TestTreeFSMissingBlob reads a manifest whose blob a partial clone has not
// fetched: the error names the file and says what is missing.
func TestTreeFSMissingBlob(t *testing.T) {
	up := gittest.New(t)
	up.Commit("one", map[string]string{"a/component.yaml": "name: a\n"})
	up.Commit("two", map[string]string{"a/component.yaml": "name: a\nkind: custom\n"})
	up.Git("config", "uploadpack.allowFilter", "true")
	clone := filepath.Join(t.TempDir(), "clone")
	up.Git("clone", "-q", "--filter=blob:none", "file://"+up.Dir, clone)
	repo, err := Open(clone)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	fsys, err := repo.HeadFS("HEAD~1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = fs.ReadFile(fsys, "a/component.yaml")
	if !errors.Is(err, ErrMissingObject) || !strings.Contains(err.Error(), "a/component.yaml") || errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want ErrMissingObject naming a/component.yaml", err)
	}
	// What the clone has reads as usual.
	head, err := repo.HeadFS("HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if data, err := fs.ReadFile(head, "a/component.yaml"); err != nil || string(data) != "name: a\nkind: custom\n" {
		t.Errorf("HEAD: %q, %v", data, err)
	}
}

// TestChangesMissingTree: a treeless partial clone that has not fetched
// the trees to compare says so rather than "object not found".
func TestChangesMissingTree(t *testing.T) {
	up := gittest.New(t)
	up.Commit("one", map[string]string{"a/x": "1\n"})
	up.Commit("two", map[string]string{"a/x": "2\n"})
	up.Git("config", "uploadpack.allowFilter", "true")
	clone := filepath.Join(t.TempDir(), "clone")
	up.Git("clone", "-q", "--filter=tree:0", "--no-checkout", "file://"+up.Dir, clone)
	repo, err := Open(clone)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	_, err = repo.Changes(context.Background(), Range{Base: "HEAD~1", Head: "HEAD", BaseBranch: "main"})
	if !errors.Is(err, ErrMissingObject) {
		t.Errorf("Changes: err = %v, want ErrMissingObject", err)
	}
	if _, err := repo.HeadFS("HEAD"); !errors.Is(err, ErrMissingObject) || !strings.HasPrefix(err.Error(), "--head HEAD: read tree") {
		t.Errorf("HeadFS: err = %v, want ErrMissingObject", err)
	}
}

// headFS opens the repository at dir and returns its HeadFS(head),
// closing the repository when the test ends.
func headFS(t *testing.T, dir, head string) fs.FS {
	t.Helper()
	repo, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	fsys, err := repo.HeadFS(head)
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}
