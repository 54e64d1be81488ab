// Package diagram draws the component graph as Mermaid (which GitHub
// renders in markdown) and as Graphviz DOT, with the components a plan
// selects highlighted and the reason on each: the change for a component
// that changed itself, "affected by" on the edge to the dependency
// through which a change reached it. Edges point from a component to the
// components it depends on.
package diagram

import (
	"fmt"
	"sort"
	"strings"

	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
)

// Picture is a component graph to draw.
type Picture struct {
	// Nodes are the components drawn, sorted by name.
	Nodes []Node
	// Note says what the picture leaves out or why everything is
	// selected ("" when there is nothing to say).
	Note string
}

// Node is one component of a picture.
type Node struct {
	Name string
	// Kind is the component's kind ("" when unknown).
	Kind manifest.Kind
	// DependsOn are the components it depends on that the picture
	// draws, sorted.
	DependsOn []string
	// Affected is true when the plan selected it.
	Affected bool
	// Reason is why, for a component that a change reached directly.
	Reason string
	// Via is the dependency through which a change reached it.
	Via string
}

// maxReason is how much of a reason a label shows.
const maxReason = 60

// New draws every component of comps. When p is not nil, the components
// it selects are highlighted, with their reasons.
func New(comps []*manifest.Component, p *plan.Plan) *Picture {
	pic := &Picture{}
	sel := selected(p)
	for _, c := range comps {
		n := Node{Name: c.Name, Kind: c.Kind, DependsOn: sortedCopy(c.DependsOn)}
		if pc, ok := sel[c.Name]; ok {
			mark(&n, pc, p)
		}
		pic.Nodes = append(pic.Nodes, n)
	}
	if p != nil && p.All {
		pic.Note = "every component is selected: " + p.Reason
	}
	pic.sort()
	return pic
}

// Plan draws every component of the repository p was made in, with the
// components p selects highlighted.
func Plan(p *plan.Plan) *Picture {
	comps := make([]*manifest.Component, 0, len(p.Manifests))
	for _, c := range p.Manifests {
		comps = append(comps, c)
	}
	return New(comps, p) // New sorts by name
}

// Affected draws what plan p selects, and the components those depend on
// directly, at most max nodes (the selected ones first, in plan order);
// Note says how many were left out.
func Affected(p *plan.Plan, max int) *Picture {
	pic := &Picture{}
	in := map[string]bool{}
	left := 0
	for _, c := range p.Components {
		if len(pic.Nodes) >= max {
			left++
			continue
		}
		n := Node{Name: c.Name, Kind: c.Kind, DependsOn: sortedCopy(c.DependsOn)}
		mark(&n, c, p)
		pic.Nodes = append(pic.Nodes, n)
		in[c.Name] = true
	}
	var deps []string
	seen := map[string]bool{}
	for _, n := range pic.Nodes {
		for _, d := range n.DependsOn {
			if !in[d] && !seen[d] {
				seen[d] = true
				deps = append(deps, d)
			}
		}
	}
	sort.Strings(deps)
	for _, d := range deps {
		if len(pic.Nodes) >= max {
			left++
			continue
		}
		n := Node{Name: d}
		if m := p.Manifests[d]; m != nil {
			n.Kind = m.Kind
		}
		pic.Nodes = append(pic.Nodes, n)
		in[d] = true
	}
	for i := range pic.Nodes { // draw only edges between drawn nodes
		var keep []string
		for _, d := range pic.Nodes[i].DependsOn {
			if in[d] {
				keep = append(keep, d)
			}
		}
		pic.Nodes[i].DependsOn = keep
	}
	var notes []string
	if p.All {
		notes = append(notes, "every component is selected: "+p.Reason)
	}
	if left > 0 {
		notes = append(notes, fmt.Sprintf("%d more components not drawn (at most %d are)", left, max))
	}
	pic.Note = strings.Join(notes, "; ")
	pic.sort()
	return pic
}

// selected are the plan's components by name (none for a nil plan).
func selected(p *plan.Plan) map[string]plan.Component {
	out := map[string]plan.Component{}
	if p != nil {
		for _, c := range p.Components {
			out[c.Name] = c
		}
	}
	return out
}

// mark highlights n as selected by plan p for c's reasons. A reason
// "depends on X: chain" (see plan) makes X the edge it came through.
// When everything is selected for one reason, the note says it instead.
func mark(n *Node, c plan.Component, p *plan.Plan) {
	n.Affected = true
	if p.All || len(c.Reasons) == 0 {
		return
	}
	if rest, ok := strings.CutPrefix(c.Reasons[0], "depends on "); ok {
		if via, _, ok := strings.Cut(rest, ": "); ok && len(c.Reasons) == 1 {
			n.Via = via
			return
		}
	}
	n.Reason = shorten(c.Reasons[0])
	if k := len(c.Reasons) - 1; k > 0 {
		n.Reason += fmt.Sprintf(" (+%d more)", k)
	}
}

func shorten(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > maxReason {
		return string(r[:maxReason-1]) + "…"
	}
	return s
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func (pic *Picture) sort() {
	sort.Slice(pic.Nodes, func(i, j int) bool { return pic.Nodes[i].Name < pic.Nodes[j].Name })
}

// Formats lists the formats Render accepts.
var Formats = []string{"mermaid", "dot"}

// Render draws the picture in one of Formats.
func (pic *Picture) Render(format string) (string, error) {
	switch format {
	case "mermaid":
		return pic.Mermaid(), nil
	case "dot":
		return pic.DOT(), nil
	}
	return "", fmt.Errorf("--format %s: unknown format (one of %s)", format, strings.Join(Formats, ", "))
}

// label is a node's text: name, kind, and the reason it changed.
func (n Node) label(newline string) string {
	l := n.Name
	if n.Kind != "" {
		l += " (" + string(n.Kind) + ")"
	}
	if n.Reason != "" {
		l += newline + n.Reason
	}
	return l
}

// Mermaid draws the picture as a Mermaid flowchart. Node ids are n0, n1,
// … in name order, so any component name is safe; affected components
// have the class "affected"; a note becomes a comment.
func (pic *Picture) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	if pic.Note != "" {
		fmt.Fprintf(&b, "  %%%% %s\n", strings.ReplaceAll(pic.Note, "\n", " "))
	}
	ids := map[string]string{}
	for i, n := range pic.Nodes {
		ids[n.Name] = fmt.Sprintf("n%d", i)
	}
	var affected []string
	for _, n := range pic.Nodes {
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", ids[n.Name], mermaidText(n.label("<br/>")))
		if n.Affected {
			affected = append(affected, ids[n.Name])
		}
	}
	for _, n := range pic.Nodes {
		for _, d := range n.DependsOn {
			if n.Via == d {
				fmt.Fprintf(&b, "  %s ==>|affected by| %s\n", ids[n.Name], ids[d])
			} else {
				fmt.Fprintf(&b, "  %s --> %s\n", ids[n.Name], ids[d])
			}
		}
	}
	if len(affected) > 0 {
		b.WriteString("  classDef affected fill:#fde68a,stroke:#b45309,stroke-width:2px\n")
		fmt.Fprintf(&b, "  class %s affected\n", strings.Join(affected, ","))
	}
	return b.String()
}

// mermaidText escapes a label for Mermaid's quoted text, keeping <br/>.
func mermaidText(s string) string {
	s = strings.NewReplacer(`"`, "#quot;", "`", "#96;", "<br/>", "\x00", "<", "#lt;", ">", "#gt;").Replace(s)
	return strings.ReplaceAll(s, "\x00", "<br/>")
}

// DOT draws the picture as a Graphviz digraph; affected components are
// filled, the edges changes came through are bold and labelled.
func (pic *Picture) DOT() string {
	var b strings.Builder
	b.WriteString("digraph components {\n  rankdir=LR;\n  node [shape=box];\n")
	if pic.Note != "" {
		fmt.Fprintf(&b, "  // %s\n", strings.ReplaceAll(pic.Note, "\n", " "))
	}
	for _, n := range pic.Nodes {
		attrs := "label=" + dotQuote(n.label("\n"))
		if n.Affected {
			attrs += `, style=filled, fillcolor="#fde68a", color="#b45309"`
		}
		fmt.Fprintf(&b, "  %s [%s];\n", dotQuote(n.Name), attrs)
	}
	for _, n := range pic.Nodes {
		for _, d := range n.DependsOn {
			if n.Via == d {
				fmt.Fprintf(&b, "  %s -> %s [label=\"affected by\", style=bold, color=\"#b45309\"];\n", dotQuote(n.Name), dotQuote(d))
			} else {
				fmt.Fprintf(&b, "  %s -> %s;\n", dotQuote(n.Name), dotQuote(d))
			}
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// dotQuote is s as a DOT quoted string; newlines become \n.
func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
