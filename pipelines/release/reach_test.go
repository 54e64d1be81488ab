package release

import (
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/internal/wanterr"
)

// TestPrepareReachable: a release tag must be on the base branch, or on a
// branch that the base branch's monopipe.yaml lists under release.branches.
func TestPrepareReachable(t *testing.T) {
	comp := map[string]string{"api/component.yaml": "name: api\nkind: go\n", "api/VERSION": "1.0.0\n"}
	tests := []struct {
		name string
		// setup makes the history on top of main's first commit (which
		// has monopipe.yaml "baseBranch: main\n" and api 1.0.0), and
		// returns the tag to release.
		setup func(r *gittest.Repo) string
		// defaultBranch is the default branch the CI host names.
		defaultBranch string
		want          string // branch
		wantErr       string
	}{
		{name: "on main", setup: func(r *gittest.Repo) string {
			r.Git("tag", "api/v1.0.0")
			r.Commit("later", map[string]string{"api/x.go": "package x\n"})
			return "api/v1.0.0"
		}, want: "main"},
		{name: "off the base branch", setup: func(r *gittest.Repo) string {
			r.Git("checkout", "-q", "-b", "feature")
			r.Commit("unreviewed", map[string]string{"api/x.go": "package evil\n"})
			r.Git("tag", "api/v1.0.0")
			r.Git("checkout", "-q", "main")
			return "api/v1.0.0"
		}, wantErr: "is not on the base branch main: a release is made only from reviewed history"},
		{name: "on a release branch that main allows", setup: func(r *gittest.Repo) string {
			r.Commit("allow backports", map[string]string{"monopipe.yaml": "baseBranch: main\nrelease:\n  branches: [\"release/*\"]\n"})
			r.Git("checkout", "-q", "-b", "release/1.x", "HEAD~1")
			r.Commit("backport", map[string]string{"api/VERSION": "1.0.1\n"})
			r.Git("tag", "api/v1.0.1")
			r.Git("checkout", "-q", "main")
			return "api/v1.0.1"
		}, want: "release/1.x"},
		{name: "release branch not allowed", setup: func(r *gittest.Repo) string {
			r.Git("checkout", "-q", "-b", "release/1.x")
			r.Commit("backport", map[string]string{"api/VERSION": "1.0.1\n"})
			r.Git("tag", "api/v1.0.1")
			r.Git("checkout", "-q", "main")
			return "api/v1.0.1"
		}, wantErr: "is not on the base branch main:"},
		{name: "the tag's own monopipe.yaml cannot allow its branch", setup: func(r *gittest.Repo) string {
			r.Git("checkout", "-q", "-b", "evil")
			r.Commit("allow myself", map[string]string{"monopipe.yaml": "baseBranch: main\nrelease:\n  branches: [\"*\"]\n", "api/VERSION": "1.0.1\n"})
			r.Git("tag", "api/v1.0.1")
			r.Git("checkout", "-q", "main")
			return "api/v1.0.1"
		}, wantErr: "is not on the base branch main:"},
		{name: "pattern matches within a segment only", setup: func(r *gittest.Repo) string {
			r.Commit("allow backports", map[string]string{"monopipe.yaml": "baseBranch: main\nrelease:\n  branches: [\"release/*\"]\n"})
			r.Git("checkout", "-q", "-b", "release/1.x/evil")
			r.Commit("backport", map[string]string{"api/VERSION": "1.0.1\n"})
			r.Git("tag", "api/v1.0.1")
			r.Git("checkout", "-q", "main")
			return "api/v1.0.1"
		}, wantErr: "or a release branch (release.branches: release/*)"},
		{name: "base branch only as origin/main", setup: func(r *gittest.Repo) string {
			r.Git("tag", "api/v1.0.0")
			r.Git("update-ref", "refs/remotes/origin/main", "HEAD")
			r.Git("checkout", "-q", "--detach")
			r.Git("branch", "-D", "main")
			return "api/v1.0.0"
		}, want: "main"},
		{name: "no base branch in the clone", setup: func(r *gittest.Repo) string {
			r.Git("tag", "api/v1.0.0")
			r.Git("checkout", "-q", "--detach")
			r.Git("branch", "-D", "main")
			return "api/v1.0.0"
		}, wantErr: "no branch main (local or remote-tracking) in the clone"},
		{name: "a branch that names itself the base branch, with the host's default branch", setup: func(r *gittest.Repo) string {
			r.Git("checkout", "-q", "-b", "evil")
			r.Commit("I am the base now", map[string]string{"monopipe.yaml": "baseBranch: evil\n", "api/VERSION": "1.0.1\n"})
			r.Git("tag", "api/v1.0.1")
			r.Git("checkout", "-q", "main")
			return "api/v1.0.1"
		}, defaultBranch: "main", wantErr: "is not on the base branch main:"},
		{name: "the default branch's monopipe.yaml names the base branch", setup: func(r *gittest.Repo) string {
			r.Git("checkout", "-q", "-b", "trunk")
			r.Git("tag", "api/v1.0.0")
			r.Git("checkout", "-q", "main")
			r.Commit("base is trunk", map[string]string{"monopipe.yaml": "baseBranch: trunk\n"})
			return "api/v1.0.0"
		}, defaultBranch: "main", want: "trunk"},
		{name: "the host's default branch is missing", setup: func(r *gittest.Repo) string {
			r.Git("tag", "api/v1.0.0")
			return "api/v1.0.0"
		}, defaultBranch: "master", wantErr: "no branch master (local or remote-tracking) in the clone"},
		{name: "the base branch does not name itself", setup: func(r *gittest.Repo) string {
			r.Git("checkout", "-q", "-b", "develop")
			r.Commit("base develop", map[string]string{"monopipe.yaml": "baseBranch: develop\n"})
			r.Git("tag", "api/v1.0.0")
			r.Git("checkout", "-q", "main")
			r.Git("branch", "-f", "develop", "main")
			return "api/v1.0.0"
		}, wantErr: "the tag's monopipe.yaml names base branch develop, but monopipe.yaml on develop names main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gittest.New(t)
			files := map[string]string{"monopipe.yaml": "baseBranch: main\n"}
			for k, v := range comp {
				files[k] = v
			}
			r.Commit("init", files)
			tag := tt.setup(r)
			rel, err := PrepareFrom(r.Dir, tag, tt.defaultBranch)
			if wanterr.Check(t, err, tt.wantErr) {
				return
			}
			if rel.Branch != tt.want {
				t.Errorf("branch = %q, want %q", rel.Branch, tt.want)
			}
		})
	}
}
