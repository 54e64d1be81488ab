package detect

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

// TestSparseCheckoutMatchesGit compares Status with git status in sparse
// checkouts: cone and non-cone, with and without a sparse index, with
// files outside the sparse set brought back onto the disk, and with
// staged changes outside it.
func TestSparseCheckoutMatchesGit(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, r *gittest.Repo)
	}{
		{"cone", func(t *testing.T, r *gittest.Repo) {
			r.Git("sparse-checkout", "set", "--cone", "a")
			r.Write(map[string]string{"a/x.go": "package a // changed\n", "a/new.go": "n\n", "top.txt": "t\n"})
		}},
		{"cone with a sparse index", func(t *testing.T, r *gittest.Repo) {
			r.Git("sparse-checkout", "set", "--cone", "--sparse-index", "a", "c/d")
			r.Write(map[string]string{"a/x.go": "package a // changed\n", "c/d/e/new.txt": "n\n"})
		}},
		{"non-cone", func(t *testing.T, r *gittest.Repo) {
			r.Git("sparse-checkout", "set", "--no-cone", "/a/", "/readme", "*.sh")
			r.Write(map[string]string{"readme": "changed\n", "b/untracked.txt": "u\n"})
		}},
		{"sparse index, a sparse folder restored on disk", func(t *testing.T, r *gittest.Repo) {
			r.Git("sparse-checkout", "set", "--cone", "--sparse-index", "a")
			r.Write(map[string]string{"b/z.txt": "changed\n", "b/new.txt": "n\n", "c/d/e/f.txt": "deep\n"})
		}},
		{"skip-worktree file back on disk, modified", func(t *testing.T, r *gittest.Repo) {
			r.Git("sparse-checkout", "set", "--cone", "a")
			r.Write(map[string]string{"b/z.txt": "changed\n", "readme": "r\n"})
		}},
		{"files outside the patterns expected", func(t *testing.T, r *gittest.Repo) {
			r.Git("sparse-checkout", "set", "--cone", "a")
			r.Git("config", "sparse.expectFilesOutsideOfPatterns", "true")
			r.Write(map[string]string{"b/z.txt": "changed\n"})
		}},
		{"staged change inside a sparse directory", func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"b/z.txt": "next\n", "b/added.txt": "a\n"})
			r.Git("add", "b")
			r.Git("commit", "-q", "-m", "next")
			r.Git("sparse-checkout", "set", "--cone", "--sparse-index", "a")
			r.Git("reset", "-q", "--soft", "HEAD~")
		}},
		{"non-cone, .gitignore left out of the working tree", func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"b/sub/s.txt": "s\n"})
			r.Git("add", "b/sub/s.txt")
			r.Git("commit", "-q", "-m", "sub")
			r.Git("sparse-checkout", "set", "--no-cone", "/b/sub/")
			r.Write(map[string]string{"b/sub/new.tmp": "ignored by b/.gitignore, from the index\n", "b/new.tmp": "also\n", "b/new.txt": "not\n"})
		}},
		{"sparse index over a name with a tab", func(t *testing.T, r *gittest.Repo) {
			r.Commit("tab", map[string]string{"b/t\tab.txt": "tab\n"})
			r.Git("sparse-checkout", "set", "--cone", "--sparse-index", "a")
			r.Write(map[string]string{"b/t\tab.txt": "back on disk\n"})
		}},
		{"sparse index after sparse-checkout disable", func(t *testing.T, r *gittest.Repo) {
			r.Git("sparse-checkout", "set", "--cone", "--sparse-index", "a")
			r.Git("sparse-checkout", "disable")
			r.Write(map[string]string{"b/z.txt": "changed\n"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newBase(t)
			tt.change(t, r)
			got := status(t, r)
			want := gitStatus(t, r)
			if len(got.Changed)+len(want) > 0 && !reflect.DeepEqual(got.Changed, want) {
				t.Errorf("Status = %q\ngit says %q", got.Changed, want)
			}
			// Present: every tracked file on disk or left out by the
			// sparse checkout, and the untracked files not ignored.
			var wantPresent []string
			for _, rec := range strings.Split(r.Git("ls-files", "-z", "-t", "--cached", "--others", "--exclude-standard"), "\x00") {
				if len(rec) < 3 {
					continue
				}
				tag, p := rec[:1], rec[2:]
				if fi, err := os.Lstat(filepath.Join(r.Dir, p)); tag == "S" || err == nil && !fi.IsDir() {
					wantPresent = append(wantPresent, p)
				}
			}
			sort.Strings(wantPresent)
			if !reflect.DeepEqual(got.Present, sortUnique(wantPresent)) {
				t.Errorf("Present = %q\nwant %q", got.Present, wantPresent)
			}
		})
	}
}

// TestSparseCheckoutPlans opens a sparse checkout (which turns on
// extensions.worktreeConfig), runs Changes, and reads files outside the
// sparse set through HeadFS, from the index.
func TestSparseCheckoutPlans(t *testing.T) {
	for _, sparseIndex := range []string{"--no-sparse-index", "--sparse-index"} {
		t.Run(sparseIndex, func(t *testing.T) {
			r := newBase(t)
			r.Write(map[string]string{"b/z.txt": "committed\n"})
			r.Git("commit", "-q", "-am", "z")
			r.Git("sparse-checkout", "set", "--cone", sparseIndex, "a")
			if _, err := os.Stat(filepath.Join(r.Dir, "b")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("b is on disk: %v", err)
			}
			repo, err := Open(r.Dir)
			if err != nil {
				t.Fatal(err)
			}
			defer repo.Close()
			res, err := repo.Changes(context.Background(), Range{Base: "HEAD~", BaseBranch: "main"})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.Paths, []string{"b/z.txt"}) {
				t.Errorf("Paths = %q, want the committed change", res.Paths)
			}
			for _, f := range []string{"b/z.txt", "c/d/e/f.txt", "a/x.go"} {
				if _, ok := searchSorted(res.Files, f); !ok {
					t.Errorf("Files lacks %s", f)
				}
			}
			fsys, err := repo.HeadFS("")
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range map[string]string{"b/z.txt": "committed\n", "c/d/e/f.txt": "deep\n", "a/x.go": "package a\n"} {
				data, err := fs.ReadFile(fsys, name)
				if err != nil || string(data) != want {
					t.Errorf("ReadFile(%s) = %q, %v; want %q", name, data, err, want)
				}
			}
			// Walking HeadFS finds every tracked file, on disk or not
			// (discovery with --all walks it).
			var walked []string
			err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if d.IsDir() && d.Name() == ".git" {
					return fs.SkipDir
				}
				if !d.IsDir() {
					walked = append(walked, p)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.Split(r.Git("ls-files"), "\n"); !reflect.DeepEqual(walked, want) {
				t.Errorf("WalkDir found %q\ngit ls-files %q", walked, want)
			}
			for _, name := range []string{"b/absent.txt", "nope/x", "c/d"} {
				if _, err := fs.ReadFile(fsys, name); err == nil {
					t.Errorf("ReadFile(%s) succeeded", name)
				}
			}
		})
	}
}

func searchSorted(s []string, v string) (int, bool) {
	i := sort.SearchStrings(s, v)
	return i, i < len(s) && s[i] == v
}

// TestUnsupportedExtensionRefused: extensions that change how objects
// or refs are stored are refused by name.
func TestUnsupportedExtensionRefused(t *testing.T) {
	r := newBase(t)
	r.Git("config", "core.repositoryformatversion", "1")
	r.Git("config", "extensions.refStorage", "reftable")
	_, err := Open(r.Dir)
	if err == nil || !strings.Contains(err.Error(), "unsupported repository extension (extensions.refstorage = reftable)") {
		t.Fatalf("err = %v", err)
	}
}
