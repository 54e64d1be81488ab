package detect

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

// forkedRepo has a branch feature that changed a/x.go, forked from main,
// which then changed b/y.go.
func forkedRepo(t *testing.T) *gittest.Repo {
	t.Helper()
	r := gittest.New(t)
	r.Commit("root", map[string]string{"a/x.go": "1\n", "b/y.go": "1\n", "c/z.go": "1\n"})
	r.Git("checkout", "-q", "-b", "feature")
	r.Commit("feature", map[string]string{"a/x.go": "2\n"})
	r.Git("checkout", "-q", "main")
	r.Commit("main moved on", map[string]string{"b/y.go": "2\n"})
	return r
}

func TestChangesExplicitBaseUsesMergeBase(t *testing.T) {
	r := forkedRepo(t)
	mainTip, featureTip := r.Git("rev-parse", "main"), r.Git("rev-parse", "feature")
	root := r.Git("rev-parse", "main~1")
	r.Git("checkout", "-q", "--orphan", "unrelated")
	r.Git("rm", "-q", "-rf", ".")
	r.Commit("unrelated", map[string]string{"u": "1\n"})
	r.Git("checkout", "-q", "main")
	tests := []struct {
		name       string
		base, head string
		paths      []string
		baseID     string
		how        string
		everything string
	}{
		{"branch name", "main", "feature", []string{"a/x.go"}, root, "merge-base of --base main and feature", ""},
		{"pull request ids", mainTip, featureTip, []string{"a/x.go"}, root, "merge-base of --base " + mainTip + " and " + featureTip, ""},
		{"ancestor: unchanged", "main~1", "main", []string{"b/y.go"}, root, "--base main~1", ""},
		{"same commit", "main", "main", nil, mainTip, "--base main", ""},
		{"head already in base", "main", "main~1", nil, root, "merge-base of --base main and main~1 (main~1 is already in main)", ""},
		{"unrelated", "unrelated", "main", nil, "", "--base unrelated", "--base unrelated and main have no common history"},
	}
	repo, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := repo.Changes(context.Background(), Range{Base: tt.base, Head: tt.head, BaseBranch: "main"})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.Paths, tt.paths) || res.Base != tt.baseID || res.BaseHow != tt.how || res.Reason != tt.everything || res.Everything != (tt.everything != "") {
				t.Errorf("got paths %v base %s how %q everything %v %q\nwant paths %v base %s how %q everything %q",
					res.Paths, res.Base, res.BaseHow, res.Everything, res.Reason, tt.paths, tt.baseID, tt.how, tt.everything)
			}
			if tt.everything == "" {
				if want := gitDiff(t, r, tt.base+"..."+tt.head); !reflect.DeepEqual(res.Paths, want) {
					t.Errorf("paths %v, git diff %s...%s says %v", res.Paths, tt.base, tt.head, want)
				}
			}
		})
	}
}

func gitDiff(t *testing.T, r *gittest.Repo, spec string) []string {
	out := r.Git("diff", "--name-only", "--no-renames", spec)
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

// TestChangesExplicitBaseShallow: when the clone's history stops before
// the branches meet, everything is selected, with a reason.
func TestChangesExplicitBaseShallow(t *testing.T) {
	r := forkedRepo(t)
	clone := filepath.Join(t.TempDir(), "clone")
	r.Git("clone", "-q", "--depth", "1", "--no-single-branch", "file://"+r.Dir, clone)
	repo, err := Open(clone)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	res, err := repo.Changes(context.Background(), Range{Base: "origin/main", Head: "origin/feature", BaseBranch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Everything || !strings.Contains(res.Reason, "shallow clone") || res.Base != "" {
		t.Errorf("shallow clone: %+v", res)
	}
}

// TestMergeBases compares with git merge-base --all, criss-cross merges
// included.
func TestMergeBases(t *testing.T) {
	r := gittest.New(t)
	r.Commit("root", map[string]string{"f": "0"})
	r.Git("branch", "b")
	r.Commit("a1", map[string]string{"a": "1"})
	r.Git("checkout", "-q", "b")
	r.Commit("b1", map[string]string{"b": "1"})
	r.Git("checkout", "-q", "main")
	r.Git("merge", "-q", "-m", "a merges b1", "b")
	r.Git("checkout", "-q", "b")
	r.Git("merge", "-q", "-m", "b merges a1", "main~1")
	r.Commit("b2", map[string]string{"b": "2"})
	r.Git("checkout", "-q", "main")
	r.Commit("a2", map[string]string{"a": "2"})
	r.Git("checkout", "-q", "-b", "c", "main~2")
	r.Commit("c1", map[string]string{"c": "1"})
	repo, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	if n := len(strings.Fields(r.Git("merge-base", "--all", "main", "b"))); n != 2 {
		t.Fatalf("main and b have %d merge-bases, want a criss-cross with 2", n)
	}
	for _, pair := range [][2]string{{"main", "b"}, {"b", "main"}, {"main", "c"}, {"c", "b"}, {"main~1", "main"}, {"main", "main~3"}, {"b~1", "main~1"}} {
		a, err := repo.commit("--base", pair[0])
		if err != nil {
			t.Fatal(err)
		}
		b, err := repo.commit("--head", pair[1])
		if err != nil {
			t.Fatal(err)
		}
		bases, cut, err := repo.mergeBases(context.Background(), a, b)
		if err != nil || cut {
			t.Fatalf("%v: %v, cut %v", pair, err, cut)
		}
		var got []string
		for _, c := range bases {
			got = append(got, c.Hash.String())
		}
		want := strings.Fields(r.Git("merge-base", "--all", pair[0], pair[1]))
		slices.Sort(got)
		slices.Sort(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("merge-base %s %s = %v, git says %v", pair[0], pair[1], got, want)
		}
	}
}

// TestChangesBaseNamedOtherwise: an annotated tag's object id is a base
// like its commit (it is in the clone), and a base past a shallow clone's
// history selects everything, saying so.
func TestChangesBaseNamedOtherwise(t *testing.T) {
	r := gittest.New(t)
	r.Commit("one", map[string]string{"a": "1\n"})
	r.Commit("two", map[string]string{"a": "2\n"})
	r.Git("tag", "-a", "-m", "release", "v1")
	r.Commit("three", map[string]string{"b": "1\n"})
	r.Commit("four", map[string]string{"c": "1\n"})
	tagObject := r.Git("rev-parse", "v1")
	repo, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	res, err := repo.Changes(context.Background(), Range{Base: tagObject, Head: "HEAD", BaseBranch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Everything || !reflect.DeepEqual(res.Paths, []string{"b", "c"}) || res.Base != r.Git("rev-parse", "v1^{commit}") {
		t.Errorf("tag object id as base: %+v", res)
	}

	clone := filepath.Join(t.TempDir(), "clone")
	r.Git("clone", "-q", "--depth", "2", "file://"+r.Dir, clone)
	shallow, err := Open(clone)
	if err != nil {
		t.Fatal(err)
	}
	defer shallow.Close()
	res, err = shallow.Changes(context.Background(), Range{Base: "HEAD~3", Head: "HEAD", BaseBranch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Everything || res.Reason != "base HEAD~3 reaches past this shallow clone's history" {
		t.Errorf("past a shallow clone's history: %+v", res)
	}
}
