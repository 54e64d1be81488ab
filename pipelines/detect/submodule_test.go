package detect

import (
	"context"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

// withSubmodule returns a function that makes a copy of one repository
// made by newWithSubmodule (made once: it takes many git commands).
func withSubmodule(t *testing.T) func(t *testing.T) *gittest.Repo {
	template := newWithSubmodule(t)
	return func(t *testing.T) *gittest.Repo {
		dir := t.TempDir()
		if out, err := exec.Command("cp", "-a", template.Dir+"/.", dir).CombinedOutput(); err != nil {
			t.Fatalf("copy: %v\n%s", err, out)
		}
		return gittest.At(t, dir)
	}
}

// newWithSubmodule makes base with a submodule at "sub" (a library of
// two commits that itself has a submodule at "nested"), checked out and
// committed.
func newWithSubmodule(t *testing.T) *gittest.Repo {
	t.Helper()
	nested := gittest.New(t)
	nested.Commit("n1", map[string]string{"n.txt": "n1\n"})
	nested.Commit("n2", map[string]string{"n.txt": "n2\n"})
	lib := gittest.New(t)
	lib.Commit("l1", map[string]string{"l.txt": "l1\n", "dir/d.txt": "d\n"})
	lib.Git("-c", "protocol.file.allow=always", "submodule", "add", "-q", nested.Dir, "nested")
	lib.Git("commit", "-q", "-am", "nested")
	lib.Commit("l2", map[string]string{"l.txt": "l2\n"})
	r := newBase(t)
	r.Git("-c", "protocol.file.allow=always", "submodule", "add", "-q", lib.Dir, "sub")
	r.Git("-c", "protocol.file.allow=always", "submodule", "update", "-q", "--init", "--recursive")
	r.Git("commit", "-q", "-am", "submodule")
	return r
}

// gitStatusArgs is gitStatus with more arguments for git status.
func gitStatusArgs(t *testing.T, r *gittest.Repo, args ...string) []string {
	out := r.GitRaw(append([]string{"-c", "core.quotePath=false", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"}, args...)...)
	var paths []string
	for _, rec := range strings.Split(out, "\x00") {
		if len(rec) > 3 {
			paths = append(paths, rec[3:])
		}
	}
	sort.Strings(paths)
	return slices.Compact(paths)
}

func TestSubmodulesMatchGit(t *testing.T) {
	sub := func(r *gittest.Repo) *gittest.Repo { return gittest.At(t, filepath.Join(r.Dir, "sub")) }
	nested := func(r *gittest.Repo) *gittest.Repo { return gittest.At(t, filepath.Join(r.Dir, "sub", "nested")) }
	commitConfig := func(r *gittest.Repo, key, value string) {
		r.Git("config", "-f", ".gitmodules", key, value)
		r.Git("commit", "-q", "-am", "gitmodules")
	}
	tests := []struct {
		name   string
		change func(t *testing.T, r *gittest.Repo)
	}{
		{"clean", func(t *testing.T, r *gittest.Repo) {}},
		{"other commit checked out", func(t *testing.T, r *gittest.Repo) { sub(r).Git("checkout", "-q", "HEAD~") }},
		{"untracked file inside", func(t *testing.T, r *gittest.Repo) { sub(r).Write(map[string]string{"new.txt": "n\n"}) }},
		{"modified file inside", func(t *testing.T, r *gittest.Repo) { sub(r).Write(map[string]string{"dir/d.txt": "changed\n"}) }},
		{"staged file inside", func(t *testing.T, r *gittest.Repo) {
			sub(r).Write(map[string]string{"dir/d.txt": "changed\n"})
			sub(r).Git("add", "dir/d.txt")
			sub(r).Write(map[string]string{"dir/d.txt": "d\n"})
		}},
		{"folder deleted", func(t *testing.T, r *gittest.Repo) { r.Remove("sub") }},
		{"not initialized", func(t *testing.T, r *gittest.Repo) {
			r.Git("submodule", "deinit", "-q", "-f", "sub")
		}},
		{"staged gitlink change", func(t *testing.T, r *gittest.Repo) {
			sub(r).Git("checkout", "-q", "HEAD~")
			r.Git("add", "sub")
		}},
		{"nested submodule moved", func(t *testing.T, r *gittest.Repo) { nested(r).Git("checkout", "-q", "HEAD~") }},
		{"nested submodule with untracked content, sub ignores untracked", func(t *testing.T, r *gittest.Repo) {
			nested(r).Write(map[string]string{"u.txt": "u\n"})
			commitConfig(r, "submodule.sub.ignore", "untracked")
		}},
		{"nested submodule with untracked content", func(t *testing.T, r *gittest.Repo) {
			nested(r).Write(map[string]string{"u.txt": "u\n"})
		}},
		{"nested submodule ignored by the sub's config", func(t *testing.T, r *gittest.Repo) {
			nested(r).Git("checkout", "-q", "HEAD~")
			sub(r).Git("config", "submodule.nested.ignore", "all")
		}},
		{".gitmodules ignore=untracked, untracked content", func(t *testing.T, r *gittest.Repo) {
			commitConfig(r, "submodule.sub.ignore", "untracked")
			sub(r).Write(map[string]string{"new.txt": "n\n"})
		}},
		{".gitmodules ignore=untracked, modified content", func(t *testing.T, r *gittest.Repo) {
			commitConfig(r, "submodule.sub.ignore", "untracked")
			sub(r).Write(map[string]string{"l.txt": "m\n"})
		}},
		{"config ignore=dirty, modified content", func(t *testing.T, r *gittest.Repo) {
			r.Git("config", "submodule.sub.ignore", "dirty")
			sub(r).Write(map[string]string{"l.txt": "m\n"})
		}},
		{"config ignore=dirty, other commit", func(t *testing.T, r *gittest.Repo) {
			r.Git("config", "submodule.sub.ignore", "dirty")
			sub(r).Git("checkout", "-q", "HEAD~")
		}},
		{"config ignore=all, other commit", func(t *testing.T, r *gittest.Repo) {
			r.Git("config", "submodule.sub.ignore", "all")
			sub(r).Git("checkout", "-q", "HEAD~")
		}},
		{"config ignore=all, folder deleted", func(t *testing.T, r *gittest.Repo) {
			r.Git("config", "submodule.sub.ignore", "all")
			r.Remove("sub")
		}},
		{"config none overrides .gitmodules all", func(t *testing.T, r *gittest.Repo) {
			commitConfig(r, "submodule.sub.ignore", "all")
			r.Git("config", "submodule.sub.ignore", "none")
			sub(r).Write(map[string]string{"new.txt": "n\n"})
		}},
		{"diff.ignoreSubmodules=all", func(t *testing.T, r *gittest.Repo) {
			r.Git("config", "diff.ignoreSubmodules", "all")
			sub(r).Git("checkout", "-q", "HEAD~")
		}},
		{"diff.ignoreSubmodules=untracked", func(t *testing.T, r *gittest.Repo) {
			r.Git("config", "diff.ignoreSubmodules", "untracked")
			sub(r).Write(map[string]string{"new.txt": "n\n"})
		}},
		{"submodule setting overrides diff.ignoreSubmodules", func(t *testing.T, r *gittest.Repo) {
			r.Git("config", "diff.ignoreSubmodules", "all")
			r.Git("config", "submodule.sub.ignore", "none")
			sub(r).Write(map[string]string{"new.txt": "n\n"})
		}},
	}
	repo := withSubmodule(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := repo(t)
			tt.change(t, r)
			checkStatus(t, r, false)
		})
	}
}

// TestSubmodulesOverride checks Range.IgnoreSubmodules against git
// status --ignore-submodules, which also beats the configuration.
func TestSubmodulesOverride(t *testing.T) {
	repo := withSubmodule(t)
	for _, change := range []string{"moved", "modified", "untracked", "staged"} {
		t.Run(change, func(t *testing.T) {
			t.Parallel()
			r := repo(t)
			r.Git("config", "submodule.sub.ignore", "all") // the override wins over it
			s := gittest.At(t, filepath.Join(r.Dir, "sub"))
			switch change {
			case "moved":
				s.Git("checkout", "-q", "HEAD~")
			case "modified":
				s.Write(map[string]string{"l.txt": "m\n"})
			case "untracked":
				s.Write(map[string]string{"u.txt": "u\n"})
			case "staged":
				s.Git("checkout", "-q", "HEAD~")
				r.Git("add", "sub")
			}
			repo, err := Open(r.Dir)
			if err != nil {
				t.Fatal(err)
			}
			defer repo.Close()
			head, err := repo.commit("--head", "HEAD")
			if err != nil {
				t.Fatal(err)
			}
			for _, mode := range []string{SubmodulesNone, SubmodulesUntracked, SubmodulesDirty, SubmodulesAll} {
				sc := startScan(repo.GitDir(), repo.Root(), mode, false)
				staged, err := sc.staged(repo.Git(), head)
				if err != nil {
					t.Fatal(err)
				}
				wt, err := sc.wait()
				if err != nil {
					t.Fatal(err)
				}
				got := sortUnique(append(staged, wt.Changed...))
				want := gitStatusArgs(t, r, "--ignore-submodules="+mode)
				if len(got)+len(want) > 0 && !reflect.DeepEqual(got, want) {
					t.Errorf("%s: Status = %q\ngit says %q", mode, got, want)
				}
			}
		})
	}
}

func TestIgnoreSubmodulesInvalid(t *testing.T) {
	r := newBase(t)
	repo, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	_, err = repo.Changes(context.Background(), Range{BaseBranch: "main", IgnoreSubmodules: "some"})
	if err == nil || !strings.Contains(err.Error(), `ignore submodules "some": want none, untracked, dirty or all`) {
		t.Fatalf("err = %v", err)
	}
}
