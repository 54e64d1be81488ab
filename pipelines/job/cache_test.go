package job

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/internal/ocitest"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/publish/oci"
	"github.com/monopipe/monopipe/pipelines/report"
	"github.com/monopipe/monopipe/pipelines/resultcache"
	"github.com/monopipe/monopipe/pipelines/run"
	"github.com/monopipe/monopipe/pipelines/trigger"
)

const cachePassword = "cache-SECRET-pw"

func TestCacheRegistry(t *testing.T) {
	ws := &manifest.Workspace{Cache: manifest.Cache{Registry: "ghcr.io/org/cache"}}
	for _, tt := range []struct {
		o    CacheOptions
		ws   *manifest.Workspace
		want string
	}{
		{CacheOptions{}, ws, "ghcr.io/org/cache"},
		{CacheOptions{}, &manifest.Workspace{}, ""},
		{CacheOptions{Registry: "reg.example/cache"}, ws, "reg.example/cache"},
		{CacheOptions{Registry: "reg.example/cache"}, &manifest.Workspace{}, "reg.example/cache"},
		{CacheOptions{Registry: "-"}, ws, ""},
		{CacheOptions{Disabled: true}, ws, ""},
		{CacheOptions{Disabled: true, Registry: "reg.example/cache"}, ws, ""},
	} {
		if got := tt.o.registry(tt.ws); got != tt.want {
			t.Errorf("%+v on %q: registry %q, want %q", tt.o, tt.ws.Cache.Registry, got, tt.want)
		}
	}
	if _, err := (CacheOptions{Registry: "Not A Repo!"}).open(ws, false, nil); err == nil || !strings.Contains(err.Error(), "--cache-registry") {
		t.Errorf("a bad --cache-registry: %v", err)
	}
}

func TestHealing(t *testing.T) {
	for _, tt := range []struct {
		name   string
		t      trigger.Trigger
		noHeal bool
		want   bool
	}{
		{"push", trigger.Trigger{Event: trigger.EventPush, Branch: "main"}, false, true},
		{"manual", trigger.Trigger{Event: trigger.EventManual, Branch: "main"}, false, true},
		{"push, --no-heal", trigger.Trigger{Event: trigger.EventPush, Branch: "main"}, true, false},
		{"pull request", trigger.Trigger{Event: trigger.EventPullRequest, Branch: "main", PRNumber: 1}, false, false},
		{"fork", trigger.Trigger{Event: trigger.EventPush, Branch: "main", Fork: true}, false, false},
		{"no branch", trigger.Trigger{Event: trigger.EventManual}, false, false},
	} {
		heal, branch := healing(tt.t, CacheOptions{NoHeal: tt.noHeal})
		if heal != tt.want || heal && branch != tt.t.Branch {
			t.Errorf("%s: healing = %v, %q", tt.name, heal, branch)
		}
	}
}

// cacheEnv is an in-process registry behind basic auth holding the cache,
// and a plan of two components whose build and test steps are fakes that
// print the cache's password (which must never show).
type cacheEnv struct {
	reg   *ocitest.Registry
	image string // an OCI tarball
	p     *plan.Plan
	ran   []string
	log   bytes.Buffer
}

func newCacheEnv(t *testing.T) *cacheEnv {
	e := &cacheEnv{reg: ocitest.NewRegistry(t, "ci", cachePassword), image: ocitest.RandomImage(t)}
	ws := manifest.DefaultWorkspace()
	ws.Cache.Registry = e.reg.Host + "/org/cache"
	lib := &manifest.Component{Name: "lib", Kind: manifest.KindPython, Dir: "lib"}
	api := &manifest.Component{Name: "api", Kind: manifest.KindGo, Dir: "api", DependsOn: []string{"lib"}}
	e.p = &plan.Plan{Workspace: ws, HeadCommit: "c0ffee", Manifests: map[string]*manifest.Component{"lib": lib, "api": api},
		Components: []plan.Component{
			{Name: "lib", Kind: manifest.KindPython, Dir: "lib", Digest: "sha256:" + strings.Repeat("1", 64), Manifest: lib},
			{Name: "api", Kind: manifest.KindGo, Dir: "api", DependsOn: []string{"lib"}, Digest: "sha256:" + strings.Repeat("2", 64), Manifest: api},
		}}
	return e
}

func basic(user, pw string) string { return base64.StdEncoding.EncodeToString([]byte(user + ":" + pw)) }

// steps are fake build and test steps.
func (e *cacheEnv) steps(pw string) []run.Step {
	step := func(name string) run.Step {
		return run.Step{Name: name, Run: func(_ context.Context, c plan.Component) (run.Outcome, error) {
			e.ran = append(e.ran, c.Name+"/"+name)
			return run.Outcome{Output: "login with " + pw + " or " + basic("ci", pw) + "\n"}, nil
		}}
	}
	return []run.Step{step("build"), step("test")}
}

// export is the engine's export, faked: files for both, an image for api
// (pushed into the cache for real).
type fakeEngine struct {
	rc    *resultCache
	image string
}

func (f fakeEngine) Files(_ context.Context, name string) (map[string][]byte, error) {
	return map[string][]byte{"bin/" + name: []byte("binary of " + name)}, nil
}

func (f fakeEngine) Image(ctx context.Context, name, tag string) (string, error) {
	if name != "api" {
		return "", nil
	}
	return f.rc.pushImage(ctx, f.image, tag)
}

// run runs the plan with the cache as o says, the way Run wraps the steps.
func (e *cacheEnv) run(t *testing.T, o CacheOptions, write bool) (*resultCache, *report.Results) {
	t.Helper()
	secrets := []string{o.Password}
	pairs := []run.Pair{o.pair()}
	rc, err := newResultCache(e.p, o, write, "test", "https://ci/run/1", &e.log)
	if err != nil || rc == nil {
		t.Fatalf("newResultCache: %v, %v", rc, err)
	}
	t.Cleanup(rc.close)
	redact := run.Redactor(secrets, pairs...)
	rc.runner.Redact = redact
	rc.redact = redact
	rc.runner.Export = fakeEngine{rc: rc, image: e.image}
	steps := rc.runner.Wrap(e.steps(o.Password), "build", "test")
	res, err := run.Run(context.Background(), e.p.Components, run.Options{Steps: steps, Secrets: secrets, Pairs: pairs})
	if res == nil {
		t.Fatal(err)
	}
	return rc, res
}

// TestResultCacheJob: a writing run stores both components (api with its
// image pushed into the cache by digest); a read-only run with the same
// digests runs no build or test step, reports cached (remote), and ships
// the cached outputs: files from the entry, the image copied from the
// cache by digest, never the engine's. The cache's password shows in no
// output, log, report or stored entry, in any form.
func TestResultCacheJob(t *testing.T) {
	ctx := context.Background()
	e := newCacheEnv(t)
	o := CacheOptions{Username: "ci", Password: cachePassword}
	rc, res := e.run(t, o, true)
	if len(e.ran) != 4 || len(rc.Warnings()) != 0 {
		t.Fatalf("writing run ran %v, warnings %q", e.ran, rc.Warnings())
	}
	img, err := oci.Load(e.image)
	if err != nil {
		t.Fatal(err)
	}
	img.Close()
	store, err := resultcache.New(e.p.Workspace.Cache.Registry, resultcache.ReadOnly, o.remoteOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	hit, err := store.Get(ctx, "api", e.p.Components[1].Digest)
	if err != nil || hit == nil {
		t.Fatalf("api not stored: %v, %v", hit, err)
	}
	if want := e.p.Workspace.Cache.Registry + "@" + img.Digest.String(); hit.Record.Image != want || hit.Record.Commit != "c0ffee" {
		t.Errorf("api's record %+v, want image %s", hit.Record, want)
	}
	e.reg.AssertTags(t, "org/cache", img.Digest, "sha256-"+strings.Repeat("2", 64)+".image")
	stored := string(hit.Log) + string(hit.JUnit)

	// Read only, same inputs: no step runs, both are cached (remote).
	e.ran = nil
	rc2, res2 := e.run(t, o, false)
	if len(e.ran) != 0 || len(rc2.Warnings()) != 0 {
		t.Fatalf("warm run ran %v, warnings %q", e.ran, rc2.Warnings())
	}
	for _, c := range res2.Components {
		if c.Remote == nil || report.CacheLabel(c) != report.CachedRemote || c.Status != report.StatusSuccess {
			t.Errorf("%s: %+v", c.Name, c)
		}
	}

	// Shipping a hit takes the cache's outputs, never the engine's.
	sh, err := newShipper(nil, e.p.Workspace)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.close()
	sh.exportImage = func(context.Context, string, string) (bool, error) {
		return false, errors.New("engine export of an image")
	}
	sh.exportFiles = func(context.Context, string, string) error { return errors.New("engine export of files") }
	rc2.shipFrom(sh)
	out, err := sh.outputs(ctx, "api", true, true)
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := oci.Load(out.image)
	if err != nil {
		t.Fatal(err)
	}
	shipped.Close()
	if shipped.Digest != img.Digest || len(out.files) != 1 || filepath.Base(out.files[0]) != "api" {
		t.Errorf("shipped image %s (want %s), files %v", shipped.Digest, img.Digest, out.files)
	}
	if data, _ := os.ReadFile(out.files[0]); string(data) != "binary of api" {
		t.Errorf("shipped file holds %q", data)
	}
	if out, err := sh.outputs(ctx, "lib", true, false); err != nil || out.image != "" {
		t.Errorf("lib has no image: %+v, %v", out, err)
	}

	// A wrong password: the cache cannot be read, everything builds, the
	// warnings name no form of it.
	e.ran = nil
	bad := CacheOptions{Username: "ci", Password: "wrong-" + cachePassword}
	rc3, res3 := e.run(t, bad, true)
	if len(e.ran) != 4 || len(rc3.Warnings()) == 0 {
		t.Errorf("wrong password: ran %v, warnings %q", e.ran, rc3.Warnings())
	}

	var all strings.Builder
	for _, r := range []*report.Results{res, res2, res3} {
		rep, err := newReport(trigger.Decision{Reason: "test"}, &Result{Plan: e.p, Results: r, Warnings: append(rc.Warnings(), rc3.Warnings()...)}, "", rc3.Warnings(),
			Secrets{cache: bad.pair()})
		if err != nil {
			t.Fatal(err)
		}
		for _, data := range rep.Files {
			all.Write(data)
		}
		js, _ := json.Marshal(r)
		all.Write(js)
		for _, c := range r.Components {
			all.WriteString(c.Log)
		}
	}
	all.WriteString(strings.Join(rc3.Warnings(), "\n") + stored + e.log.String())
	for _, s := range []string{cachePassword, basic("ci", cachePassword), basic("ci", bad.Password)} {
		if strings.Contains(all.String(), s) {
			t.Errorf("a secret shows: %q", s)
		}
	}
	if !strings.Contains(all.String(), report.CachedRemote) {
		t.Error("the reports do not say cached (remote)")
	}
}

// TestCIPlanHeals plans as ci does over a real repository with a result
// cache in an in-process registry: a push to the base branch selects what
// changed and every component without a successful result; a pull request
// only what changed; --no-heal turns it off; a registry that refuses the
// login selects every component, saying why, and no form of the password
// shows in the plan.
func TestCIPlanHeals(t *testing.T) {
	ctx := context.Background()
	reg := ocitest.NewRegistry(t, "ci", cachePassword)
	r := gittest.New(t)
	base := r.Commit("three components", map[string]string{"monopipe.yaml": "baseBranch: main\ncache:\n  registry: " + reg.Host + "/org/cache\n",
		"a/component.yaml": "name: a\nkind: custom\nbuild:\n  commands: [\"true\"]\n",
		"b/component.yaml": "name: b\nkind: custom\nbuild:\n  commands: [\"true\"]\n",
		"c/component.yaml": "name: c\nkind: custom\nbuild:\n  commands: [\"true\"]\n"})
	head := r.Commit("change a", map[string]string{"a/main.sh": "echo a\n"})
	login := CacheOptions{Username: "ci", Password: cachePassword}

	// b has a successful result at head's digest; c none.
	all, err := plan.Make(ctx, plan.Options{Dir: r.Dir, Head: head, All: true, Digest: true})
	if err != nil {
		t.Fatal(err)
	}
	store, err := resultcache.New(reg.Host+"/org/cache", resultcache.ReadWrite, login.remoteOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	var cDigest string
	for _, c := range all.Components {
		switch c.Name {
		case "b":
			if _, _, err := store.Put(ctx, resultcache.Result{Record: resultcache.Record{Component: "b", Digest: c.Digest, Status: resultcache.StatusSuccess}}); err != nil {
				t.Fatal(err)
			}
		case "c":
			cDigest = c.Digest
		}
	}

	push := trigger.Values{Base: base, Head: head, Branch: "main"}
	for _, tc := range []struct {
		name  string
		v     trigger.Values
		cache CacheOptions
		want  string
	}{
		{name: "push heals", v: push, cache: login, want: "[a c]"},
		{name: "pull request", v: trigger.Values{Base: base, Head: head, Branch: "feat", PullRequest: "5"}, cache: login, want: "[a]"},
		{name: "other branch", v: trigger.Values{Base: base, Head: head, Branch: "feat"}, cache: login, want: "[a]"},
		{name: "--no-heal", v: push, cache: CacheOptions{Username: "ci", Password: cachePassword, NoHeal: true}, want: "[a]"},
		{name: "--no-cache", v: push, cache: CacheOptions{Username: "ci", Password: cachePassword, Disabled: true}, want: "[a]"},
		{name: "refused login", v: push, cache: CacheOptions{Username: "ci", Password: "wrong-" + cachePassword}, want: "[a b c]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := CIPlanDir(ctx, r.Dir, CIOptions{Values: tc.v, Cache: tc.cache})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range p.Components {
				names = append(names, c.Name)
			}
			if got := fmt.Sprint(names); got != tc.want {
				t.Fatalf("selected %s, want %s (%s)", got, tc.want, p.Reason)
			}
			js, _ := json.Marshal(p)
			for _, c := range p.Components {
				switch {
				case tc.name == "push heals" && c.Name == "c":
					if want := "no successful result for digest " + cDigest; fmt.Sprint(c.Reasons) != "["+want+"]" {
						t.Errorf("c: reasons %q, want %q", c.Reasons, want)
					}
				case tc.name == "refused login" && c.Name != "a":
					if len(c.Reasons) != 1 || !strings.Contains(c.Reasons[0], "could not look up") {
						t.Errorf("%s: reasons %q", c.Name, c.Reasons)
					}
				}
			}
			for _, s := range []string{cachePassword, basic("ci", cachePassword), basic("ci", "wrong-"+cachePassword)} {
				if strings.Contains(string(js)+p.Reason, s) {
					t.Errorf("the plan shows a secret %q", s)
				}
			}
		})
	}
}
