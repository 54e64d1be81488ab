package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/monopipe/monopipe/pipelines/diagram"
	"github.com/monopipe/monopipe/pipelines/plan"
)

const graphUsage = `usage: monopipe graph [flags]

Prints the component graph, an arrow from each component to those it
depends on, as Mermaid (default) or Graphviz DOT. With --changed, or any of
--base, --head, --all and --component (the flags of monopipe plan), the
components the plan selects are highlighted, with the change that selected
each or "affected by" on the edge the change came through.

flags:
`

// runGraph is the graph command; it returns the exit code.
func runGraph(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("monopipe graph", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, graphUsage)
		fs.PrintDefaults()
	}
	var opts plan.Options
	var changed bool
	var format string
	fs.StringVar(&opts.Dir, "dir", ".", "a folder inside the repository")
	fs.BoolVar(&changed, "changed", false, "highlight what monopipe plan selects with its default base and head")
	fs.StringVar(&opts.Base, "base", "", "highlight the plan from this base revision (as monopipe plan --base)")
	fs.StringVar(&opts.Head, "head", "", "highlight the plan up to this head revision, commits only (as monopipe plan --head)")
	fs.BoolVar(&opts.All, "all", false, "highlight every component")
	fs.Func("component", "narrow the highlighted selection to this component (repeatable)", func(s string) error {
		opts.Components = append(opts.Components, s)
		return nil
	})
	fs.StringVar(&format, "format", "mermaid", "output format: "+strings.Join(diagram.Formats, ", "))
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "monopipe graph: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if !slices.Contains(diagram.Formats, format) {
		fmt.Fprintf(stderr, "monopipe graph: --format %s: unknown format (one of %s)\n", format, strings.Join(diagram.Formats, ", "))
		return 2
	}
	pic, err := picture(ctx, opts, changed || opts.Base != "" || opts.Head != "" || opts.All || len(opts.Components) > 0)
	if err != nil {
		fmt.Fprintf(stderr, "monopipe graph: %v\n", err)
		return 1
	}
	out, err := pic.Render(format)
	if err == nil {
		_, err = io.WriteString(stdout, out)
	}
	if err != nil {
		fmt.Fprintf(stderr, "monopipe graph: %v\n", err)
		return 1
	}
	return 0
}

// picture draws every component, with the plan's selection when planned.
func picture(ctx context.Context, opts plan.Options, planned bool) (*diagram.Picture, error) {
	if !planned {
		m, err := plan.Open(ctx, opts)
		if err != nil {
			return nil, err
		}
		defer m.Close()
		return diagram.New(m.Components, nil), nil
	}
	p, err := plan.Make(ctx, opts)
	if err != nil {
		return nil, err
	}
	return diagram.Plan(p), nil
}
