package diagram

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -update to accept):\n%s", name, got)
	}
}

// A repository: web → api → greet, api → db, cli → greet, docs alone.
var comps = []*manifest.Component{
	{Name: "api", Kind: manifest.KindGo, DependsOn: []string{"greet", "db"}},
	{Name: "cli", Kind: manifest.KindGo, DependsOn: []string{"greet"}},
	{Name: "db", Kind: manifest.KindDocker},
	{Name: "docs", Kind: manifest.KindCustom},
	{Name: "greet", Kind: manifest.KindGo},
	{Name: "web", Kind: manifest.KindNode, DependsOn: []string{"api"}},
}

func manifests() map[string]*manifest.Component {
	m := map[string]*manifest.Component{}
	for _, c := range comps {
		m[c.Name] = c
	}
	return m
}

// greetChanged is the plan of a change to greet.
var greetChanged = &plan.Plan{
	Reason: "1 changed paths affect 4 components",
	Components: []plan.Component{
		{Name: "greet", Kind: "go", Reasons: []string{`greet/say "hi".go changed`}},
		{Name: "api", Kind: "go", DependsOn: []string{"db", "greet"}, Reasons: []string{"depends on greet: api → greet (changed)"}, Level: 1},
		{Name: "cli", Kind: "go", DependsOn: []string{"greet"}, Reasons: []string{"depends on greet: cli → greet (changed)"}, Level: 1},
		{Name: "web", Kind: "node", DependsOn: []string{"api"}, Reasons: []string{"depends on api: web → api → greet (changed)"}, Level: 2},
	},
	Manifests: manifests(),
}

func TestGolden(t *testing.T) {
	long := *greetChanged
	long.Components = append([]plan.Component(nil), greetChanged.Components...)
	long.Components[0].Reasons = []string{"greet/<x>/`y`/a/very/long/path/that/goes/on/and/on/and/on/until/it/is/cut.go changed", "greet/b.go changed", "greet/c.go changed"}
	all := &plan.Plan{All: true, Reason: "--all", Manifests: manifests()}
	for _, c := range comps {
		all.Components = append(all.Components, plan.Component{Name: c.Name, Kind: c.Kind, DependsOn: sortedCopy(c.DependsOn), Reasons: []string{"--all"}})
	}
	tests := []struct {
		name string
		pic  *Picture
	}{
		{"graph", New(comps, nil)},
		{"plan", New(comps, greetChanged)},
		{"plan", Plan(greetChanged)}, // the same, from the plan's manifests
		{"affected", Affected(greetChanged, 10)},
		{"affected-capped", Affected(greetChanged, 3)},
		{"affected-long-reasons", Affected(&long, 10)},
		{"all", New(comps, all)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name+".mmd", tt.pic.Mermaid())
			golden(t, tt.name+".dot", tt.pic.DOT())
		})
	}
}

func TestRender(t *testing.T) {
	pic := New(comps, nil)
	if s, err := pic.Render("mermaid"); err != nil || s != pic.Mermaid() {
		t.Errorf("mermaid: %v", err)
	}
	if s, err := pic.Render("dot"); err != nil || s != pic.DOT() {
		t.Errorf("dot: %v", err)
	}
	if _, err := pic.Render("svg"); err == nil || err.Error() != "--format svg: unknown format (one of mermaid, dot)" {
		t.Errorf("svg: %v", err)
	}
}
