package adopt_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/pipelines/adopt"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
)

// fixtureRepo copies testdata/name into a new git repository, adds
// extra files (what a fixture cannot hold: ignored folders,
// node_modules) and commits.
func fixtureRepo(t *testing.T, name string, extra map[string]string) *gittest.Repo {
	t.Helper()
	r := gittest.New(t)
	if name != "" {
		if err := os.CopyFS(r.Dir, os.DirFS(filepath.Join("testdata", name))); err != nil {
			t.Fatal(err)
		}
	}
	r.Commit("fixture", extra)
	return r
}

// propose runs init's proposal on the working tree of the repository at dir.
func propose(t *testing.T, dir string) *adopt.Proposal {
	t.Helper()
	m, err := plan.Open(context.Background(), plan.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	p, err := adopt.Propose(adopt.Input{FS: m.FS, Files: m.Files, Workspace: m.Workspace, Components: m.Components, RootName: "repo"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// summary is "dir name kind [deps]" per proposed component.
func summary(p *adopt.Proposal) []string {
	var out []string
	for _, c := range p.Components {
		out = append(out, c.Dir+" "+c.Name+" "+string(c.Kind)+" ["+strings.Join(c.DependsOn, " ")+"]")
	}
	return out
}

func TestFixtures(t *testing.T) {
	tests := []struct {
		fixture   string
		extra     map[string]string
		want      []string // summary
		workspace string   // the components line of the proposed monopipe.yaml ("" when none)
		notes     []string // substrings of notes, in order
	}{
		{
			fixture: "go",
			extra: map[string]string{
				".gitignore":            "build/\n",
				"build/gen/go.mod":      "module example.com/gen\n",
				"testdata/x/go.mod":     "module example.com/fixture\n",
				".hidden/y/go.mod":      "module example.com/hidden\n",
				"api/Dockerfile.txt":    "not a Dockerfile\n",
				"api/docker/Dockerfile": "FROM scratch\n", // api's, most likely
			},
			want: []string{
				"api api go [lib]",   // imports example.com/lib (module example.com/lib/v2)
				"lib lib go []",      // named for its folder, not lib/v2
				"tool tool go [lib]", // replace example.com/lib => ../lib, no import
			},
			workspace: `components: ["*"]`,
			notes:     []string{"go.work: a go.work workspace", "api/docker/Dockerfile: inside the project in api"},
		},
		{
			fixture: "node",
			extra:   map[string]string{"node_modules/left-pad/package.json": `{"name": "left-pad"}`},
			want: []string{
				"packages/app app node [helper ui]", // file: and workspace:* dependencies
				"packages/ui ui node []",
				"tools/helper helper node []", // its devDependency on app closes a cycle
			},
			workspace: `components: ["packages/*", "tools/*"]`,
			notes:     []string{"package.json: an npm/pnpm/yarn workspace root", "helper: dependsOn app dropped: it closes a dependency cycle"},
		},
		{
			fixture: "python",
			want: []string{
				"core core python []",
				"job job python [svc]",      // Poetry path dependency
				"svc svc python [core]",     // acme_core is acme-core
				"uvapp uvapp python [core]", // uv source path
			},
			workspace: `components: ["*"]`,
		},
		{
			fixture: "docker",
			want: []string{
				"images/app app docker [base legacy]", // COPY --from images, not stages
				"images/base base docker []",
				"mod mod dagger []", // a Dagger module, its go.mod not a Go component
			},
			workspace: `components: ["*", "images/*"]`,
			notes:     []string{"dagger.json at the root", "ci: the source of the Dagger module in ."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			r := fixtureRepo(t, tt.fixture, tt.extra)
			p := propose(t, r.Dir)
			if got := summary(p); !slices.Equal(got, tt.want) {
				t.Errorf("components:\n got %q\nwant %q", got, tt.want)
			}
			var ws string
			for _, f := range p.Files {
				if f.Exists {
					t.Errorf("%s: proposed over an existing file", f.Path)
				}
				if f.Path == manifest.WorkspaceFile {
					for _, l := range strings.Split(string(f.New), "\n") {
						if strings.HasPrefix(l, "components:") {
							ws = l
						}
					}
					continue
				}
				if !strings.HasPrefix(string(f.New), "# yaml-language-server: $schema="+adopt.ComponentSchemaURL+"\n") {
					t.Errorf("%s does not start with the schema line:\n%s", f.Path, f.New)
				}
			}
			if ws != tt.workspace {
				t.Errorf("monopipe.yaml components: got %q, want %q", ws, tt.workspace)
			}
			// Written, the proposal is what plan reads: every manifest
			// found, parsed and the graph checked.
			written := map[string]string{}
			for _, f := range p.Files {
				written[f.Path] = string(f.New)
			}
			r.Write(written)
			m, err := plan.Open(context.Background(), plan.Options{Dir: r.Dir})
			if err != nil {
				t.Fatalf("the written proposal does not open: %v", err)
			}
			defer m.Close()
			var dirs []string
			for _, c := range m.Components {
				if !strings.HasPrefix(c.Path, "legacy/") {
					dirs = append(dirs, c.Dir+" "+c.Name+" "+string(c.Kind)+" ["+strings.Join(c.DependsOn, " ")+"]")
				}
			}
			if !slices.Equal(dirs, tt.want) {
				t.Errorf("plan reads the written proposal as %q, want %q", dirs, tt.want)
			}
			all := strings.Join(p.Notes, "\n")
			for _, n := range tt.notes {
				i := strings.Index(all, n)
				if i < 0 {
					t.Errorf("no note %q in:\n%s", n, all)
					continue
				}
				all = all[i+len(n):]
			}
		})
	}
}

// TestSkipsNestedAndIgnored: a nested repository (untracked, and
// committed as a gitlink) and a git-ignored folder hold no component.
func TestSkipsNestedAndIgnored(t *testing.T) {
	r := fixtureRepo(t, "", map[string]string{
		".gitignore": "out/\n",
		"out/go.mod": "module example.com/out\n",
		"app/go.mod": "module example.com/app\n",
	})
	for _, d := range []string{"nested", "linked"} {
		n := gittest.New(t)
		n.Commit("nested", map[string]string{"go.mod": "module example.com/" + d + "\n"})
		if err := os.CopyFS(filepath.Join(r.Dir, d), os.DirFS(n.Dir)); err != nil {
			t.Fatal(err)
		}
	}
	r.Git("add", "linked") // a gitlink, as a submodule's
	r.Git("commit", "-qm", "gitlink")
	p := propose(t, r.Dir)
	if got, want := summary(p), []string{"app app go []"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestRerun: after --write, init proposes only what is new, and the
// written components count for dependsOn; a component.yaml that the
// components globs do not search is proposed over (needs --force).
func TestRerun(t *testing.T) {
	r := fixtureRepo(t, "go", nil)
	p := propose(t, r.Dir)
	files := map[string]string{}
	for _, f := range p.Files {
		files[f.Path] = string(f.New)
	}
	r.Commit("adopt", files)
	if p := propose(t, r.Dir); len(p.Files) != 0 {
		t.Fatalf("rerun proposes %d files: %q", len(p.Files), summary(p))
	}
	r.Commit("new module", map[string]string{
		"web/go.mod":     "module example.com/web\n\nrequire example.com/api v0.0.0\n\nreplace example.com/api => ../api\n",
		"web/main.go":    "package main\n\nfunc main() {}\n",
		"web/lib/lib.go": "package lib\n",
		"api/web.go":     "package main\n\nimport _ \"example.com/web/lib\"\n",
	})
	p = propose(t, r.Dir)
	if got, want := summary(p), []string{"web web go [api]"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if all := strings.Join(p.Notes, "\n"); !strings.Contains(all, "api/web.go:3: existing component api uses proposed web: add it to api's dependsOn by hand") {
		t.Errorf("no note on api's use of web:\n%s", all)
	}
	if len(p.Files) != 1 || p.Files[0].Path != "web/component.yaml" {
		t.Errorf("files: %+v", p.Files)
	}

	// Narrow the globs: api's component.yaml is no longer searched.
	r.Commit("narrow", map[string]string{
		"monopipe.yaml":      "components: [lib, tool, web]\n",
		"api/component.yaml": "name: the-api\nkind: go\n",
	})
	p = propose(t, r.Dir)
	var exists []string
	for _, f := range p.Files {
		if f.Exists {
			exists = append(exists, f.Path)
		}
	}
	if want := []string{"api/component.yaml", "monopipe.yaml"}; !slices.Equal(exists, want) {
		t.Errorf("existing files proposed over: %q, want %q", exists, want)
	}
	if all := strings.Join(p.Notes, "\n"); !strings.Contains(all, "monopipe.yaml: components globs do not search api: proposed with them added") {
		t.Errorf("no note on the globs:\n%s", all)
	}
	// web is still unwritten; web's replace of api closes a cycle with
	// api's import of web, and is dropped.
	if got, want := summary(p), []string{"api the-api go [lib web]", "web web go []"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q (api named as its component.yaml says)", got, want)
	}
	for _, f := range p.Files {
		if f.Path == "monopipe.yaml" && string(f.New) != "components: [lib, tool, web, \"api\"]\n" {
			t.Errorf("monopipe.yaml proposed as %q", f.New)
		}
	}
}

// TestNames: names come from the folder, else the package, else the
// path; they are made valid and unique.
func TestNames(t *testing.T) {
	r := fixtureRepo(t, "", map[string]string{
		"go.mod":               "module example.com/My_Repo/v3\n",
		"a/API/package.json":   `{"name": "@acme/api"}`,
		"b/API/package.json":   `{"name": "@acme/api-b"}`,
		"c/API/Dockerfile":     "FROM scratch\n",
		"d/-x-/pyproject.toml": "[project]\nname = \"Weird.Name\"\n",
	})
	p := propose(t, r.Dir)
	want := []string{". my_repo go []", "a/API api node []", "b/API api-b node []", "c/API c-api docker []", "d/-x- x- python []"}
	if got := summary(p); !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestDuplicatePackageNames: two projects with one npm name (copies,
// say) are both proposed; the names cannot tell which one a dependency
// means, and a note says so.
func TestDuplicatePackageNames(t *testing.T) {
	r := fixtureRepo(t, "", map[string]string{
		"a/package.json": `{"name": "dup"}`,
		"b/package.json": `{"name": "dup"}`,
		"c/package.json": `{"name": "c", "dependencies": {"dup": "*", "x": "file:../b"}}`,
	})
	p := propose(t, r.Dir)
	if got, want := summary(p), []string{"a a node []", "b b node []", "c c node [b]"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if all := strings.Join(p.Notes, "\n"); !strings.Contains(all, "npm package dup is also component") {
		t.Errorf("no note on the duplicate:\n%s", all)
	}
}

// TestExampleMonorepo runs init on a copy of the example monorepo
// (components/) with its component.yaml files removed and compares the
// proposal with the hand-written manifests. What init cannot know (build
// settings, a project with no package manifest) is the expected
// difference.
func TestExampleMonorepo(t *testing.T) {
	src := filepath.Join("..", "..", "components")
	r := gittest.New(t)
	if err := os.CopyFS(filepath.Join(r.Dir, "components"), os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	hand := map[string]*manifest.Component{}
	matches, _ := filepath.Glob(filepath.Join(r.Dir, "components", "*", manifest.ComponentFile))
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(r.Dir, m)
		c, err := manifest.ParseComponent(filepath.ToSlash(rel), data)
		if err != nil {
			t.Fatal(err)
		}
		hand[c.Dir] = c
		os.Remove(m)
	}
	if len(hand) == 0 {
		t.Fatal("no hand-written manifests found")
	}
	r.Commit("example", nil)
	p := propose(t, r.Dir)
	got := map[string]*manifest.Component{}
	for _, c := range p.Components {
		got[c.Dir] = c
	}
	var diffs []string
	for _, dir := range sortedDirs(hand, got) {
		h, g := hand[dir], got[dir]
		switch {
		case g == nil:
			diffs = append(diffs, dir+": not proposed (hand-written: kind "+string(h.Kind)+")")
		case h == nil:
			diffs = append(diffs, dir+": proposed, not hand-written")
		case h.Name != g.Name || h.Kind != g.Kind || !slices.Equal(h.DependsOn, g.DependsOn):
			diffs = append(diffs, dir+": hand-written "+describe(h)+", proposed "+describe(g))
		}
	}
	for _, d := range diffs {
		t.Log(d)
	}
	want := []string{"components/semver-bump: not proposed (hand-written: kind custom)"}
	if !slices.Equal(diffs, want) {
		t.Errorf("differences from the hand-written manifests:\n got %q\nwant %q", diffs, want)
	}
	var ws string
	for _, f := range p.Files {
		if f.Path == manifest.WorkspaceFile {
			ws = string(f.New)
		}
	}
	if !strings.Contains(ws, `components: ["components/*"]`+"\n") {
		t.Errorf("proposed monopipe.yaml:\n%s", ws)
	}
}

func describe(c *manifest.Component) string {
	return c.Name + " " + string(c.Kind) + " [" + strings.Join(c.DependsOn, " ") + "]"
}

func sortedDirs(a, b map[string]*manifest.Component) []string {
	var dirs []string
	for d := range a {
		dirs = append(dirs, d)
	}
	for d := range b {
		if a[d] == nil {
			dirs = append(dirs, d)
		}
	}
	slices.Sort(dirs)
	return dirs
}

// TestRootDaggerModule: a dagger.json at the root is the repository's
// own module, not a component, and does not hide the root's Go module;
// the module's source folder is no project of its own.
func TestRootDaggerModule(t *testing.T) {
	r := fixtureRepo(t, "", map[string]string{
		"dagger.json": `{"name": "ci", "sdk": {"source": "go"}, "source": "ci"}`,
		"go.mod":      "module example.com/product\n",
		"ci/go.mod":   "module dagger/ci\n",
		"ci/main.go":  "package main\n",
	})
	p := propose(t, r.Dir)
	if got, want := summary(p), []string{". product go []"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestDaggerModules: a Dagger module is proposed as kind dagger with the
// functions its Go source declares on its main object (build and test by
// name or prefix, the build function's Directory argument when it is not
// source), its local dependencies outside its folder as inputs, and the
// defaults when its functions cannot be read.
func TestDaggerModules(t *testing.T) {
	r := fixtureRepo(t, "", map[string]string{
		"svc/api/dagger.json": `{"name": "api-ci", "sdk": {"source": "go"}, "source": "ci",
  "dependencies": [{"name": "shared", "source": "../../mods/shared"}, {"name": "inner", "source": "./inner"}, {"name": "remote", "source": "github.com/acme/mods/go@v1.2.0"}]}`,
		"svc/api/ci/main.go": `package main

import "dagger/api-ci/internal/dagger"

type ApiCi struct{}

func (m *ApiCi) BuildImage(src *dagger.Directory, tag string) *dagger.Container { return nil }
func (m ApiCi) TestAll(source *dagger.Directory) string                        { return "" }
func (m *ApiCi) helper()                                                        {}
func (m *Other) Build()                                                         {}
`,
		"svc/api/inner/dagger.json": `{"name": "inner", "sdk": {"source": "go"}}`,
		"svc/api/inner/main.go":     "package main\n",
		"mods/shared/dagger.json":   `{"name": "shared", "sdk": {"source": "python"}}`,
		"mods/shared/src/main.py":   "",
		"tools/dagger.json":         `{"name": "tools", "sdk": {"source": "go"}}`,
		"tools/main.go":             "package main\n\ntype Tools struct{}\n\nfunc (t *Tools) Lint() {}\n",
	})
	p := propose(t, r.Dir)
	if got, want := summary(p), []string{"mods/shared shared dagger []", "svc/api api dagger []", "svc/api/inner inner dagger []", "tools tools dagger []"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	files := map[string]string{}
	for _, f := range p.Files {
		files[f.Path] = string(f.New)
	}
	for file, want := range map[string]string{
		"svc/api/component.yaml":     "inputs:\n  - \"/mods/shared/**\"\nbuild:\n  function: build-image\n  sourceArg: src\ntest:\n  function: test-all\n",
		"mods/shared/component.yaml": "build:\n  function: build\ntest:\n  function: test\n", // python: not read
		"tools/component.yaml":       "build:\n  function: build\n",                          // no build, no test function
	} {
		if !strings.Contains(files[file], want) {
			t.Errorf("%s:\n%s\nwant it to hold\n%s", file, files[file], want)
		}
		if _, err := manifest.ParseComponent(file, []byte(files[file])); err != nil {
			t.Errorf("%s does not parse: %v", file, err)
		}
	}
	if strings.Contains(files["tools/component.yaml"], "test:") {
		t.Errorf("tools has no test function; proposed:\n%s", files["tools/component.yaml"])
	}
	if !slices.ContainsFunc(p.Notes, func(n string) bool {
		return strings.Contains(n, "tools/dagger.json: module tools has no build function (its functions: lint)")
	}) {
		t.Errorf("notes %q lack the missing build function", p.Notes)
	}
}
