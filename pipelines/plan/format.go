package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Formats lists the output formats Write accepts.
var Formats = []string{"text", "json", "github-matrix"}

// Write renders the plan in one of Formats.
func (p *Plan) Write(w io.Writer, format string) error {
	switch format {
	case "json":
		return writeJSON(w, p)
	case "github-matrix":
		return writeJSON(w, p.Matrix())
	case "text":
		return p.writeText(w)
	}
	return fmt.Errorf("--format %s: unknown format (one of %s)", format, strings.Join(Formats, ", "))
}

// MatrixEntry is one job of a GitHub Actions matrix.
type MatrixEntry struct {
	Component string `json:"component"`
	Dir       string `json:"dir"`
}

// Matrix is the plan as a GitHub Actions matrix: {"include": [...]}.
func (p *Plan) Matrix() map[string][]MatrixEntry {
	inc := make([]MatrixEntry, 0, len(p.Components))
	for _, c := range p.Components {
		inc = append(inc, MatrixEntry{Component: c.Name, Dir: c.Dir})
	}
	return map[string][]MatrixEntry{"include": inc}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func (p *Plan) writeText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "base %s, head %s\n%s\n", short(p.Base), short(p.Head), p.Reason)
	if len(p.Components) == 0 {
		b.WriteString("nothing to build\n")
	}
	for _, c := range p.Components {
		fmt.Fprintf(&b, "\n%s (%s, %s) level %d\n", c.Name, c.Kind, c.Dir, c.Level)
		for _, r := range c.Reasons {
			fmt.Fprintf(&b, "  - %s\n", r)
		}
	}
	for _, r := range p.Removed {
		fmt.Fprintf(&b, "\nremoved %s (%s): %s\n", r.Name, r.Dir, r.Reason)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func short(id string) string {
	switch {
	case id == "":
		return "(none)"
	case len(id) == 40:
		return id[:12]
	}
	return id
}
