package graph

import (
	"reflect"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

func comps(spec map[string][]string) []*manifest.Component {
	var out []*manifest.Component
	for n, deps := range spec {
		out = append(out, &manifest.Component{Name: n, DependsOn: deps, Path: n + "/component.yaml", Lines: map[string]int{}})
	}
	return out
}

func TestOrderAndDependents(t *testing.T) {
	g, err := New(comps(map[string][]string{"app": {"lib", "proto"}, "lib": {"base"}, "proto": nil, "base": nil, "cli": {"lib"}}))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g.Order(), []string{"base", "lib", "proto", "app", "cli"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	if got, want := g.Dependents("lib"), []string{"app", "cli"}; !reflect.DeepEqual(got, want) {
		t.Errorf("dependents = %v, want %v", got, want)
	}
}

func TestLevels(t *testing.T) {
	g, err := New(comps(map[string][]string{"a": nil, "b": {"a"}, "c": {"b"}, "d": {"c", "a"}, "e": nil}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		selected []string
		want     map[string]int
	}{
		{[]string{"a", "b", "c", "d", "e"}, map[string]int{"a": 0, "b": 1, "c": 2, "d": 3, "e": 0}},
		// b and c are not selected: d still waits for a, one wave later.
		{[]string{"a", "d"}, map[string]int{"a": 0, "d": 1}},
		{[]string{"c", "d"}, map[string]int{"c": 0, "d": 1}},
		{[]string{"d"}, map[string]int{"d": 0}},
	}
	for _, tt := range tests {
		sel := map[string]bool{}
		for _, n := range tt.selected {
			sel[n] = true
		}
		if got := g.Levels(sel); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Levels(%v) = %v, want %v", tt.selected, got, tt.want)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		spec map[string][]string
		err  string
	}{
		{map[string][]string{"a": {"b"}, "b": {"a"}}, "dependency cycle: a → b → a (see a/component.yaml)"},
		{map[string][]string{"x": {"y"}, "y": {"z"}, "z": {"y"}}, "dependency cycle: y → z → y"},
		{map[string][]string{"a": {"missing"}}, `a/component.yaml:0: dependsOn names unknown component "missing"`},
	}
	for _, tt := range tests {
		if _, err := New(comps(tt.spec)); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("err = %v, want %q", err, tt.err)
		}
	}
}

func TestDependencies(t *testing.T) {
	g, err := New(comps(map[string][]string{"a": nil, "b": {"a"}, "c": {"b"}, "d": {"c", "a"}, "e": nil}))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]string{"d": {"a", "b", "c"}, "b": {"a"}, "a": {}, "zz": {}} {
		if got := g.Dependencies(name); !reflect.DeepEqual(got, want) {
			t.Errorf("Dependencies(%s) = %v, want %v", name, got, want)
		}
	}
}
