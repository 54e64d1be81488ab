package job

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"

	"github.com/monopipe/monopipe/internal/enginetest"
	"github.com/monopipe/monopipe/internal/genrepo"
	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/pipelines/plan"
)

// TestEnginePlanFromChanges (needs an engine): the plan made in the
// engine from the git folder and the working tree's changes is the host's
// plan, byte for byte, for committed, staged, modified, untracked and
// deleted files, and with a nested repository.
func TestEnginePlanFromChanges(t *testing.T) {
	ctx, client := enginetest.Connect(t, 10*time.Minute)
	dir := filepath.Join(t.TempDir(), "repo")
	if err := genrepo.Generate(dir, genrepo.Shape{Components: 60, Files: 6, Commits: 20, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	r := gittest.At(t, dir)
	r.Commit("committed", map[string]string{genrepo.Dir(1) + "/c.txt": "committed\n"})
	r.Write(map[string]string{
		genrepo.Dir(2) + "/staged.txt":    "staged\n",
		genrepo.Dir(3) + "/README.md":     "modified\n",
		genrepo.Dir(4) + "/new/u.txt":     "untracked\n",
		genrepo.Dir(5) + "/x.log":         "ignored\n",
		"services/newcomp/component.yaml": "name: newcomp\nkind: custom\n",
	})
	r.Git("add", genrepo.Dir(2)+"/staged.txt")
	if err := os.Remove(filepath.Join(dir, genrepo.Dir(6), "README.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("*.log\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	source := client.Host().Directory(dir, dagger.HostDirectoryOpts{Gitignore: true})

	want, err := plan.Make(ctx, plan.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	copyDir, u, why := partialCopy(ctx, client, source, true)
	if why != nil {
		t.Fatalf("partial copy: %v", why)
	}
	defer os.RemoveAll(copyDir)
	t.Logf("changeset: %+v", *u)
	got, err := plan.Make(ctx, plan.Options{Dir: copyDir, Uncommitted: u})
	if err != nil {
		t.Fatal(err)
	}
	samePlan(t, "from the partial copy", want, got)
	if got, err := Plan(ctx, client, source, plan.Options{}); err != nil || len(got.Components) != len(want.Components) {
		t.Errorf("Plan: %v, %d components, want %d", err, len(got.Components), len(want.Components))
	}

	// A nested repository: git lists it as one untracked folder, and
	// planning it needs the whole working tree (detect.ErrNeedsWorktree),
	// from a partial copy or the whole one, with the host's answer.
	nested := gittest.At(t, filepath.Join(dir, genrepo.Dir(7), "vendored"))
	if err := os.MkdirAll(nested.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	nested.Git("init", "-q")
	nested.Write(map[string]string{"x.go": "package x\n"})
	want, err = plan.Make(ctx, plan.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// The same path again in the same session is served from the first
	// load unless told not to.
	source = client.Host().Directory(dir, dagger.HostDirectoryOpts{Gitignore: true, NoCache: true})
	got, err = Plan(ctx, client, source, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	samePlan(t, "with a nested repository", want, got)
}

// samePlan fails t unless got is want, byte for byte, as text and JSON.
func samePlan(t *testing.T, what string, want, got *plan.Plan) {
	t.Helper()
	for _, format := range []string{"text", "json"} {
		var g, w strings.Builder
		if err := got.Write(&g, format); err != nil {
			t.Fatal(err)
		}
		if err := want.Write(&w, format); err != nil {
			t.Fatal(err)
		}
		if g.String() != w.String() {
			t.Errorf("%s: %s plan from the engine differs:\n--- host\n%s\n--- engine\n%s", what, format, w.String(), g.String())
		}
	}
}
