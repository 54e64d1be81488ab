// Package ghactions renders a run for GitHub Actions: the step summary, the
// job outputs and error annotations. A Dagger function has no runner
// environment, so everything is written to files through go-githubactions
// with an injected environment; the workflow then appends them to
// $GITHUB_STEP_SUMMARY and $GITHUB_OUTPUT and prints the annotations.
package ghactions

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/monopipe/monopipe/pipelines/diagram"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/report"
	"github.com/sethvargo/go-githubactions"
)

// The files Write creates in its folder.
const (
	// SummaryFile is appended to $GITHUB_STEP_SUMMARY.
	SummaryFile = "step-summary.md"
	// OutputFile is appended to $GITHUB_OUTPUT (name<<delimiter blocks).
	OutputFile = "github-output"
	// AnnotationsFile holds ::error workflow commands; print it to stdout.
	AnnotationsFile = "annotations.txt"
)

// outputTailLines is how much of a failed step's output an annotation shows.
const outputTailLines = 10

// Write renders p (may be nil) and res (may be nil, before a run) into
// SummaryFile, OutputFile and AnnotationsFile in dir, creating dir.
func Write(dir string, p *plan.Plan, res *report.Results) (err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("github actions files: %w", err)
	}
	ann, err := os.Create(filepath.Join(dir, AnnotationsFile))
	if err != nil {
		return fmt.Errorf("github actions files: %w", err)
	}
	defer func() {
		if cerr := ann.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("github actions files: %w", cerr)
		}
	}()
	files := map[string]string{
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, SummaryFile),
		"GITHUB_OUTPUT":       filepath.Join(dir, OutputFile),
	}
	for _, f := range files { // start empty: the library appends
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			return fmt.Errorf("github actions files: %w", err)
		}
	}
	a := githubactions.New(
		githubactions.WithGetenv(func(k string) string { return files[k] }),
		githubactions.WithWriter(ann),
	)
	// go-githubactions panics when a write fails; turn that into an error.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("github actions files in %s: %v", dir, r)
		}
	}()
	a.AddStepSummary(Summary(p, res))
	outs, err := Outputs(p, res)
	if err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(outs)) {
		a.SetOutput(k, outs[k])
	}
	if res != nil {
		for _, c := range res.Failed() {
			a.WithFieldsMap(map[string]string{
				"file":  path.Join(c.Dir, manifest.ComponentFile),
				"title": "monopipe: " + c.Name + " failed",
			}).Errorf("%s", failure(c))
		}
	}
	return nil
}

// Outputs are the job outputs: "affected" (JSON list of the planned
// components), "matrix" (the plan as a GitHub matrix, plan.Matrix),
// "failed" (JSON list), "status" (success or failure), "images" (JSON
// list of the pushed images, repository@sha256:...) and, when an image
// was pushed, "image-name" and "image-digest" of the first, what
// actions/attest-build-provenance takes as subject-name and
// subject-digest.
func Outputs(p *plan.Plan, res *report.Results) (map[string]string, error) {
	affected, failed, images := []string{}, []string{}, []string{}
	out := map[string]string{"status": string(report.StatusSuccess)}
	if p != nil {
		for _, c := range p.Components {
			affected = append(affected, c.Name)
		}
		m, err := json.Marshal(p.Matrix())
		if err != nil {
			return nil, fmt.Errorf("matrix output: %w", err)
		}
		out["matrix"] = string(m)
	}
	if res != nil {
		for _, c := range res.Failed() {
			failed = append(failed, c.Name)
		}
		if len(failed) > 0 {
			out["status"] = string(report.StatusFailure)
		}
		for _, c := range res.Components {
			for _, a := range c.Artifacts {
				if name, digest, ok := imageRef(a); ok {
					images = append(images, a)
					if out["image-name"] == "" {
						out["image-name"], out["image-digest"] = name, digest
					}
				}
			}
		}
	}
	for k, v := range map[string][]string{"affected": affected, "failed": failed, "images": images} {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s output: %w", k, err)
		}
		out[k] = string(b)
	}
	return out, nil
}

// imageRef splits a pushed image's artifact, repository@sha256:<hex>.
func imageRef(a string) (name, digest string, ok bool) {
	name, digest, ok = strings.Cut(a, "@sha256:")
	if !ok || name == "" || strings.ContainsAny(a, " \t") || len(digest) != 64 {
		return "", "", false
	}
	return name, "sha256:" + digest, true
}

// failure is the annotation text: the failing step, its error and the
// tail of its output.
func failure(c report.Component) string {
	for _, s := range c.Steps {
		if s.Status != report.StatusFailure {
			continue
		}
		msg := s.Name + " failed"
		if s.Error != "" {
			msg += ": " + s.Error
		}
		if tail := lastLines(s.Output, outputTailLines); tail != "" {
			msg += "\n" + tail
		}
		return msg
	}
	return "failed"
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Summary is the markdown shown as the step summary and as the pull request
// comment. After a run it is report.Summary (the results table and the
// failures) with the plan's reason; before, the plan: what will be built
// and why. Either way it ends with a Mermaid graph of what the change
// affects, which GitHub draws (see Graph). Either argument may be nil.
func Summary(p *plan.Plan, res *report.Results) string {
	var b strings.Builder
	if res != nil {
		b.WriteString(report.Summary(res))
		if p != nil {
			fmt.Fprintf(&b, "\nPlan: %s\n", p.Reason)
			b.WriteString(Graph(p))
		}
		return b.String()
	}
	b.WriteString("## monopipe: planned\n\n")
	if p == nil {
		return b.String()
	}
	fmt.Fprintf(&b, "Compared `%s`...`%s`: %s\n\n", orNone(p.Base), orNone(p.Head), p.Reason)
	if len(p.Components) == 0 {
		b.WriteString("Nothing to build.\n")
		return b.String()
	}
	b.WriteString("| Component | Kind | Why |\n| --- | --- | --- |\n")
	for _, c := range p.Components {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.Name, c.Kind, cell(strings.Join(c.Reasons, "; ")))
	}
	b.WriteString(Graph(p))
	return b.String()
}

// MaxGraphNodes caps the components Graph draws, to keep the summary and
// the comment small.
const MaxGraphNodes = 25

// Graph is a markdown section with a Mermaid graph of what plan p selects
// and the components those depend on directly (diagram.Affected), at most
// MaxGraphNodes of them, with a note when some are left out; "" when p
// selects nothing.
func Graph(p *plan.Plan) string {
	if p == nil || len(p.Components) == 0 {
		return ""
	}
	pic := diagram.Affected(p, MaxGraphNodes)
	var b strings.Builder
	b.WriteString("\n### What the change affects\n\n```mermaid\n")
	b.WriteString(pic.Mermaid())
	b.WriteString("```\n")
	if pic.Note != "" {
		fmt.Fprintf(&b, "\n%s.\n", pic.Note)
	}
	return b.String()
}

// cell makes s safe inside a markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(firstLine(s), "|", `\|`), "<", "&lt;")
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
