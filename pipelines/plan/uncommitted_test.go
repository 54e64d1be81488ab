package plan

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/monopipe/monopipe/internal/enginesim"
	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/pipelines/detect"
)

// sameAsEngine plans again from what a Dagger engine gives a function (the
// changeset of the working tree and an export of .git and the changed
// files, see internal/enginesim) and fails unless the plan is the one
// made from the working tree, byte for byte in every format.
func sameAsEngine(t *testing.T, opts Options, want *Plan) {
	t.Helper()
	u := enginesim.Uncommitted(t, opts.Dir)
	opts.Dir = enginesim.Export(t, opts.Dir, u)
	opts.Uncommitted = &u
	got, err := Make(context.Background(), opts)
	if err != nil {
		t.Fatalf("plan from the changeset %+v: %v", u, err)
	}
	for _, format := range []string{"text", "json"} {
		if g, w := render(t, got, format), render(t, want, format); g != w {
			t.Errorf("plan from the changeset %+v differs (%s):\n--- working tree\n%s\n--- changeset\n%s", u, format, w, g)
		}
	}
}

func render(t *testing.T, p *Plan, format string) string {
	t.Helper()
	var b writerString
	if err := p.Write(&b, format); err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type writerString []byte

func (w *writerString) Write(p []byte) (int, error) { *w = append(*w, p...); return len(p), nil }

// TestUncommittedMatchesWorktree plans working-tree changes of every kind
// both ways: from the working tree, and from the engine's changeset.
func TestUncommittedMatchesWorktree(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, r *gittest.Repo)
		opts  Options
	}{
		{name: "clean working tree", setup: func(t *testing.T, r *gittest.Repo) {}},
		{name: "modified, untracked, ignored, staged and deleted files", setup: func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{
				"tools/cli/main.go": "package main // edited\n", "libs/proto/new.sh": "new\n",
				"services/web/x.log": "ignored\n", "services/api/admin/a.go": "package main\n",
			})
			r.Git("add", "services/api/admin/a.go")
			r.Remove("libs/greet/greet.go")
		}},
		{name: "a staged change reverted in the working tree", setup: func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"tools/cli/main.go": "package main // staged\n"})
			r.Git("add", "tools/cli/main.go")
			r.Write(map[string]string{"tools/cli/main.go": fixture["tools/cli/main.go"]})
		}},
		{name: "a staged deletion of a file still on disk", setup: func(t *testing.T, r *gittest.Repo) {
			r.Git("rm", "-q", "--cached", "tools/cli/main.go")
		}},
		{name: "an untracked component", setup: func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"tools/new/component.yaml": "name: new\nkind: go\ndependsOn: [greet]\n", "tools/new/deep/x/main.go": "package main\n"})
		}},
		{name: "a manifest edited: a new dependency", setup: func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"tools/cli/component.yaml": "name: cli\nkind: go\ndependsOn: [api]\n"})
		}},
		{name: "workspace settings edited", setup: func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"monopipe.yaml": "global: [go.work, tools.go]\nignore: [\"**/*.md\"]\n"})
		}},
		{name: "a component folder removed", setup: func(t *testing.T, r *gittest.Repo) {
			if err := os.RemoveAll(filepath.Join(r.Dir, "services/web")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a component folder moved", setup: func(t *testing.T, r *gittest.Repo) {
			if err := os.Rename(filepath.Join(r.Dir, "tools/cli"), filepath.Join(r.Dir, "tools/cli2")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "an executable bit set", setup: func(t *testing.T, r *gittest.Repo) {
			if err := os.Chmod(filepath.Join(r.Dir, "libs/proto/gen.sh"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a change to an input outside the folder", setup: func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"shared/protos/a.proto": "syntax = \"proto3\"; // 2\n"})
		}},
		{name: "an ignored file only", setup: func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"services/web/x.log": "ignored\n"})
		}},
		{name: "a global file changed", setup: func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"go.work": "go 1.26.1\n"})
		}},
		{name: "--all with an untracked component", opts: Options{All: true}, setup: func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"tools/new/component.yaml": "name: new\nkind: go\n"})
		}},
		{name: "digests of changed and unchanged components", opts: Options{All: true, Digest: true}, setup: func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"tools/cli/main.go": "package main // edited\n", "libs/proto/new.sh": "new\n"})
			r.Remove("services/api/main.go")
		}},
		{name: "a sparse checkout", setup: func(t *testing.T, r *gittest.Repo) {
			r.Git("sparse-checkout", "set", "--cone", "tools", "libs/greet")
			r.Write(map[string]string{"tools/cli/main.go": "package main // edited\n"})
		}},
		{name: "a sparse index with a staged change outside the cone", setup: func(t *testing.T, r *gittest.Repo) {
			r.Git("sparse-checkout", "set", "--cone", "--sparse-index", "tools")
			r.Git("update-index", "--no-skip-worktree", "libs/greet/greet.go")
			r.Write(map[string]string{"libs/greet/greet.go": "package greet // staged outside\n"})
			r.Git("add", "--sparse", "libs/greet/greet.go")
		}},
		{name: "a merge conflict", setup: func(t *testing.T, r *gittest.Repo) {
			r.Git("checkout", "-q", "-b", "other", "HEAD~1")
			r.Commit("other", map[string]string{"tools/cli/main.go": "package main // other\n"})
			r.Git("checkout", "-q", "main")
			r.Commit("mine", map[string]string{"tools/cli/main.go": "package main // mine\n"})
			if out, err := exec.Command("git", "-C", r.Dir, "merge", "-q", "other").CombinedOutput(); err == nil {
				t.Fatalf("merge did not conflict: %s", out)
			}
		}},
		{name: "a link to an unchanged file", setup: func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"tools/cli/main.go": "package main // edited\n"})
			if err := os.Symlink("greet.go", filepath.Join(r.Dir, "libs/greet/link.go")); err != nil {
				t.Fatal(err)
			}
			r.Git("add", "libs/greet/link.go")
			r.Git("commit", "-q", "-m", "link")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newFixture(t)
			r.Commit("second", map[string]string{"tools/cli/x.go": "package main\n"})
			tt.setup(t, r)
			opts := tt.opts
			opts.Dir = r.Dir
			want, err := Make(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			sameAsEngine(t, opts, want)
		})
	}
}

// TestUncommittedGitFolder: paths in the git folder, which a changeset
// of the repository directory may list, are not working-tree changes.
func TestUncommittedGitFolder(t *testing.T) {
	r := newFixture(t)
	r.Write(map[string]string{"tools/cli/main.go": "package main // edited\n"})
	want, err := Make(context.Background(), Options{Dir: r.Dir})
	if err != nil {
		t.Fatal(err)
	}
	u := enginesim.Uncommitted(t, r.Dir)
	dir := enginesim.Export(t, r.Dir, u)
	u.Modified = append(u.Modified, ".git/index")
	u.Removed = append(u.Removed, ".git/logs/")
	got, err := Make(context.Background(), Options{Dir: dir, Uncommitted: &u})
	if err != nil {
		t.Fatal(err)
	}
	if g, w := render(t, got, "json"), render(t, want, "json"); g != w {
		t.Errorf("with git-folder paths in the changeset:\n%s\nwant\n%s", g, w)
	}
}

// TestUncommittedNeedsWorktree: where a changeset cannot give git's
// answer, planning from it fails with detect.ErrNeedsWorktree (the job
// then plans from the whole working tree) rather than answer wrongly.
func TestUncommittedNeedsWorktree(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, r *gittest.Repo) detect.Uncommitted
	}{
		{name: "a submodule", setup: func(t *testing.T, r *gittest.Repo) detect.Uncommitted {
			sub := gittest.New(t)
			sub.Commit("sub", map[string]string{"f": "1\n"})
			r.Git("-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.Dir, "vendor/sub")
			r.Git("commit", "-q", "-m", "submodule")
			return enginesim.Uncommitted(t, r.Dir)
		}},
		{name: "an untracked nested repository listed as a folder", setup: func(t *testing.T, r *gittest.Repo) detect.Uncommitted {
			nested := gittest.At(t, filepath.Join(r.Dir, "tools/nested"))
			if err := os.MkdirAll(nested.Dir, 0o755); err != nil {
				t.Fatal(err)
			}
			nested.Git("init", "-q")
			nested.Write(map[string]string{"component.yaml": "name: nested\nkind: go\n"})
			return detect.Uncommitted{Added: []string{"tools/nested/"}}
		}},
		{name: "an unchanged link to a changed file", setup: func(t *testing.T, r *gittest.Repo) detect.Uncommitted {
			if err := os.Symlink("greet.go", filepath.Join(r.Dir, "libs/greet/link.go")); err != nil {
				t.Fatal(err)
			}
			r.Git("add", "libs/greet/link.go")
			r.Git("commit", "-q", "-m", "link")
			r.Write(map[string]string{"libs/greet/greet.go": "package greet // edited\n"})
			return enginesim.Uncommitted(t, r.Dir)
		}},
		{name: "a changed link", setup: func(t *testing.T, r *gittest.Repo) detect.Uncommitted {
			if err := os.Symlink("main.go", filepath.Join(r.Dir, "tools/cli/link.go")); err != nil {
				t.Fatal(err)
			}
			return enginesim.Uncommitted(t, r.Dir)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newFixture(t)
			u := tt.setup(t, r)
			dir := r.Dir
			if len(u.Added) == 0 || u.Added[0] != "tools/nested/" {
				dir = enginesim.Export(t, r.Dir, u)
			}
			_, err := Make(context.Background(), Options{Dir: dir, Uncommitted: &u})
			if !errors.Is(err, detect.ErrNeedsWorktree) {
				t.Fatalf("err = %v, want detect.ErrNeedsWorktree", err)
			}
		})
	}
}
