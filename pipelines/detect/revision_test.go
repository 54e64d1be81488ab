package detect

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/monopipe/monopipe/internal/gittest"
)

// revisionRepo makes a clone with history, tags of every kind, reflogs,
// upstreams and a second remote, for resolving revisions against git.
func revisionRepo(t *testing.T) *gittest.Repo {
	t.Helper()
	up := gittest.New(t)
	blobs := map[string]string{}
	for i := range 700 { // enough objects for some 4-digit abbreviations to be ambiguous
		blobs[fmt.Sprintf("many/%03d", i)] = fmt.Sprintf("blob %d\n", i)
	}
	up.Commit("first", blobs)
	up.Commit("second", map[string]string{"a.txt": "2\n"})
	up.Git("tag", "-a", "-m", "annotated", "v1")
	up.Git("tag", "-a", "-m", "tag of a tag", "nested", "v1")
	up.Git("tag", "light")
	up.Git("tag", "-a", "-m", "tag of a tree", "treetag", "HEAD^{tree}")
	up.Git("tag", "blobtag", "HEAD:a.txt")
	up.Git("checkout", "-q", "-b", "side")
	up.Commit("side work", map[string]string{"side.txt": "s\n"})
	up.Git("checkout", "-q", "main")
	up.Commit("third", map[string]string{"a.txt": "3\n"})
	up.Git("merge", "-q", "--no-ff", "-m", "merge side", "side")

	dir := filepath.Join(t.TempDir(), "work")
	up.Git("clone", "-q", "file://"+up.Dir, dir)
	r := gittest.At(t, dir)
	r.Git("fetch", "-q", "file://"+up.Dir, "+refs/heads/*:refs/remotes/fork/*")
	r.Git("config", "remote.fork.url", "file://"+up.Dir)
	r.Git("config", "remote.fork.fetch", "+refs/heads/*:refs/remotes/fork/*")
	r.Commit("local one", map[string]string{"b.txt": "1\n"})
	r.Commit("local two", map[string]string{"b.txt": "2\n"})
	r.Git("checkout", "-q", "-b", "feature")
	r.Commit("feature work", map[string]string{"f.txt": "f\n"})
	r.Git("config", "branch.feature.remote", "origin")
	r.Git("config", "branch.feature.merge", "refs/heads/main")
	r.Git("config", "branch.feature.pushRemote", "fork")
	r.Git("branch", "local", "main~1")
	r.Git("config", "branch.local.remote", ".")
	r.Git("config", "branch.local.merge", "refs/heads/main")
	r.Git("branch", "triangle", "main")
	r.Git("config", "branch.triangle.remote", "origin")
	r.Git("config", "branch.triangle.merge", "refs/heads/side")
	r.Git("config", "branch.triangle.pushRemote", "fork")
	r.Git("checkout", "-q", "main")
	r.Git("checkout", "-q", "feature")
	r.Git("checkout", "-q", "main")
	return r
}

// revParse is the oracle: git rev-parse --verify REV^{commit}.
func revParse(t *testing.T, dir, rev string) (string, bool) {
	cmd := exec.Command("git", "rev-parse", "--verify", "-q", rev+"^{commit}")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err == nil
}

func TestResolveRevisionMatchesGit(t *testing.T) {
	r := revisionRepo(t)
	g := r.Git
	revs := []string{
		"HEAD", "@", "main", "heads/main", "refs/heads/main", "origin/main", "origin", "refs/remotes/origin/main",
		"fork/side", "side", "feature", "local", "nosuch", "FETCH_HEAD", "ORIG_HEAD", "MERGE_HEAD", "fetch_head", "main..feature", "main...feature", "../config", "HEAD~1..HEAD",
		"v1", "tags/v1", "refs/tags/v1", "v1^{}", "v1^{commit}", "v1^{tag}", "v1^{tree}", "v1^0", "v1~1", "v1^{}~1",
		"nested", "nested^{}", "nested^{tag}", "light", "light^{tag}", "treetag", "treetag^{}", "blobtag",
		"HEAD~0", "HEAD~", "HEAD~1", "HEAD~2", "HEAD~3", "HEAD~4", "HEAD~5", "HEAD~10", "HEAD~99999999999999999999",
		"HEAD^", "HEAD^0", "HEAD^1", "HEAD^2", "HEAD^3", "HEAD^^", "HEAD^^2", "origin/main^2", "origin/main^2~1", "origin/main~1^2",
		"HEAD^{}", "HEAD^{object}", "HEAD^{commit}", "HEAD^{tree}", "HEAD^{blob}", "HEAD^{tag}", "HEAD^{nonsense}",
		"HEAD@{0}", "HEAD@{1}", "HEAD@{2}", "HEAD@{3}", "HEAD@{100}", "@{0}", "@{1}", "@{2}", "@{3}", "@{9}",
		"main@{1}", "main@{2}", "feature@{0}", "feature@{1}", "origin/main@{0}", "HEAD@{1}~1", "main@{1}~1",
		"@{-1}", "@{-2}", "@{-3}", "@{-99}",
		"@{u}", "@{U}", "@{upstream}", "@{UpStream}", "main@{u}", "main@{upstream}~1", "feature@{u}", "local@{u}", "side@{u}", "nosuch@{u}",
		"@{push}", "main@{push}", "HEAD@{u}", "HEAD@{push}", "refs/heads/main@{u}", "heads/main@{u}", "origin/main@{u}", "@@{u}", "feature@{push}", "triangle@{push}", "triangle@{u}", "local@{push}",
		"HEAD:a.txt", "HEAD:", ":a.txt", "main:many",
		g("rev-parse", "HEAD"), g("rev-parse", "HEAD~2"), g("rev-parse", "--short=7", "HEAD"), g("rev-parse", "--short=4", "HEAD~1"),
		strings.ToUpper(g("rev-parse", "HEAD")), g("rev-parse", "v1"), g("rev-parse", "nested"), g("rev-parse", "treetag"),
		g("rev-parse", "HEAD^{tree}"), g("rev-parse", "HEAD:a.txt"), g("rev-parse", "v1")[:10],
		"0000000000000000000000000000000000000000", "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef", "deadbeef", "abc",
		g("describe", "--tags", "--long", "HEAD"), "anything-g" + g("rev-parse", "--short=8", "HEAD~1"),
	}
	// Every abbreviation that is ambiguous among the clone's objects.
	seen := map[string]int{}
	for _, id := range strings.Fields(g("cat-file", "--batch-all-objects", "--batch-check=%(objectname)")) {
		seen[id[:4]]++
	}
	ambiguous := 0
	for prefix, n := range seen {
		if n > 1 {
			revs = append(revs, prefix, prefix+"~1")
			ambiguous++
		}
	}
	if ambiguous == 0 {
		t.Fatal("the repository has no ambiguous 4-digit abbreviation: the test needs more objects")
	}
	// What git resolves and monopipe does not support: an error saying so.
	unsupported := map[string]string{
		"HEAD@{yesterday}": "not supported", "main@{2 days ago}": "not supported",
		":/second": "not supported", "HEAD^{/second}": "not supported",
	}
	for rev := range unsupported {
		revs = append(revs, rev)
	}

	repo, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	for _, rev := range revs {
		want, ok := revParse(t, r.Dir, rev)
		c, err := repo.commit("--base", rev)
		if msg, un := unsupported[rev]; un {
			if err == nil || !strings.Contains(err.Error(), msg) {
				t.Errorf("%q: err = %v, want one saying %q", rev, err, msg)
			}
			continue
		}
		switch {
		case ok && err != nil:
			t.Errorf("%q: git resolves %s, monopipe: %v", rev, want, err)
		case !ok && err == nil:
			t.Errorf("%q: git fails, monopipe resolves %s", rev, c.Hash)
		case ok && c.Hash.String() != want:
			t.Errorf("%q: git resolves %s, monopipe %s", rev, want, c.Hash)
		}
	}
}

// TestResolveRevisionErrors checks that failures say what is wrong.
func TestResolveRevisionErrors(t *testing.T) {
	r := gittest.New(t)
	for i := range 4 {
		r.Commit(fmt.Sprint("c", i), map[string]string{"a.txt": fmt.Sprint(i)})
	}
	r.Git("tag", "-a", "-m", "t", "v1")
	repo, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	tests := []struct{ rev, want string }{
		{"HEAD~5", "--base HEAD~5: history has only 3 commits before HEAD"},
		{"HEAD~1~4", "--base HEAD~1~4: history has only 2 commits before HEAD~1"},
		{"HEAD^2", "--base HEAD^2: HEAD has 1 parent, not 2"},
		{"HEAD^{tree}", "HEAD^{tree} names a tree, not a commit"},
		{"v1^{blob}", "v1^{blob} names a blob, not a commit"},
		{"HEAD:a.txt", "names a file or folder in a tree (:a.txt), not a commit"},
		{":a.txt", "names a file in the index"},
		{"HEAD@{yesterday}", "reflog dates and other @{...} forms are not supported"},
		{"HEAD@{9}", "log for 'HEAD' only has 4 entries"},
		{"@{9}", "log for 'main' only has 4 entries"},
		{"@{u}", "no upstream configured for branch 'main'"},
		{"nosuch", "no such revision"},
		{"deadbeefdeadbeefdeadbeefdeadbeefdeadbeef", "is not in this clone"},
	}
	for _, tt := range tests {
		_, err := repo.commit("--base", tt.rev)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "--base "+tt.rev+": ") {
			t.Errorf("%s: err = %v, want --base %s: …%s…", tt.rev, err, tt.rev, tt.want)
		}
	}
	if _, err := repo.commit("--base", "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef"); !errors.Is(err, plumbing.ErrObjectNotFound) {
		t.Errorf("missing object: err = %v, want plumbing.ErrObjectNotFound", err)
	}
}

// TestResolveRevisionLinkedWorktree reads HEAD's reflog from a linked work
// tree's own folder and branch reflogs from the common one.
func TestResolveRevisionLinkedWorktree(t *testing.T) {
	r := gittest.New(t)
	r.Commit("one", map[string]string{"a": "1"})
	r.Commit("two", map[string]string{"a": "2"})
	wt := filepath.Join(t.TempDir(), "wt")
	r.Git("worktree", "add", "-q", "-b", "other", wt, "HEAD~1")
	w := gittest.At(t, wt)
	w.Commit("three", map[string]string{"a": "3"})
	w.Git("checkout", "-q", "--detach", "HEAD~1")
	repo, err := Open(wt)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	for _, rev := range []string{"HEAD@{1}", "HEAD@{2}", "@{1}", "other@{1}", "main@{1}", "main@{0}", "@{-1}"} {
		want, ok := revParse(t, wt, rev)
		c, err := repo.commit("--base", rev)
		if ok != (err == nil) || ok && c.Hash.String() != want {
			t.Errorf("%s: git %q (%v), monopipe %v %v", rev, want, ok, c, err)
		}
	}
}
