package build

import (
	"strings"
	"testing"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

// TestBuilderSecrets: the secrets a run needs are those of the selected
// components and of every component they depend on; every missing one is
// named, with its component, before anything is defined.
func TestBuilderSecrets(t *testing.T) {
	parse := func(p, y string) *manifest.Component {
		c, err := manifest.ParseComponent(p, []byte(y))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ws, err := manifest.ParseWorkspace("monopipe.yaml", []byte("build:\n  secrets:\n    - name: SHARED\n"))
	if err != nil {
		t.Fatal(err)
	}
	comps := map[string]*manifest.Component{
		"app":   parse("app/component.yaml", "name: app\nkind: node\ndependsOn: [lib]\nbuild:\n  secrets:\n    - name: NPM_TOKEN\n      npm: {registry: \"https://npm.example.com/\", scope: \"@acme\"}\n"),
		"lib":   parse("lib/component.yaml", "name: lib\nkind: python\nbuild:\n  secrets:\n    - name: PIP_TOKEN\n      pip: {index: \"https://pypi.example.com/simple/\"}\n"),
		"other": parse("other/component.yaml", "name: other\nkind: go\nbuild:\n  secrets:\n    - name: OTHER\n"),
	}
	tests := []struct {
		names  []string
		values map[string]string
		want   []string // substrings of the error; none: no error
		not    []string
	}{
		{[]string{"app"}, nil, []string{"component app needs build secret NPM_TOKEN", "component app needs build secret SHARED",
			"component lib needs build secret PIP_TOKEN", "component lib needs build secret SHARED"}, []string{"OTHER"}},
		{[]string{"app"}, map[string]string{"NPM_TOKEN": "a", "SHARED": "s"}, []string{"component lib needs build secret PIP_TOKEN"}, []string{"component app"}},
		{[]string{"app"}, map[string]string{"NPM_TOKEN": "a", "SHARED": "s", "PIP_TOKEN": "p"}, nil, nil},
		{[]string{"other"}, map[string]string{"SHARED": "s"}, []string{"component other needs build secret OTHER (build.secrets): pass it with --secret env://OTHER"}, []string{"lib", "app"}},
	}
	for _, tt := range tests {
		b := New(nil, nil, ws, comps, WithSecrets(tt.values))
		err := b.Secrets(tt.names)
		if len(tt.want) == 0 {
			if err != nil {
				t.Errorf("%v %v: %v", tt.names, tt.values, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%v %v: no error", tt.names, tt.values)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v %v: error lacks %q:\n%v", tt.names, tt.values, w, err)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(err.Error(), n) {
				t.Errorf("%v %v: error names %q:\n%v", tt.names, tt.values, n, err)
			}
		}
	}
}
