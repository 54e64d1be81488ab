package cacherun

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monopipe/monopipe/internal/ocitest"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/report"
	"github.com/monopipe/monopipe/pipelines/resultcache"
	"github.com/monopipe/monopipe/pipelines/run"
	"github.com/monopipe/monopipe/pipelines/trigger"
)

func TestWrites(t *testing.T) {
	trusted := trigger.Decision{Action: trigger.ActionBuild, Trusted: true, Secrets: true, Publish: true}
	pr := trigger.Decision{Action: trigger.ActionBuild, Secrets: true}
	fork := trigger.Decision{Action: trigger.ActionBuild}
	release := trigger.Decision{Action: trigger.ActionRelease, Trusted: true, Secrets: true}
	for _, tt := range []struct {
		name  string
		ci    bool
		d     trigger.Decision
		asked bool
		want  bool
	}{
		{"CI base branch push", true, trusted, false, true},
		{"CI release", true, release, false, true},
		{"CI pull request", true, pr, false, false},
		{"CI pull request asking", true, pr, true, false},
		{"CI fork", true, fork, false, false},
		{"CI fork asking", true, fork, true, false},
		{"CI other branch push", true, trigger.Decision{Action: trigger.ActionBuild, Secrets: true}, false, false},
		{"laptop", false, trigger.Decision{}, false, false},
		{"laptop asking", false, trigger.Decision{}, true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, why := Writes(tt.ci, tt.d, tt.asked)
			if got != tt.want || why == "" {
				t.Errorf("Writes = %v, %q; want %v with a reason", got, why, tt.want)
			}
		})
	}
}

func digestOf(s string) string { return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(s))) }

// fakeBuild is a run's build and test steps: it counts what ran, and
// fails the components in fail.
type fakeBuild struct {
	mu   sync.Mutex
	ran  []string
	fail map[string]bool
}

func (f *fakeBuild) steps() []run.Step {
	step := func(name string) run.Step {
		return run.Step{Name: name, Run: func(_ context.Context, c plan.Component) (run.Outcome, error) {
			f.mu.Lock()
			f.ran = append(f.ran, c.Name+"/"+name)
			f.mu.Unlock()
			if f.fail[c.Name] && name == "test" {
				return run.Outcome{Output: "FAIL with token s3cret"}, errors.New("exit code 1")
			}
			return run.Outcome{Output: c.Name + " " + name + " ok (token s3cret)\n"}, nil
		}}
	}
	return []run.Step{step("build"), step("test"), {Name: "publish", Run: func(_ context.Context, c plan.Component) (run.Outcome, error) {
		f.mu.Lock()
		f.ran = append(f.ran, c.Name+"/publish")
		f.mu.Unlock()
		return run.Outcome{}, nil
	}}}
}

// fakeExport exports fixed outputs; components in images have an image.
type fakeExport struct {
	images map[string]bool
	err    error
}

func (e fakeExport) Files(_ context.Context, name string) (map[string][]byte, error) {
	return map[string][]byte{"bin/" + name: []byte("binary of " + name)}, e.err
}

func (e fakeExport) Image(_ context.Context, name, tag string) (string, error) {
	if !e.images[name] {
		return "", nil
	}
	return "reg/cache@sha256:" + strings.Repeat("0", 64), nil
}

func comps(digests map[string]string) []plan.Component {
	return []plan.Component{
		{Name: "lib", Kind: "go", Digest: digests["lib"]},
		{Name: "api", Kind: "go", DependsOn: []string{"lib"}, Digest: digests["api"]},
		{Name: "web", Kind: "node", DependsOn: []string{"api"}, Digest: digests["web"]},
	}
}

func newRunner(t *testing.T, host string, write bool, warnings *[]string) *Runner {
	mode := resultcache.ReadOnly
	if write {
		mode = resultcache.ReadWrite
	}
	c, err := resultcache.New(host+"/org/cache", mode)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	warn := func(s string) { mu.Lock(); *warnings = append(*warnings, s); mu.Unlock() }
	c.Warn = warn
	return &Runner{Store: c, Write: write, Export: fakeExport{images: map[string]bool{"api": true}}, Commit: "c0ffee", RunURL: "https://ci/run/1",
		Redact: run.Redactor([]string{"s3cret"}), Warn: warn, Now: func() time.Time { return time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) }}
}

func runAll(t *testing.T, r *Runner, f *fakeBuild, cs []plan.Component) *report.Results {
	t.Helper()
	res, _ := run.Run(context.Background(), cs, run.Options{Steps: r.Wrap(f.steps(), "build", "test"), Concurrency: 1, Secrets: []string{"s3cret"}})
	if res == nil {
		t.Fatal("no results")
	}
	return res
}

func TestRunner(t *testing.T) {
	ctx := context.Background()
	reg := ocitest.NewRegistry(t, "", "")
	ds := map[string]string{"lib": digestOf("lib 1"), "api": digestOf("api 1"), "web": digestOf("web 1")}

	// A read-only run on an empty cache builds everything, stores nothing.
	var warnings []string
	f := &fakeBuild{}
	runAll(t, newRunner(t, reg.Host, false, &warnings), f, comps(ds))
	if len(f.ran) != 9 {
		t.Fatalf("read-only, empty cache: ran %v", f.ran)
	}
	store, _ := resultcache.New(reg.Host+"/org/cache", resultcache.ReadOnly)
	for n, d := range ds {
		if ok, err := store.Has(ctx, n, d); err != nil || ok {
			t.Errorf("read-only run stored %s: %v %v", n, ok, err)
		}
	}

	// A writing run: web fails its test; lib and api are stored.
	f = &fakeBuild{fail: map[string]bool{"web": true}}
	w := newRunner(t, reg.Host, true, &warnings)
	res := runAll(t, w, f, comps(ds))
	if len(f.ran) != 8 || res.Components[2].Status != report.StatusFailure {
		t.Fatalf("writing run: ran %v, web %s", f.ran, res.Components[2].Status)
	}
	for n, want := range map[string]bool{"lib": true, "api": true, "web": false} {
		if ok, err := store.Has(ctx, n, ds[n]); err != nil || ok != want {
			t.Errorf("after the writing run, Has(%s) = %v, %v; want %v", n, ok, err, want)
		}
		if want && w.Stored(n) == "" {
			t.Errorf("%s: Stored is empty", n)
		}
	}
	if w.Stored("web") == "" {
		t.Error("the failure of web was not stored")
	}
	hit, err := store.Get(ctx, "api", ds["api"])
	if err != nil || hit == nil {
		t.Fatalf("api: %v, %v", hit, err)
	}
	if string(hit.Outputs["bin/api"]) != "binary of api" || hit.Record.Image == "" || hit.Record.Commit != "c0ffee" || hit.Record.Run != "https://ci/run/1" ||
		!strings.Contains(string(hit.Log), "api build ok") || !strings.Contains(string(hit.JUnit), `name="api"`) {
		t.Errorf("stored api = %+v, outputs %v, log %q, junit %q", hit.Record, slices.Sorted(maps.Keys(hit.Outputs)), hit.Log, hit.JUnit)
	}
	if strings.Contains(string(hit.Log)+string(hit.JUnit), "s3cret") {
		t.Errorf("a secret was stored: %q %q", hit.Log, hit.JUnit)
	}

	// A read-only run with the same inputs: lib and api are hits (no
	// build or test runs, publish does), web builds again (a failure is
	// never a hit).
	f = &fakeBuild{}
	warnings = nil
	var hits []string
	ro := newRunner(t, reg.Host, false, &warnings)
	ro.OnHit = func(c string, _ *resultcache.Hit) { hits = append(hits, c) }
	res = runAll(t, ro, f, comps(ds))
	want := []string{"lib/publish", "api/publish", "web/build", "web/test", "web/publish"}
	if !slices.Equal(f.ran, want) {
		t.Errorf("warm run ran %v, want %v", f.ran, want)
	}
	if !slices.Equal(hits, []string{"lib", "api"}) {
		t.Errorf("OnHit told of %v", hits)
	}
	for _, c := range res.Components[:2] {
		if c.Remote == nil || c.Status != report.StatusSuccess || report.CacheLabel(c) != report.CachedRemote ||
			c.Remote.Commit != "c0ffee" || c.Remote.Run != "https://ci/run/1" || !c.Remote.Created.Equal(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: %+v remote %+v", c.Name, c, c.Remote)
		}
		if h := ro.Hit(c.Name); h == nil || h.Ref != c.Remote.Ref {
			t.Errorf("%s: Hit = %+v", c.Name, h)
		}
	}
	if res.Components[2].Remote != nil {
		t.Errorf("web: remote %+v", res.Components[2].Remote)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}

	// One input changed: api misses, its dependents too (their digests
	// change with it), lib stays a hit.
	f = &fakeBuild{}
	ds2 := map[string]string{"lib": ds["lib"], "api": digestOf("api 2"), "web": digestOf("web 2")}
	runAll(t, newRunner(t, reg.Host, false, &warnings), f, comps(ds2))
	if want := []string{"lib/publish", "api/build", "api/test", "api/publish", "web/build", "web/test", "web/publish"}; !slices.Equal(f.ran, want) {
		t.Errorf("after a change ran %v, want %v", f.ran, want)
	}
}

// TestRunnerRegistryDown: a cache that cannot be read or written builds
// and warns; the run does not fail.
func TestRunnerRegistryDown(t *testing.T) {
	var warnings []string
	f := &fakeBuild{}
	r := newRunner(t, "127.0.0.1:1", true, &warnings)
	res := runAll(t, r, f, comps(map[string]string{"lib": digestOf("l"), "api": digestOf("a"), "web": digestOf("w")}))
	if len(f.ran) != 9 {
		t.Errorf("ran %v", f.ran)
	}
	for _, c := range res.Components {
		if c.Status != report.StatusSuccess {
			t.Errorf("%s: %s", c.Name, c.Status)
		}
	}
	joined := strings.Join(warnings, "\n")
	if !strings.Contains(joined, "result cache not read for lib") || !strings.Contains(joined, "result of lib not stored") {
		t.Errorf("warnings: %s", joined)
	}
}

// TestRunnerExportFails: a success whose outputs cannot be exported is not
// stored (an entry without its outputs would be a wrong hit).
func TestRunnerExportFails(t *testing.T) {
	reg := ocitest.NewRegistry(t, "", "")
	var warnings []string
	r := newRunner(t, reg.Host, true, &warnings)
	r.Export = fakeExport{err: errors.New("engine gone")}
	d := digestOf("lib")
	runAll(t, r, &fakeBuild{}, []plan.Component{{Name: "lib", Kind: "go", Digest: d}})
	store, _ := resultcache.New(reg.Host+"/org/cache", resultcache.ReadOnly)
	if ok, err := store.Has(context.Background(), "lib", d); ok || err != nil {
		t.Errorf("stored without outputs: %v %v", ok, err)
	}
	if !strings.Contains(strings.Join(warnings, "\n"), "engine gone") {
		t.Errorf("warnings: %q", warnings)
	}
}
