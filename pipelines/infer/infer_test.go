package infer

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"testing/fstest"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

func TestFixtures(t *testing.T) {
	tests := []struct {
		dir        string
		all        []string // every inferred dependency, by user then used (folders first)
		undeclared []string // Undeclared's messages
	}{
		{
			dir: "go",
			all: []string{
				"api imports example.com/greet (component greet) api/main.go:6",
				"tool imports example.com/greet (component greet) tool/tool.go:4",
				"tool imports example.com/web (component web) tool/tool.go:5",
				"web imports example.com/greet/sub (component greet) web/web_test.go:6",
			},
			undeclared: []string{
				"api/main.go:6: api imports example.com/greet (component greet) but does not declare dependsOn: [greet]",
				"tool/tool.go:4: tool imports example.com/greet (component greet) but does not declare dependsOn: [greet]",
				"tool/tool.go:5: tool imports example.com/web (component web) but does not declare dependsOn: [web]",
			},
		},
		{
			dir: "gomodule", // one module, components in its folders
			all: []string{
				"a imports example.com/mono/shared (folder shared, in no component) services/a/main.go:6",
				"a imports example.com/mono/libs/b/internal (component b) services/a/main.go:4",
				"a imports example.com/mono/libs/c (component c) services/a/main.go:5",
			},
			undeclared: []string{
				`services/a/main.go:6: a imports example.com/mono/shared (folder shared, in no component) but no inputs glob covers it: a change there affects nothing (add inputs: ["/shared/**"])`,
				"services/a/main.go:4: a imports example.com/mono/libs/b/internal (component b) but does not declare dependsOn: [b]",
			},
		},
		{
			dir: "node",
			all: []string{
				"app depends on node package acme-tool (component tool) packages/app/package.json:10",
				"app depends on node package @acme/ui (component ui) packages/app/package.json:7",
			},
			undeclared: []string{
				"packages/app/package.json:7: app depends on node package @acme/ui (component ui) but does not declare dependsOn: [ui]",
			},
		},
		{
			dir: "python",
			all: []string{
				"job depends on python package acme_core (component core) poetry/pyproject.toml:10",
				"job depends on python package acme-svc (component svc) poetry/pyproject.toml:7",
				"svc depends on python package acme.core (component core) svc/pyproject.toml:6",
			},
			undeclared: []string{
				"poetry/pyproject.toml:10: job depends on python package acme_core (component core) but does not declare dependsOn: [core]",
				"svc/pyproject.toml:6: svc depends on python package acme.core (component core) but does not declare dependsOn: [core]",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			fsys := os.DirFS("testdata/" + tt.dir)
			ws, comps, err := manifest.Load(fsys)
			if err != nil {
				t.Fatal(err)
			}
			deps, err := Find(fsys, nil, comps)
			if err != nil {
				t.Fatal(err)
			}
			var all, undeclared []string
			for _, d := range deps {
				all = append(all, d.String()+" "+d.File+":"+strconv.Itoa(d.Line))
			}
			for _, d := range Undeclared(deps, ws, comps) {
				undeclared = append(undeclared, d.Undeclared())
			}
			if !slices.Equal(all, tt.all) {
				t.Errorf("Find:\n%q\nwant\n%q", all, tt.all)
			}
			if !slices.Equal(undeclared, tt.undeclared) {
				t.Errorf("Undeclared:\n%q\nwant\n%q", undeclared, tt.undeclared)
			}
		})
	}
}

func TestFind(t *testing.T) {
	load := func(t *testing.T, fsys fstest.MapFS) (*manifest.Workspace, []*manifest.Component) {
		t.Helper()
		ws, cs, err := manifest.Load(fsys)
		if err != nil {
			t.Fatal(err)
		}
		return ws, cs
	}
	base := fstest.MapFS{
		"lib/component.yaml": {Data: []byte("name: lib\nkind: go\n")},
		"lib/go.mod":         {Data: []byte("module example.com/lib\n")},
		"lib/lib.go":         {Data: []byte("package lib\n\nimport _ \"example.com/lib/inner\"\n")}, // itself
		"app/component.yaml": {Data: []byte("name: app\nkind: go\n")},
		"app/go.mod":         {Data: []byte("module example.com/app\n")},
	}
	with := func(files map[string]string) fstest.MapFS {
		m := fstest.MapFS{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range files {
			m[k] = &fstest.MapFile{Data: []byte(v)}
		}
		return m
	}
	// withWS is with, plus a monopipe.yaml; an empty file removes one.
	withWS := func(ws string, files map[string]string) fstest.MapFS {
		m := with(files)
		if ws != "" {
			m["monopipe.yaml"] = &fstest.MapFile{Data: []byte(ws)}
		}
		for k, f := range m {
			if len(f.Data) == 0 && k != "app/dir.go/x" {
				delete(m, k)
			}
		}
		return m
	}
	tests := []struct {
		name  string
		fsys  fstest.MapFS
		files []string // nil: walk
		want  []string
	}{
		{"no imports", base, nil, nil},
		{"import", with(map[string]string{"app/a.go": "package a\nimport \"example.com/lib\"\n"}), nil,
			[]string{"app/a.go:2: app imports example.com/lib (component lib) but does not declare dependsOn: [lib]"}},
		{"one finding per pair, at the first file", with(map[string]string{
			"app/a.go": "package a\nimport \"example.com/lib\"\n",
			"app/b.go": "package a\nimport \"example.com/lib\"\n",
		}), nil, []string{"app/a.go:2: app imports example.com/lib (component lib) but does not declare dependsOn: [lib]"}},
		{"a file that does not parse is skipped", with(map[string]string{"app/a.go": "package a\nimport \"example.com/lib\n"}), nil, nil},
		{"a similar module path is not the module", with(map[string]string{"app/a.go": "package a\nimport \"example.com/library\"\n"}), nil, nil},
		{"only the files listed are read", with(map[string]string{
			"app/a.go":       "package a\nimport \"example.com/lib\"\n",
			"app/ignored.go": "package a\nimport \"example.com/lib\"\n",
		}), []string{"lib/go.mod", "lib/lib.go", "app/go.mod", "app/ignored.go"}, []string{"app/ignored.go:2: app imports example.com/lib (component lib) but does not declare dependsOn: [lib]"}},
		{"a listed file that is gone, or a folder, is skipped", with(map[string]string{"app/dir.go/x": "", "app/a.go": "package a\nimport \"example.com/lib\"\n"}),
			[]string{"lib/go.mod", "app/go.mod", "app/gone.go", "app/dir.go", "app/a.go"},
			[]string{"app/a.go:2: app imports example.com/lib (component lib) but does not declare dependsOn: [lib]"}},
		{"a package.json or pyproject.toml that does not parse is skipped", with(map[string]string{
			"lib/package.json":   `{"name": "lib"}`,
			"app/package.json":   `{"dependencies": {"lib": 1}}`,
			"app/pyproject.toml": "[project\n",
		}), nil, nil},
		{"a package of no folder in the repository (generated, say)", withWS("", map[string]string{
			"go.mod":     "module example.com/mono\n",
			"app/go.mod": "",
			"app/a.go":   "package a\nimport \"example.com/mono/gen\"\n",
		}), nil, nil},
		{"a folder in no component, covered by inputs", withWS("", map[string]string{
			"go.mod":             "module example.com/mono\n",
			"shared/s.go":        "package shared\n",
			"app/go.mod":         "",
			"app/a.go":           "package a\nimport \"example.com/mono/shared\"\n",
			"app/component.yaml": "name: app\nkind: go\ninputs: [\"/shared/*.go\"]\n",
		}), nil, nil},
		{"a folder in no component, covered by global", withWS("global: [\"shared/**\"]\n", map[string]string{
			"go.mod":      "module example.com/mono\n",
			"shared/s.go": "package shared\n",
			"app/go.mod":  "",
			"app/a.go":    "package a\nimport \"example.com/mono/shared\"\n",
		}), nil, nil},
		{"a folder in no component, not covered", withWS("global: [\"other/**\"]\n", map[string]string{
			"go.mod":      "module example.com/mono\n",
			"shared/s.go": "package shared\n",
			"app/go.mod":  "",
			"app/a.go":    "package a\nimport \"example.com/mono/shared\"\n",
		}), nil, []string{`app/a.go:2: app imports example.com/mono/shared (folder shared, in no component) but no inputs glob covers it: a change there affects nothing (add inputs: ["/shared/**"])`}},
		{"hidden folders are skipped", with(map[string]string{"app/.cache/a.go": "package a\nimport \"example.com/lib\"\n"}), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, cs := load(t, tt.fsys)
			deps, err := Find(tt.fsys, tt.files, cs)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range Undeclared(deps, ws, cs) {
				got = append(got, d.Undeclared())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestModulePath(t *testing.T) {
	for in, want := range map[string]string{
		"module example.com/a\n":                   "example.com/a",
		"// comment\nmodule  example.com/a // x\n": "example.com/a",
		"module \"example.com/a\"\n":               "example.com/a",
		"modules example.com/a\n":                  "",
		"go 1.26\n":                                "",
	} {
		if got := modulePath([]byte(in)); got != want {
			t.Errorf("modulePath(%q) = %q, want %q", in, got, want)
		}
	}
}
