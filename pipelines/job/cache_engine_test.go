package job

import (
	"context"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"

	"github.com/monopipe/monopipe/internal/enginetest"
	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/internal/ocitest"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/report"
	"github.com/monopipe/monopipe/pipelines/resultcache"
)

// TestEngineResultCache builds on a real engine with a shared result cache
// in an in-process registry: build --all with an empty cache writes an
// entry per component; a second build with the same cache runs no build or
// test step (every component cached (remote)); a change to app misses only
// app, which builds with lib's files from the cache; a change to lib misses
// lib and app (its dependent), solo stays a hit. It runs when
// _EXPERIMENTAL_DAGGER_RUNNER_HOST names a reachable engine.
func TestEngineResultCache(t *testing.T) {
	ctx, client := enginetest.Connect(t, 30*time.Minute)
	reg := ocitest.NewRegistry(t, "ci", cachePassword)
	r := gittest.New(t)
	custom := func(name, build, test string, deps ...string) string {
		y := "name: " + name + "\nkind: custom\n"
		if len(deps) > 0 {
			y += "dependsOn: [" + strings.Join(deps, ", ") + "]\n"
		}
		return y + "build:\n  image: debian:bookworm-slim\n  commands: [\"" + build + "\"]\n  outputs: [" + name + ".txt]\ntest:\n  commands: [\"" + test + "\"]\n"
	}
	r.Commit("three components", map[string]string{
		"monopipe.yaml":       "baseBranch: main\ncache:\n  registry: " + reg.Host + "/org/cache\n",
		"lib/component.yaml":  custom("lib", "cat lib.in > lib.txt", "grep -q lib lib.txt"),
		"lib/lib.in":          "lib 1\n",
		"app/component.yaml":  custom("app", "cat /deps/lib/lib.txt app.in > app.txt", "grep -q lib app.txt && grep -q app app.txt", "lib"),
		"app/app.in":          "app 1\n",
		"solo/component.yaml": custom("solo", "echo solo > solo.txt", "grep -q solo solo.txt"),
		"solo/README.txt":     "solo\n",
	})
	opts := func(write bool) BuildOptions {
		return BuildOptions{Plan: plan.Options{All: true}, Cache: CacheOptions{Username: "ci", Password: cachePassword, Write: write}}
	}
	build := func(what string, write bool) *Result {
		t.Helper()
		start := time.Now()
		// NoCache: the same path again in the same session is otherwise
		// served from the first load, without the commits made since.
		res, err := Build(ctx, client, client.Host().Directory(r.Dir, dagger.HostDirectoryOpts{NoCache: true}), opts(write))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		t.Logf("%s took %s\n%s", what, time.Since(start).Round(10*time.Millisecond), res.Summary())
		if res.Err != nil || len(res.Warnings) > 0 {
			t.Fatalf("%s: %v, warnings %q", what, res.Err, res.Warnings)
		}
		if strings.Contains(res.Summary(), cachePassword) {
			t.Fatalf("%s: the summary shows the cache password", what)
		}
		return res
	}
	remote := func(res *Result) map[string]bool {
		out := map[string]bool{}
		for _, c := range res.Results.Components {
			out[c.Name] = c.Remote != nil
			for _, s := range c.Steps {
				if c.Remote != nil && s.Status != report.StatusSkipped {
					t.Errorf("%s was a hit, yet its %s step ran", c.Name, s.Name)
				}
			}
		}
		return out
	}
	check := func(what string, res *Result, want map[string]bool) {
		t.Helper()
		if got := remote(res); len(got) != len(want) || got["lib"] != want["lib"] || got["app"] != want["app"] || got["solo"] != want["solo"] {
			t.Errorf("%s: hits %v, want %v", what, got, want)
		}
	}

	cold := build("cold build, writing", true)
	check("cold build", cold, map[string]bool{"lib": false, "app": false, "solo": false})
	store, err := resultcache.New(reg.Host+"/org/cache", resultcache.ReadOnly, CacheOptions{Username: "ci", Password: cachePassword}.remoteOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cold.Plan.Components {
		if ok, err := store.Has(context.Background(), c.Name, c.Digest); !ok || err != nil {
			t.Errorf("%s (%s) not stored: %v", c.Name, c.Digest, err)
		}
	}

	check("warm build", build("warm build, reading", false), map[string]bool{"lib": true, "app": true, "solo": true})

	r.Commit("change app", map[string]string{"app/app.in": "app 2\n"})
	check("app changed", build("app changed", false), map[string]bool{"lib": true, "app": false, "solo": true})

	r.Commit("change lib", map[string]string{"lib/lib.in": "lib 2\n"})
	check("lib changed", build("lib changed", false), map[string]bool{"lib": false, "app": false, "solo": true})
}
