package build

import (
	"context"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/sourcetree"
)

// TestStampScript runs the exact wrapper every step's exec uses, with the
// real sh, and checks what evaluate relies on: the stamp comes first,
// stderr is merged into stdout, and the script's exit code passes through.
func TestStampScript(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on PATH")
	}
	tests := []struct {
		script string
		out    string
		code   int
	}{
		{"echo out; echo err >&2", "out\nerr\n", 0},
		{"echo before; false; echo after", "before\n", 1},
		{"exit 3", "", 3},
		{shellQuote([]string{"printf", "%s|", "it's", "a b", "$HOME"}), "it's|a b|$HOME|", 0},
	}
	for _, tt := range tests {
		before := time.Now()
		cmd := exec.Command(sh, "-c", stampScript, "monopipe", "sh", "-ec", tt.script)
		out, err := cmd.Output()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		rest, cached, ok := unstamp(string(out), before)
		if !ok || cached || rest != tt.out || code != tt.code {
			t.Errorf("%q: rest %q cached %v ok %v code %d; want %q, fresh, code %d", tt.script, rest, cached, ok, code, tt.out, tt.code)
		}
		// The same output read after a later step started is a replay.
		if _, cached, _ := unstamp(string(out), time.Now().Add(time.Second)); !cached {
			t.Errorf("%q: output stamped before the step started is not taken as cached", tt.script)
		}
	}
}

func TestUnstamp(t *testing.T) {
	at := time.Unix(100, 0)
	tests := []struct {
		out, rest  string
		cached, ok bool
	}{
		{stampPrefix + "99000000000\nhello\n", "hello\n", true, true},
		{stampPrefix + "100000000000\nhello\n", "hello\n", false, true},
		{stampPrefix + "%N\nhello\n", "hello\n", false, false},
		{"no stamp\n", "no stamp\n", false, false},
		{"", "", false, false},
	}
	for _, tt := range tests {
		rest, cached, ok := unstamp(tt.out, at)
		if rest != tt.rest || cached != tt.cached || ok != tt.ok {
			t.Errorf("unstamp(%q) = %q %v %v; want %q %v %v", tt.out, rest, cached, ok, tt.rest, tt.cached, tt.ok)
		}
	}
}

func TestClosure(t *testing.T) {
	comp := func(name string, deps ...string) *manifest.Component {
		lines := map[string]int{}
		for i, d := range deps {
			lines[d] = 3 + i
		}
		return &manifest.Component{Name: name, Path: "c/" + name + "/component.yaml", DependsOn: deps, Lines: lines}
	}
	tests := []struct {
		comps []*manifest.Component
		name  string
		want  string
		err   string
	}{
		{[]*manifest.Component{comp("a"), comp("b", "a"), comp("c", "b"), comp("d", "c", "a")}, "d", "a b c", ""},
		{[]*manifest.Component{comp("a")}, "a", "", ""},
		{[]*manifest.Component{comp("a", "b"), comp("b", "a")}, "a", "", "build: dependency cycle: a → b → a (see c/a/component.yaml)"},
		// A cycle the component does not take part in still fails: the
		// whole graph is checked, once, by package graph.
		{[]*manifest.Component{comp("a"), comp("b", "c"), comp("c", "b")}, "a", "", "build: dependency cycle: b → c → b"},
		{[]*manifest.Component{comp("a", "zz")}, "a", "", `build: c/a/component.yaml:3: dependsOn names unknown component "zz"`},
	}
	for _, tt := range tests {
		b := &Builder{comps: map[string]*manifest.Component{}}
		for _, c := range tt.comps {
			b.comps[c.Name] = c
		}
		got, err := b.closure(tt.name)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("closure(%s) err = %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != tt.want {
			t.Errorf("closure(%s) = %v, %v; want %s", tt.name, got, err, tt.want)
		}
	}
}

func TestNewAppliesDefaultImages(t *testing.T) {
	b := New(nil, nil, &manifest.Workspace{Images: manifest.Images{Node: "mirror.example/node:22"}}, nil)
	want := manifest.Images{Go: DefaultGoImage, Python: DefaultPythonImage, Node: "mirror.example/node:22", Runtime: DefaultRuntimeImage}
	if b.images != want {
		t.Errorf("images = %+v, want %+v", b.images, want)
	}
}

func TestBadConfig(t *testing.T) {
	b := New(nil, nil, nil, nil)
	tests := []struct {
		kind  manifest.Kind
		build manifest.Build
		want  string
	}{
		{manifest.KindCustom, manifest.Build{}, "build.commands is required for kind custom"},
		{manifest.KindCustom, manifest.Build{Commands: []string{"make"}, Outputs: []string{"../secret"}}, `build.outputs: "../secret" must be a path inside`},
		{manifest.KindCustom, manifest.Build{Commands: []string{"make"}, Outputs: []string{"/etc"}}, `build.outputs: "/etc" must be a path inside`},
		{manifest.KindDocker, manifest.Build{Context: "../../.."}, `build.context "../../.." leaves the repository`},
	}
	for _, tt := range tests {
		in := inputs{c: &manifest.Component{Name: "x", Kind: tt.kind, Dir: "components/x", Build: tt.build}}
		var err error
		if tt.kind == manifest.KindCustom {
			_, err = b.custom(in)
		} else {
			_, err = b.sourceTree(context.Background(), in.c, nil) // the tree's rule
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %+v: err = %v, want %q", tt.kind, tt.build, err, tt.want)
		}
	}
}

// TestTreesFromPlan: a component's containers receive the tree the
// planner decided (the files its digest counts), not one the builder
// works out again; without one, the builder decides by the same rule.
func TestTreesFromPlan(t *testing.T) {
	api := &manifest.Component{Name: "api", Kind: manifest.KindGo, Dir: "svc/api", Path: "svc/api/component.yaml"}
	planned := sourcetree.Tree{Root: ".", Include: []string{"svc/api/**", "go.mod", "go.sum"}, Exclude: sourcetree.Excluded, GoModule: "."}
	// No source: working the tree out would need the engine.
	b := New(nil, nil, nil, map[string]*manifest.Component{"api": api}, WithTrees(map[string]sourcetree.Tree{"api": planned}))
	got, err := b.sourceTree(context.Background(), api, nil)
	if err != nil || !reflect.DeepEqual(got, planned) {
		t.Errorf("sourceTree = %+v, %v; want the planned %+v", got, err, planned)
	}
	web := &manifest.Component{Name: "web", Kind: manifest.KindDocker, Dir: "apps/web", Path: "apps/web/component.yaml", Build: manifest.Build{Context: ".."}}
	got, err = New(nil, nil, nil, nil).sourceTree(context.Background(), web, nil)
	if want := (sourcetree.Tree{Root: "apps", Exclude: sourcetree.Excluded}); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("docker without a planned tree: %+v, %v; want %+v", got, err, want)
	}
}
