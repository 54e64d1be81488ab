package detect

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

// TestSplitIndexMatchesGit reads split indexes (entries deleted,
// replaced and added over the shared index) and compares the entries
// with git ls-files and the status with git status.
func TestSplitIndexMatchesGit(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, r *gittest.Repo)
	}{
		{"just split", func(t *testing.T, r *gittest.Repo) {}},
		{"entries replaced, deleted and added", func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"a/x.go": "package a // staged\n", "new/n.txt": "n\n", "0first": "f\n"})
			r.Git("add", "a/x.go", "new/n.txt", "0first")
			r.Git("rm", "-q", "--cached", "readme")
			r.Write(map[string]string{"c/d/e/f.txt": "worktree change\n", "u.txt": "untracked\n"})
		}},
		{"many entries, then a change", func(t *testing.T, r *gittest.Repo) {
			files := map[string]string{}
			for i := 0; i < 200; i++ {
				files[fmt.Sprintf("many/f%03d.txt", i)] = fmt.Sprint(i)
			}
			r.Write(files)
			r.Git("add", "many")
			r.Git("commit", "-q", "-m", "many")
			r.Git("update-index", "--split-index") // a new shared index with them
			r.Git("rm", "-q", "--cached", "many/f100.txt", "many/f150.txt")
			r.Write(map[string]string{"many/f199.txt": "changed"})
			r.Git("add", "many/f199.txt")
		}},
		{"index version 4", func(t *testing.T, r *gittest.Repo) {
			r.Git("update-index", "--index-version", "4")
			r.Write(map[string]string{"a/y.go": "package a // v4\n", "b/new.txt": "n\n"})
			r.Git("add", "a/y.go", "b/new.txt")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newBase(t)
			r.Git("config", "splitIndex.maxPercentChange", "100") // keep the split
			r.Git("update-index", "--split-index")
			tt.change(t, r)
			if m, _ := filepath.Glob(filepath.Join(r.Dir, ".git", "sharedindex.*")); len(m) == 0 {
				t.Fatal("no shared index written")
			}
			idx, err := readIndex(filepath.Join(r.Dir, ".git", "index"))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range idx.entries {
				got = append(got, fmt.Sprintf("%o %s %d\t%s", uint32(e.mode), e.hash, e.stage, e.name))
			}
			if want := r.Git("ls-files", "-s"); strings.Join(got, "\n") != want {
				t.Errorf("entries:\n%s\ngit ls-files -s:\n%s", strings.Join(got, "\n"), want)
			}
			checkStatus(t, r, true)
		})
	}
}
