package digest_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/pipelines/detect"
	"github.com/monopipe/monopipe/pipelines/digest"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
)

// fixture: api (go) depends on greet (go), has inputs outside its folder,
// an ignore glob and a nested component; web (node) is unrelated.
var fixture = map[string]string{
	"monopipe.yaml":                   "images:\n  node: mirror.example/node:22\n",
	"components/greet/component.yaml": "name: greet\nkind: go\n",
	"components/greet/go.mod":         "module greet\n",
	"components/greet/greet.go":       "package greet\n",
	"components/api/component.yaml": `# the API
name: api
kind: go
dependsOn: [greet]
inputs: ["/shared/*.txt"]
ignore: ["docs/**"]
build:
  main: ./cmd/api
  env:
    GOFLAGS: -mod=mod
`,
	"components/api/go.mod":                "module api\n",
	"components/api/cmd/api/main.go":       "package main\n",
	"components/api/docs/guide.txt":        "read me\n",
	"components/api/nested/component.yaml": "name: nested\nkind: python\n",
	"components/api/nested/app.py":         "print(1)\n",
	"components/web/component.yaml":        "name: web\nkind: node\n",
	"components/web/package.json":          "{}\n",
	"shared/a.txt":                         "shared\n",
	"other/readme.txt":                     "elsewhere\n",
}

func newRepo(t *testing.T) *gittest.Repo {
	t.Helper()
	r := gittest.New(t)
	r.Commit("init", fixture)
	return r
}

// digestOf is component name's digest at head ("" for the working tree),
// as plan computes it.
func digestOf(t *testing.T, dir, head, name string) *digest.Digest {
	t.Helper()
	p, err := plan.Make(context.Background(), plan.Options{Dir: dir, Head: head, All: true, Components: []string{name}, Digest: true, DigestInputs: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Components {
		if c.Name == name {
			if !strings.HasPrefix(c.Digest, "sha256:") || len(c.Inputs) == 0 {
				t.Fatalf("%s: digest %q with %d inputs", name, c.Digest, len(c.Inputs))
			}
			return &digest.Digest{Sum: c.Digest, Inputs: c.Inputs}
		}
	}
	t.Fatalf("%s not planned", name)
	return nil
}

func lines(d *digest.Digest) string {
	var b strings.Builder
	for _, in := range d.Inputs {
		b.WriteString(in.String() + "\n")
	}
	return b.String()
}

func TestInputsListed(t *testing.T) {
	r := newRepo(t)
	got := lines(digestOf(t, r.Dir, "HEAD", "api"))
	for _, want := range []string{
		"file components/api/cmd/api/main.go blob " + r.Git("rev-parse", "HEAD:components/api/cmd/api/main.go"),
		"file shared/a.txt blob ",
		"file components/greet/greet.go blob ",     // its dependency's folder
		"file components/api/docs/guide.txt blob ", // ignored for selection, still sent
		"file components/api/nested/app.py blob ",  // a nested component's folder, still sent
		"file components/api/component.yaml blob ", // sent with its folder
		"image go=golang:1.26-bookworm",
		"image runtime=debian:bookworm-slim",
		"env GOFLAGS=-mod=mod",
		"dep greet sha256:",
		"recipe go/1",
		"manifest sha256:",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("inputs lack %q:\n%s", want, got)
		}
	}
	for _, not := range []string{"components/web", "other/", "images.node", "input "} {
		if strings.Contains(got, not) {
			t.Errorf("inputs have %q:\n%s", not, got)
		}
	}
}

// TestSensitivity: each input changes api's digest; what does not apply
// to it does not.
func TestSensitivity(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   map[string]string
		recipe  bool
		changes bool
	}{
		{"own file", map[string]string{"components/api/cmd/api/main.go": "package main // 2\n"}, false, true},
		{"new own file", map[string]string{"components/api/util.go": "package api\n"}, false, true},
		{"inputs file", map[string]string{"shared/a.txt": "changed\n"}, false, true},
		{"new inputs file", map[string]string{"shared/b.txt": "new\n"}, false, true},
		{"manifest", map[string]string{"components/api/component.yaml": strings.Replace(fixture["components/api/component.yaml"], "main: ./cmd/api", "main: ./cmd/api2", 1)}, false, true},
		{"env", map[string]string{"components/api/component.yaml": strings.Replace(fixture["components/api/component.yaml"], "-mod=mod", "-mod=vendor", 1)}, false, true},
		{"platforms", map[string]string{"components/api/component.yaml": strings.Replace(fixture["components/api/component.yaml"], "  env:", "  platforms: [linux/arm64]\n  env:", 1)}, false, true},
		{"own base image", map[string]string{"components/api/component.yaml": strings.Replace(fixture["components/api/component.yaml"], "build:", "build:\n  image: golang:1.25", 1)}, false, true},
		{"workspace go image", map[string]string{"monopipe.yaml": "images:\n  node: mirror.example/node:22\n  go: mirror.example/golang:1.26\n"}, false, true},
		{"workspace runtime image", map[string]string{"monopipe.yaml": "images:\n  node: mirror.example/node:22\n  runtime: mirror.example/debian\n"}, false, true},
		{"workspace publish default", map[string]string{"monopipe.yaml": "images:\n  node: mirror.example/node:22\npublish:\n  image:\n    registry: ghcr.io/acme\n"}, false, true},
		{"workspace global file", map[string]string{"monopipe.yaml": fixture["monopipe.yaml"] + "global: [\"tools/**\"]\n", "tools/gen.sh": "echo\n"}, false, true},
		{"dependency's file", map[string]string{"components/greet/greet.go": "package greet // 2\n"}, false, true},
		{"recipe version", nil, true, true},

		// The build receives component.yaml, ignored files and nested
		// components' folders: they count (see TestReceivedFiles).
		{"comment in manifest", map[string]string{"components/api/component.yaml": "# changed comment\n" + fixture["components/api/component.yaml"]}, false, true},
		{"key order in manifest", map[string]string{"components/api/component.yaml": "kind: go\nname: api\ndependsOn: [greet]\nbuild:\n  env: {GOFLAGS: -mod=mod}\n  main: ./cmd/api\nignore: [\"docs/**\"]\ninputs: [\"/shared/*.txt\"]\n"}, false, true},
		{"ignored file", map[string]string{"components/api/docs/guide.txt": "changed\n"}, false, true},
		{"nested component's file", map[string]string{"components/api/nested/app.py": "print(2)\n"}, false, true},
		{"file elsewhere", map[string]string{"other/readme.txt": "changed\n"}, false, false},
		{"unrelated component", map[string]string{"components/web/package.json": "{\"a\":1}\n"}, false, false},
		{"workspace image of another kind", map[string]string{"monopipe.yaml": "images:\n  node: mirror.example/node:23\n  python: mirror.example/python\n"}, false, false},
		{"workspace global glob matching nothing", map[string]string{"monopipe.yaml": fixture["monopipe.yaml"] + "global: [\"tools/**\"]\n"}, false, false},
		{"workspace base branch", map[string]string{"monopipe.yaml": fixture["monopipe.yaml"] + "baseBranch: trunk\n"}, false, false},
		{"workspace full rebuild marker", map[string]string{"monopipe.yaml": fixture["monopipe.yaml"] + "fullRebuildMarker: '[all]'\n"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRepo(t)
			before := digestOf(t, r.Dir, "HEAD", "api")
			r.Commit("change", tc.files)
			if tc.recipe {
				old := manifest.RecipeVersions[manifest.KindGo]
				manifest.RecipeVersions[manifest.KindGo] = old + 1
				t.Cleanup(func() { manifest.RecipeVersions[manifest.KindGo] = old })
			}
			after := digestOf(t, r.Dir, "HEAD", "api")
			if changed := before.Sum != after.Sum; changed != tc.changes {
				t.Errorf("digest changed = %v, want %v; differences: %+v", changed, tc.changes, digest.Diff(before, after))
			}
			if ch := digest.Diff(before, after); ch.Empty() == tc.changes {
				t.Errorf("Diff empty = %v, want %v", ch.Empty(), !tc.changes)
			}
		})
	}
}

// TestServices: a test service's image is an entry of its own, its
// settings count through the manifest, and a component without services
// digests as before services existed (no "Services" in its manifest's
// encoding, so no cached result is lost).
func TestServices(t *testing.T) {
	with := func(image, password string) map[string]string {
		return map[string]string{"components/api/component.yaml": fixture["components/api/component.yaml"] +
			"test:\n  services:\n    - {name: db, image: " + image + ", env: {POSTGRES_PASSWORD: " + password + "}, ports: [5432]}\n"}
	}
	r := newRepo(t)
	r.Commit("services", with("postgres:16", "test"))
	first := digestOf(t, r.Dir, "HEAD", "api")
	if got := lines(first); !strings.Contains(got, "service db=postgres:16\n") {
		t.Errorf("inputs lack the service's image:\n%s", got)
	}
	r.Commit("image", with("postgres:17", "test"))
	second := digestOf(t, r.Dir, "HEAD", "api")
	ch := digest.Diff(first, second)
	found := false
	for _, c := range ch.Changed {
		if c.Kind == digest.KindService && c.Name == "db" && c.Was == "postgres:16" && c.Value == "postgres:17" {
			found = true
		}
	}
	if !found {
		t.Errorf("changing the service's image: %+v; want service db postgres:16 → postgres:17", ch)
	}
	r.Commit("env", with("postgres:17", "other"))
	if third := digestOf(t, r.Dir, "HEAD", "api"); third.Sum == second.Sum {
		t.Error("changing the service's environment left the digest as it was")
	}
	if got := lines(digestOf(t, r.Dir, "HEAD", "greet")); strings.Contains(got, "service ") {
		t.Errorf("greet has no services; its inputs name one:\n%s", got)
	}
	enc, err := json.Marshal(manifest.Component{Name: "x"})
	if err != nil || strings.Contains(string(enc), "Services") {
		t.Errorf("a component without services encodes as %s, %v: its digest would change", enc, err)
	}
}

// TestStableAcrossClonesAndOrder: the same content digests the same in a
// clone, and in a repository whose files were made and committed in
// another order; the working tree digests as its commit.
func TestStableAcrossClonesAndOrder(t *testing.T) {
	a := newRepo(t)
	clone := t.TempDir()
	a.Git("clone", "-q", a.Dir, clone)

	b := gittest.New(t)
	var paths []string
	for p := range fixture {
		paths = append(paths, p)
	}
	// Reverse path order, in two commits, with the clock moved on.
	for i := len(paths) - 1; i >= 0; i-- {
		b.Write(map[string]string{paths[i]: fixture[paths[i]]})
		if i == len(paths)/2 {
			b.Git("add", "-A")
			b.Git("commit", "-q", "-m", "first half")
		}
	}
	b.Git("add", "-A")
	b.Git("commit", "-q", "-m", "second half", "--date", "2001-01-01T00:00:00")

	for _, name := range []string{"api", "greet", "web", "nested"} {
		want := digestOf(t, a.Dir, "HEAD", name).Sum
		for what, got := range map[string]string{
			"worktree":       digestOf(t, a.Dir, "", name).Sum,
			"clone":          digestOf(t, clone, "HEAD", name).Sum,
			"clone worktree": digestOf(t, clone, "", name).Sum,
			"other order":    digestOf(t, b.Dir, "HEAD", name).Sum,
		} {
			if got != want {
				t.Errorf("%s: %s digest %s, want %s", name, what, got, want)
			}
		}
	}
}

// TestWorktreeMatchesCommit: modified, untracked and deleted files change
// the working tree's digest, and it equals the digest of committing them.
func TestWorktreeMatchesCommit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(r *gittest.Repo)
	}{
		{"modified", func(r *gittest.Repo) {
			r.Write(map[string]string{"components/api/cmd/api/main.go": "package main // dirty\n"})
		}},
		{"untracked", func(r *gittest.Repo) { r.Write(map[string]string{"components/api/new.go": "package api\n"}) }},
		{"untracked input", func(r *gittest.Repo) { r.Write(map[string]string{"shared/new.txt": "x\n"}) }},
		{"deleted", func(r *gittest.Repo) { r.Remove("components/api/go.mod") }},
		{"modified dependency", func(r *gittest.Repo) {
			r.Write(map[string]string{"components/greet/greet.go": "package greet // dirty\n"})
		}},
		{"modified manifest", func(r *gittest.Repo) {
			r.Write(map[string]string{"components/api/component.yaml": fixture["components/api/component.yaml"] + "test:\n  skip: true\n"})
		}},
		{"symbolic link", func(r *gittest.Repo) {
			if err := os.Symlink("cmd/api/main.go", filepath.Join(r.Dir, "components/api/link.go")); err != nil {
				t.Skip(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRepo(t)
			clean := digestOf(t, r.Dir, "", "api").Sum
			tc.change(r)
			dirty := digestOf(t, r.Dir, "", "api")
			if dirty.Sum == clean {
				t.Fatalf("working-tree change left the digest at %s", clean)
			}
			r.Git("add", "-A")
			r.Git("commit", "-q", "-m", "commit it")
			committed := digestOf(t, r.Dir, "HEAD", "api")
			if committed.Sum != dirty.Sum {
				t.Errorf("dirty %s != committed %s: %+v", dirty.Sum, committed.Sum, digest.Diff(dirty, committed))
			}
			if again := digestOf(t, r.Dir, "", "api").Sum; again != dirty.Sum {
				t.Errorf("clean after commit %s != dirty %s", again, dirty.Sum)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	a := digest.Of([]digest.Input{{Kind: "file", Name: "x", Value: "1"}, {Kind: "file", Name: "gone", Value: "2"}, {Kind: "recipe", Value: "go/1"}})
	b := digest.Of([]digest.Input{{Kind: "recipe", Value: "go/1"}, {Kind: "file", Name: "x", Value: "3"}, {Kind: "env", Name: "A", Value: "b"}})
	ch := digest.Diff(a, b)
	if len(ch.Changed) != 1 || ch.Changed[0].Name != "x" || ch.Changed[0].Was != "1" || ch.Changed[0].Value != "3" {
		t.Errorf("changed: %+v", ch.Changed)
	}
	if len(ch.Added) != 1 || ch.Added[0].String() != "env A=b" {
		t.Errorf("added: %+v", ch.Added)
	}
	if len(ch.Removed) != 1 || ch.Removed[0].String() != "file gone blob 2" {
		t.Errorf("removed: %+v", ch.Removed)
	}
	// The order entries come in does not matter.
	c := digest.Of([]digest.Input{b.Inputs[2], b.Inputs[0], b.Inputs[1]})
	if c.Sum != b.Sum {
		t.Errorf("order changed the sum: %s != %s", c.Sum, b.Sum)
	}
}

// TestSparseCheckout: files a sparse checkout leaves out of the working
// tree have the index's blob ids, as at the commit. (Through Files: plan
// itself cannot read such a tree's manifests yet.)
func TestSparseCheckout(t *testing.T) {
	r := newRepo(t)
	r.Git("sparse-checkout", "set", "components/greet")
	if _, err := os.Stat(filepath.Join(r.Dir, "components/web/package.json")); err == nil {
		t.Skip("sparse checkout left the file in place")
	}
	repo, err := detect.Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	res, err := repo.Changes(context.Background(), detect.Range{Base: "HEAD"})
	if err != nil {
		t.Fatal(err)
	}
	files := digest.Worktree(repo.Git(), repo.Root(), res)
	if list, _ := files.List(); !slices.Contains(list, "components/web/package.json") {
		t.Fatalf("files %v lack components/web/package.json", list)
	}
	for _, p := range []string{"components/web/package.json", "components/greet/greet.go"} {
		got, err := files.Blob(p)
		if err != nil {
			t.Fatal(err)
		}
		if want := r.Git("rev-parse", "HEAD:"+p); got != want {
			t.Errorf("%s: blob %s, want %s", p, got, want)
		}
	}
}

// TestTreeCache: the folder cache gives the same files as reading the
// trees, and a corrupt cache file reads as none.
func TestTreeCache(t *testing.T) {
	r := newRepo(t)
	repo, err := git.PlainOpen(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	tree := plumbing.NewHash(r.Git("rev-parse", "HEAD^{tree}"))
	cache := filepath.Join(t.TempDir(), "trees")
	list := func() string {
		t.Helper()
		files := digest.Commit(repo, tree, cache)
		list, err := files.List()
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, p := range list {
			id, err := files.Blob(p)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(p + " " + id + "\n")
		}
		return b.String()
	}
	want := strings.ReplaceAll(r.Git("ls-tree", "-r", "--format=%(path) %(objectname)", "HEAD"), "\r", "") + "\n"
	if got := list(); got != want {
		t.Fatalf("uncached:\n%s\nwant (git ls-tree):\n%s", got, want)
	}
	if _, err := os.Stat(cache); err != nil {
		t.Fatalf("no cache written: %v", err)
	}
	if got := list(); got != want {
		t.Errorf("cached:\n%s\nwant:\n%s", got, want)
	}
	data, _ := os.ReadFile(cache)
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(cache, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := list(); got != want {
		t.Errorf("corrupt cache:\n%s\nwant:\n%s", got, want)
	}
}

// TestSameInEveryMode: the default mode (a diff against a base) digests a
// component as --all does, for the working tree and for a commit.
func TestSameInEveryMode(t *testing.T) {
	r := newRepo(t)
	r.Commit("two", map[string]string{"components/api/cmd/api/main.go": "package main // 2\n"})
	r.Write(map[string]string{"components/api/extra.go": "package api\n"})
	for _, head := range []string{"", "HEAD"} {
		p, err := plan.Make(context.Background(), plan.Options{Dir: r.Dir, Base: "HEAD~1", Head: head, Digest: true})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range p.Components {
			if c.Name != "api" {
				continue
			}
			found = true
			if want := digestOf(t, r.Dir, head, "api").Sum; c.Digest != want {
				t.Errorf("head %q: default mode %s, --all %s", head, c.Digest, want)
			}
		}
		if !found {
			t.Errorf("head %q: api not selected: %+v", head, p.Components)
		}
	}
}

// TestEnvironmentSettings: a component's settings in each environment it
// does not skip are inputs, per component (templates name it), and a
// change to an environment it skips is not.
func TestEnvironmentSettings(t *testing.T) {
	r := newRepo(t)
	envs := fixture["monopipe.yaml"] + "environments:\n  - name: dev\n    deploy: {lambda: {function: \"{component}-dev\"}}\n  - name: prod\n    deploy: {lambda: {region: eu-west-1}}\n"
	r.Commit("environments", map[string]string{"monopipe.yaml": envs,
		"components/web/component.yaml": "name: web\nkind: node\nenvironments:\n  prod: {skip: true}\n"})
	api := lines(digestOf(t, r.Dir, "HEAD", "api"))
	if !strings.Contains(api, `setting environments.dev.deploy.lambda.function="api-dev"`) || strings.Contains(api, "greet-dev") {
		t.Errorf("api's inputs (after greet's, of the same kind) lack its own function in dev:\n%s", api)
	}
	web := digestOf(t, r.Dir, "HEAD", "web")
	apiBefore := digestOf(t, r.Dir, "HEAD", "api")
	r.Commit("prod region", map[string]string{"monopipe.yaml": strings.Replace(envs, "eu-west-1", "eu-north-1", 1)})
	if after := digestOf(t, r.Dir, "HEAD", "web"); after.Sum != web.Sum {
		t.Errorf("web skips prod, yet its digest changed: %+v", digest.Diff(web, after))
	}
	if after := digestOf(t, r.Dir, "HEAD", "api"); after.Sum == apiBefore.Sum {
		t.Error("api deploys to prod, yet prod's region did not change its digest")
	}
}
