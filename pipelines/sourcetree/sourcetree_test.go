package sourcetree_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/pathglob"
	"github.com/monopipe/monopipe/pipelines/sourcetree"
)

func comp(name, dir string, kind manifest.Kind) *manifest.Component {
	p := dir + "/" + manifest.ComponentFile
	if dir == "." {
		p = manifest.ComponentFile
	}
	return &manifest.Component{Name: name, Dir: dir, Path: p, Kind: kind}
}

func TestOf(t *testing.T) {
	files := sourcetree.ListExists([]string{"libs/go.mod", "svc/a/go.mod"})
	greet := comp("greet", "libs/greet", manifest.KindGo)
	api := comp("api", "svc/a", manifest.KindGo)
	api.Inputs = []string{"/shared/{a,b}/*.txt", "../proto/*.proto"}
	web := comp("web", "apps/web", manifest.KindDocker)
	web.Build.Context = ".."
	away := comp("away", "apps/away", manifest.KindDocker)
	away.Build.Context = "../../.."
	tests := []struct {
		c    *manifest.Component
		deps []*manifest.Component
		want sourcetree.Tree
		err  string
	}{
		{c: greet, want: sourcetree.Tree{Root: ".", Include: []string{"libs/greet/**", "libs/go.mod", "libs/go.sum"}, Exclude: sourcetree.Excluded, GoModule: "libs"}},
		{c: api, deps: []*manifest.Component{greet}, want: sourcetree.Tree{Root: ".", Exclude: sourcetree.Excluded, GoModule: "svc/a",
			Include: []string{"svc/a/**", "libs/greet/**", "shared/a/*.txt", "shared/b/*.txt", "svc/proto/*.proto"}}},
		{c: comp("lost", "elsewhere/x", manifest.KindGo), want: sourcetree.Tree{Root: ".", Include: []string{"elsewhere/x/**"}, Exclude: sourcetree.Excluded}},
		{c: comp("root", ".", manifest.KindPython), want: sourcetree.Tree{Root: ".", Include: []string{"**"}, Exclude: sourcetree.Excluded}},
		{c: comp("ui", "apps/ui", manifest.KindNode), deps: []*manifest.Component{comp("r", ".", manifest.KindCustom)},
			want: sourcetree.Tree{Root: ".", Include: []string{"apps/ui/**", "**"}, Exclude: sourcetree.Excluded}},
		{c: web, want: sourcetree.Tree{Root: "apps", Exclude: sourcetree.Excluded}},
		{c: comp("img", "apps/img", manifest.KindDocker), want: sourcetree.Tree{Root: "apps/img", Exclude: sourcetree.Excluded}},
		{c: comp("odd", "we[ird]/{x}", manifest.KindGo), want: sourcetree.Tree{Root: ".", Include: []string{`we\[ird\]/\{x\}/**`}, Exclude: sourcetree.Excluded}},
		{c: away, err: `apps/away/component.yaml: build.context "../../.." leaves the repository`},
	}
	for _, tt := range tests {
		got, err := sourcetree.Of(tt.c, tt.deps, files)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%s: err = %v, want %q", tt.c.Name, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Of = %+v, %v\nwant %+v", tt.c.Name, got, err, tt.want)
		}
	}
}

func TestModuleRoot(t *testing.T) {
	files := sourcetree.ListExists([]string{"go.mod", "a/b/go.mod", "a/b/c/go.modx", "x/go.mod/y"})
	for dir, want := range map[string]string{"a/b/c/d": "a/b", "a/b": "a/b", "a": ".", ".": ".", "x": "."} {
		if got := sourcetree.ModuleRoot(dir, files); got != want {
			t.Errorf("ModuleRoot(%s) = %q, want %q", dir, got, want)
		}
	}
	if got := sourcetree.ModuleRoot("a/b", sourcetree.ListExists(nil)); got != "" {
		t.Errorf("no go.mod: ModuleRoot = %q, want none", got)
	}
}

// list is a repository's files, sorted, with the shapes Files must get
// right: folders sharing a prefix, a folder an input glob matches (all of
// it is sent), installed packages and caches at any depth, .git only at
// the root.
var list = slices.Sorted(slices.Values([]string{
	".github/workflows/ci.yml",
	".gitignore",
	"apps/assets/logo.svg",
	"apps/web/.git/config", // not the repository's .git: the filters anchor at the root
	"apps/web/Dockerfile",
	"apps/web/node_modules/left-pad/index.js",
	"apps/webhooks/x.go",
	"go.mod",
	"libs/go.mod",
	"libs/go.sum",
	"libs/greet/README.md",
	"libs/greet/greet.go",
	"libs/greet/pkg.egg-info/PKG-INFO",
	"libs/greetings/x.go",
	"node_modules/a/index.js",
	"proto/a.proto",
	"proto/c.proto",
	"shared/a/1.txt",
	"shared/a/1.md",
	"shared/b/deep/2.txt",
	"shared/c/3.txt",
	"shared/top.txt",
	"svc/a/__pycache__/m.pyc",
	"svc/a/docs/guide.txt",
	"svc/a/main.go",
	"svc/a/nested/component.yaml",
	"svc/a/nested/x.py",
	"we[ird]/x",
	"wei/x",
}))

func TestFiles(t *testing.T) {
	tests := []struct {
		name string
		tree sourcetree.Tree
		want []string
	}{
		{"folder, dependency, module root", sourcetree.Tree{Root: ".", Include: []string{"libs/greet/**", "svc/a/**", "libs/go.mod", "libs/go.sum"}, Exclude: sourcetree.Excluded},
			[]string{"libs/go.mod", "libs/go.sum", "libs/greet/README.md", "libs/greet/greet.go", "svc/a/docs/guide.txt", "svc/a/main.go", "svc/a/nested/component.yaml", "svc/a/nested/x.py"}},
		{"a glob matching folders sends them whole", sourcetree.Tree{Root: ".", Include: []string{"shared/*", "proto/a.proto"}, Exclude: sourcetree.Excluded},
			[]string{"proto/a.proto", "shared/a/1.md", "shared/a/1.txt", "shared/b/deep/2.txt", "shared/c/3.txt", "shared/top.txt"}},
		{"file globs", sourcetree.Tree{Root: ".", Include: []string{"shared/*/*.txt", "**/*.proto"}, Exclude: sourcetree.Excluded},
			[]string{"proto/a.proto", "proto/c.proto", "shared/a/1.txt", "shared/c/3.txt"}},
		{"the whole repository", sourcetree.Tree{Root: ".", Include: []string{"**"}, Exclude: sourcetree.Excluded},
			slices.DeleteFunc(slices.Clone(list), func(p string) bool {
				return strings.Contains(p, "node_modules/") || strings.Contains(p, "__pycache__/") || strings.Contains(p, ".egg-info/")
			})},
		{"a folder with special characters", sourcetree.Tree{Root: ".", Include: []string{`we\[ird\]/**`}, Exclude: sourcetree.Excluded},
			[]string{"we[ird]/x"}},
		{"a docker context", sourcetree.Tree{Root: "apps/web", Exclude: sourcetree.Excluded},
			[]string{"apps/web/Dockerfile"}}, // its .git is at the context's root
		{"a docker context above the folder", sourcetree.Tree{Root: "apps", Exclude: sourcetree.Excluded},
			[]string{"apps/assets/logo.svg", "apps/web/.git/config", "apps/web/Dockerfile", "apps/webhooks/x.go"}},
	}
	for _, tt := range tests {
		if got := tt.tree.Files(list); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Files =\n%q\nwant\n%q", tt.name, got, tt.want)
		}
		// The same as matching each path with the filter, and as Has.
		f := pathglob.NewFilter(tt.tree.Include, tt.tree.Exclude)
		var each []string
		for _, p := range list {
			rel, ok := strings.CutPrefix(p, tt.tree.Root+"/")
			if tt.tree.Root == "." {
				rel, ok = p, true
			}
			if ok && f.Keeps(rel) {
				each = append(each, p)
			}
			if has := tt.tree.Has(p); has != slices.Contains(tt.want, p) {
				t.Errorf("%s: Has(%s) = %v", tt.name, p, has)
			}
		}
		if !slices.Equal(each, tt.want) {
			t.Errorf("%s: path by path:\n%q\nwant\n%q", tt.name, each, tt.want)
		}
	}
}
