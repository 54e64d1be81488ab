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
// deleted files; and a nested repository makes the partial copy step
// aside for the whole one.
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
	for _, format := range []string{"text", "json"} {
		var g, w strings.Builder
		if err := got.Write(&g, format); err != nil {
			t.Fatal(err)
		}
		if err := want.Write(&w, format); err != nil {
			t.Fatal(err)
		}
		if g.String() != w.String() {
			t.Errorf("%s plan from the engine differs:\n--- host\n%s\n--- engine\n%s", format, w.String(), g.String())
		}
	}
	if got, err := Plan(ctx, client, source, plan.Options{}); err != nil || len(got.Components) != len(want.Components) {
		t.Errorf("Plan: %v, %d components, want %d", err, len(got.Components), len(want.Components))
	}

	nested := gittest.At(t, filepath.Join(dir, genrepo.Dir(7), "vendored"))
	if err := os.MkdirAll(nested.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	nested.Git("init", "-q")
	// The same path again in the same session is served from the first
	// load unless told not to.
	source = client.Host().Directory(dir, dagger.HostDirectoryOpts{Gitignore: true, NoCache: true})
	if _, _, why := partialCopy(ctx, client, source, true); why == nil || !strings.Contains(why.Error(), "nested repository") {
		t.Errorf("partial copy with a nested repository: %v, want it refused", why)
	}
}
