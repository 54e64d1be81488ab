// Package graph is the dependency graph between components: it checks that
// every dependency exists and that there is no cycle, orders components
// dependencies first, and answers who depends on whom.
package graph

import (
	"fmt"
	"sort"
	"strings"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

// Graph is a checked, acyclic dependency graph.
type Graph struct {
	byName     map[string]*manifest.Component
	dependents map[string][]string // name → components that depend on it, sorted
	order      []string            // dependencies first; ties by name
}

// New builds the graph. It fails on an unknown dependency (naming the
// manifest, line and missing name) and on a cycle (naming the cycle).
func New(comps []*manifest.Component) (*Graph, error) {
	g := &Graph{byName: map[string]*manifest.Component{}, dependents: map[string][]string{}}
	names := make([]string, 0, len(comps))
	for _, c := range comps {
		if prev, ok := g.byName[c.Name]; ok {
			return nil, fmt.Errorf("duplicate component name %q: %s and %s", c.Name, prev.Path, c.Path)
		}
		g.byName[c.Name] = c
		names = append(names, c.Name)
	}
	sort.Strings(names)
	for _, n := range names {
		c := g.byName[n]
		for _, d := range c.DependsOn {
			if _, ok := g.byName[d]; !ok {
				return nil, fmt.Errorf("%s:%d: dependsOn names unknown component %q", c.Path, c.Lines[d], d)
			}
			g.dependents[d] = append(g.dependents[d], n)
		}
	}
	if err := g.sort(names); err != nil {
		return nil, err
	}
	return g, nil
}

// sort fills g.order by depth-first search, reporting the first cycle found.
func (g *Graph) sort(names []string) error {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(n string) error
	visit = func(n string) error {
		switch state[n] {
		case done:
			return nil
		case onPath:
			start := 0
			for i, p := range path {
				if p == n {
					start = i
				}
			}
			cycle := append(append([]string{}, path[start:]...), n)
			return fmt.Errorf("dependency cycle: %s (see %s)", strings.Join(cycle, " → "), g.byName[n].Path)
		}
		state[n] = onPath
		path = append(path, n)
		deps := append([]string(nil), g.byName[n].DependsOn...)
		sort.Strings(deps)
		for _, d := range deps {
			if err := visit(d); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		state[n] = done
		g.order = append(g.order, n)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return err
		}
	}
	return nil
}

// Component returns the named component, or nil.
func (g *Graph) Component(name string) *manifest.Component { return g.byName[name] }

// Order lists every component name, dependencies before dependents.
func (g *Graph) Order() []string { return g.order }

// Dependents lists the components that depend directly on name, sorted.
func (g *Graph) Dependents(name string) []string { return g.dependents[name] }

// Dependencies lists every component name depends on, directly or not,
// sorted (nil for an unknown name).
func (g *Graph) Dependencies(name string) []string {
	seen := map[string]bool{}
	var visit func(n string)
	visit = func(n string) {
		c := g.byName[n]
		if c == nil {
			return
		}
		for _, d := range c.DependsOn {
			if !seen[d] {
				seen[d] = true
				visit(d)
			}
		}
	}
	visit(name)
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// Levels assigns each selected component its wave: one more than the
// highest wave of the selected components it depends on, transitively
// through unselected ones, so that a wave only needs earlier waves.
func (g *Graph) Levels(selected map[string]bool) map[string]int {
	depth := map[string]int{} // over all components: longest selected chain below
	levels := map[string]int{}
	for _, n := range g.order {
		lvl := 0
		for _, d := range g.byName[n].DependsOn {
			below := depth[d]
			if selected[d] {
				below = levels[d] + 1
			}
			if below > lvl {
				lvl = below
			}
		}
		depth[n] = lvl
		if selected[n] {
			levels[n] = lvl
		}
	}
	return levels
}
