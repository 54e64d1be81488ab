package digest_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/pipelines/digest"
	"github.com/monopipe/monopipe/pipelines/pathglob"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/sourcetree"
)

// shapes is a repository with every shape of what a build receives
// beyond a component's owned files: a go package whose module root is
// above its folder, ignored files, a nested component, a dependency's
// folder, inputs globs (one matching a folder, one with braces), a docker
// build context above the component's folder, and installed packages and
// caches that no build receives.
var shapes = map[string]string{
	"monopipe.yaml": "global: [\"tools/**\"]\nignore: [\"**/*.md\"]\n",
	"tools/ci.sh":   "echo ci\n",
	"other/x.txt":   "elsewhere\n",

	"libs/go.mod":                  "module example.com/libs\n",
	"libs/go.sum":                  "\n",
	"libs/greet/component.yaml":    "name: greet\nkind: go\n",
	"libs/greet/greet.go":          "package greet\n",
	"libs/greet/README.md":         "# greet\n",
	"libs/other/other.go":          "package other\n",
	"libs/greet/pkg.egg-info/INFO": "cache\n",

	"svc/api/component.yaml":          "name: api\nkind: go\ndependsOn: [greet]\ninputs: [\"/shared/*\"]\nignore: [\"docs/**\"]\n",
	"svc/api/go.mod":                  "module example.com/api\n",
	"svc/api/main.go":                 "package main\n",
	"svc/api/docs/guide.txt":          "guide\n",
	"svc/api/admin/component.yaml":    "name: admin\nkind: custom\nbuild:\n  commands: [\"true\"]\n",
	"svc/api/admin/run.sh":            "true\n",
	"svc/api/node_modules/x/index.js": "installed\n",
	"shared/a.txt":                    "a\n",
	"shared/sub/b.txt":                "b\n",

	"py/component.yaml":            "name: py\nkind: python\ninputs: [\"/proto/{a,b}.proto\"]\n",
	"py/app.py":                    "print(1)\n",
	"py/__pycache__/app.pyc":       "cache\n",
	"proto/a.proto":                "a\n",
	"proto/b.proto":                "b\n",
	"proto/c.proto":                "c\n",
	"ui/component.yaml":            "name: ui\nkind: node\ndependsOn: [py]\n",
	"ui/package.json":              "{}\n",
	"ui/node_modules/dep/index.js": "installed\n",
	"apps/web/component.yaml":      "name: web\nkind: docker\nbuild:\n  context: ..\n  dockerfile: web/Dockerfile\n",
	"apps/web/Dockerfile":          "FROM scratch\n",
	"apps/assets/logo.svg":         "<svg/>\n",
	"apps/assets/.pytest_cache/x":  "cache\n",
	"apps/img/component.yaml":      "name: img\nkind: docker\n",
	"apps/img/Dockerfile":          "FROM scratch\n",
	"apps/img/node_modules/a/b.js": "installed\n",
}

// received is what each component's build receives of shapes, by hand.
var received = map[string][]string{
	"greet": {"libs/go.mod", "libs/go.sum", "libs/greet/README.md", "libs/greet/component.yaml", "libs/greet/greet.go"},
	"api": {"libs/greet/README.md", "libs/greet/component.yaml", "libs/greet/greet.go",
		"shared/a.txt", "shared/sub/b.txt",
		"svc/api/admin/component.yaml", "svc/api/admin/run.sh", "svc/api/component.yaml", "svc/api/docs/guide.txt", "svc/api/go.mod", "svc/api/main.go"},
	"admin": {"svc/api/admin/component.yaml", "svc/api/admin/run.sh"},
	"py":    {"proto/a.proto", "proto/b.proto", "py/app.py", "py/component.yaml"},
	"ui":    {"py/app.py", "py/component.yaml", "ui/component.yaml", "ui/package.json"},
	"web":   {"apps/assets/logo.svg", "apps/img/Dockerfile", "apps/img/component.yaml", "apps/web/Dockerfile", "apps/web/component.yaml"},
	"img":   {"apps/img/Dockerfile", "apps/img/component.yaml"},
}

// planAll plans every component of the working tree with digests.
func planAll(t *testing.T, dir string, head string, names ...string) *plan.Plan {
	t.Helper()
	p, err := plan.Make(context.Background(), plan.Options{Dir: dir, Head: head, All: true, Components: names, Digest: true, DigestInputs: true, Trees: true})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func fileEntries(d *digest.Digest) []string {
	var out []string
	for _, in := range d.Inputs {
		if in.Kind == digest.KindFile {
			out = append(out, in.Name)
		}
	}
	return out
}

// TestReceivedFiles: a component's file entries are exactly what its
// build receives (the tree the builder is given, matched over git's file
// list as Dagger's filter matches it); the digest changes when any of
// them changes or a file is added where the build would receive it, and
// not for a file outside what it and its dependencies receive.
func TestReceivedFiles(t *testing.T) {
	r := gittest.New(t)
	r.Commit("shapes", shapes)
	list := strings.Split(r.Git("ls-files"), "\n")
	slices.Sort(list)
	p := planAll(t, r.Dir, "")
	byName := map[string]*digest.Digest{}
	for _, c := range p.Components {
		byName[c.Name] = &digest.Digest{Sum: c.Digest, Inputs: c.Inputs}
	}
	for name, want := range received {
		d, tree := byName[name], p.Trees[name]
		if d == nil {
			t.Fatalf("%s: no digest", name)
		}
		if got := fileEntries(d); !slices.Equal(got, want) {
			t.Errorf("%s: file entries\n%q\nwant\n%q", name, got, want)
		}
		// The builder's filter patterns pick the same files from git's list.
		f := pathglob.NewFilter(tree.Include, tree.Exclude)
		var picked []string
		for _, path := range list {
			rel, ok := path, true
			if tree.Root != "." {
				rel, ok = strings.CutPrefix(path, tree.Root+"/")
			}
			if ok && f.Keeps(rel) {
				picked = append(picked, path)
			}
		}
		if !slices.Equal(picked, want) {
			t.Errorf("%s: the tree's patterns %+v pick\n%q\nwant\n%q", name, tree, picked, want)
		}
	}
	if got := p.Trees["greet"].GoModule; got != "libs" {
		t.Errorf("greet: module root %q, want libs", got)
	}

	for name := range received {
		t.Run(name, func(t *testing.T) {
			before := byName[name]
			in := influence(name)
			in["monopipe.yaml"], in["tools/ci.sh"] = true, true // the workspace, a global file
			for _, path := range list {
				edit := "edited\n"
				if strings.HasSuffix(path, ".yaml") {
					edit = "# edited\n"
				}
				old := shapes[path]
				r.Write(map[string]string{path: old + edit})
				after := digestOf(t, r.Dir, "", name)
				r.Write(map[string]string{path: old})
				ch := digest.Diff(before, after)
				switch {
				case slices.Contains(received[name], path):
					if !slices.ContainsFunc(ch.Changed, func(c digest.Changed) bool { return c.Kind == digest.KindFile && c.Name == path }) {
						t.Errorf("editing %s, which the build receives, changed %+v", path, ch)
					}
				case !in[path]:
					if after.Sum != before.Sum {
						t.Errorf("editing %s, which nothing it builds from receives, changed %+v", path, ch)
					}
				}
			}
			// A new file where the build receives the folder counts.
			dirs := map[string]bool{}
			for _, path := range received[name] {
				dirs[filepath.ToSlash(filepath.Dir(path))] = true
			}
			delete(dirs, "libs")  // greet receives its module's go.mod and go.sum alone
			delete(dirs, "proto") // py's inputs name their files
			for dir := range dirs {
				added := dir + "/added.txt"
				r.Write(map[string]string{added: "new\n"})
				after := digestOf(t, r.Dir, "", name)
				if err := os.Remove(filepath.Join(r.Dir, added)); err != nil {
					t.Fatal(err)
				}
				if !slices.ContainsFunc(digest.Diff(before, after).Added, func(in digest.Input) bool { return in.Name == added }) {
					t.Errorf("adding %s left the digest as it was", added)
				}
			}
		})
	}
}

// influence is what a component and, recursively, its dependencies
// receive.
func influence(name string) map[string]bool {
	m := map[string]bool{}
	for _, f := range received[name] {
		m[f] = true
	}
	deps := map[string][]string{"api": {"greet"}, "ui": {"py"}}
	for _, d := range deps[name] {
		for f := range influence(d) {
			m[f] = true
		}
	}
	return m
}

// TestTreesAtCommit: the trees planned at a commit are those planned from
// the working tree of the same content, and the builder's are the plan's.
func TestTreesAtCommit(t *testing.T) {
	r := gittest.New(t)
	r.Commit("shapes", shapes)
	work, commit := planAll(t, r.Dir, ""), planAll(t, r.Dir, "HEAD")
	if len(work.Trees) != len(received) {
		t.Errorf("%d trees, want %d", len(work.Trees), len(received))
	}
	for name := range received {
		if w, c := work.Trees[name], commit.Trees[name]; !treeEqual(w, c) {
			t.Errorf("%s: working tree %+v, commit %+v", name, w, c)
		}
	}
	// A selection gets the trees of what it depends on too; a plan not
	// asked for trees (not a build's) decides none.
	if p := planAll(t, r.Dir, "HEAD", "api"); len(p.Trees) != 2 || p.Trees["greet"].GoModule != "libs" {
		t.Errorf("api alone: trees %+v, want api's and greet's", p.Trees)
	}
	p, err := plan.Make(context.Background(), plan.Options{Dir: r.Dir, All: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Trees != nil {
		t.Errorf("without Options.Trees: %+v", p.Trees)
	}
}

func treeEqual(a, b sourcetree.Tree) bool {
	return a.Root == b.Root && a.GoModule == b.GoModule && slices.Equal(a.Include, b.Include) && slices.Equal(a.Exclude, b.Exclude)
}

// TestManifestNormalized: a comment in component.yaml changes the digest
// through the file the build receives, not through the manifest entry.
func TestManifestNormalized(t *testing.T) {
	r := newRepo(t)
	before := digestOf(t, r.Dir, "HEAD", "api")
	r.Commit("comment", map[string]string{"components/api/component.yaml": "# a comment\n" + fixture["components/api/component.yaml"]})
	ch := digest.Diff(before, digestOf(t, r.Dir, "HEAD", "api"))
	if len(ch.Changed) != 1 || ch.Changed[0].String() == "" || ch.Changed[0].Kind != digest.KindFile || len(ch.Added)+len(ch.Removed) != 0 {
		t.Errorf("differences %+v, want the component.yaml file entry alone", ch)
	}
}

// TestContextOutsideRepository: a docker build context outside the
// repository has no files to digest; the plan says which manifest.
func TestContextOutsideRepository(t *testing.T) {
	r := gittest.New(t)
	r.Commit("init", map[string]string{"apps/web/component.yaml": "name: web\nkind: docker\nbuild:\n  context: ../../..\n", "apps/web/Dockerfile": "FROM scratch\n"})
	_, err := plan.Make(context.Background(), plan.Options{Dir: r.Dir, All: true, Digest: true})
	if err == nil || !strings.Contains(err.Error(), `apps/web/component.yaml: build.context "../../.." leaves the repository`) {
		t.Errorf("err = %v, want the manifest and its build.context named", err)
	}
}
