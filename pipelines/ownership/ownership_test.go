package ownership

import (
	"reflect"
	"testing"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

func TestAffects(t *testing.T) {
	ws := &manifest.Workspace{Global: []string{"go.work", "/.github/**"}, Ignore: []string{"**/*.md", "*.yaml"}}
	comp := func(dir, name string, inputs, ignore []string) *manifest.Component {
		p := dir + "/component.yaml"
		if dir == "." {
			p = "component.yaml"
		}
		return &manifest.Component{Name: name, Dir: dir, Path: p, Inputs: inputs, Ignore: ignore}
	}
	r := New(ws, []*manifest.Component{
		comp(".", "root", nil, nil),
		comp("services/api", "api", nil, []string{"docs/**"}),
		comp("services/api/admin", "admin", nil, nil),
		comp("libs/proto", "proto", []string{"/shared/{protos,schemas}/**"}, nil),
		comp("tools/cli", "cli", nil, []string{"/go.work"}),
	})
	tests := []struct {
		path string
		want []string
	}{
		{"services/api/main.go", []string{"api owned"}},
		{"services/api/component.yaml", []string{"api manifest"}},
		{"services/api/admin/x.go", []string{"admin owned"}},
		{"services/api/docs/guide.txt", nil}, // the component's ignore
		{"services/api/README.md", nil},      // the workspace's ignore
		{"monopipe.yaml", nil},               // no folder owns the workspace file
		{"go.mod", []string{"root owned"}},   // the root component
		{"shared/schemas/a.json", []string{"root owned", "proto input shared/{protos,schemas}/**"}},
		{"shared/other/a.json", []string{"root owned"}},
		{"go.work", []string{"root global go.work", "api global go.work", "admin global go.work", "proto global go.work"}}, // cli ignores it
		{".github/workflows/ci.yml", []string{"root global /.github/**", "api global /.github/**", "admin global /.github/**", "proto global /.github/**", "cli global /.github/**"}},
	}
	for _, tt := range tests {
		var got []string
		for _, h := range r.Affects(tt.path) {
			s := h.Component.Name + " " + [...]string{"owned", "manifest", "global", "input"}[h.Why]
			if h.Glob != "" {
				s += " " + h.Glob
			}
			got = append(got, s)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Affects(%s) = %q, want %q", tt.path, got, tt.want)
		}
	}
	if !r.Ignored("x/README.md") || r.Ignored("monopipe.yaml") {
		t.Error("Ignored: the workspace's ignore globs apply to every path but monopipe.yaml")
	}
}
