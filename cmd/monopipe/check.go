package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/monopipe/monopipe/pipelines/infer"
	"github.com/monopipe/monopipe/pipelines/plan"
)

const checkUsage = `usage: monopipe check [flags]

Validates monopipe.yaml, every component.yaml and the dependency graph,
without planning, and lists the dependencies the components' own files show
(Go imports, package.json and pyproject.toml dependencies) that dependsOn
does not declare. Exit status: 0 when valid (undeclared dependencies are
warnings), 1 on an invalid manifest or graph (or an undeclared dependency
with --strict), 2 on bad usage.

flags:
`

// runCheck is the check command; it returns the exit code.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("monopipe check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, checkUsage)
		fs.PrintDefaults()
	}
	var opts plan.Options
	var strict bool
	fs.StringVar(&opts.Dir, "dir", ".", "a folder inside the repository")
	fs.StringVar(&opts.Head, "head", "", "check the manifests of this commit (default: the working tree, uncommitted and untracked files included)")
	fs.BoolVar(&strict, "strict", false, "undeclared dependencies are errors")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "monopipe check: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	m, err := plan.Open(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "monopipe check: %v\n", err)
		return 1
	}
	defer m.Close()
	deps, err := infer.Find(m.FS, m.Files, m.Components)
	if err != nil {
		fmt.Fprintf(stderr, "monopipe check: infer dependencies: %v\n", err)
		return 1
	}
	undeclared := infer.Undeclared(deps, m.Workspace, m.Components)
	level, out := "warning", stdout
	if strict {
		level, out = "error", stderr
	}
	for _, d := range undeclared {
		fmt.Fprintf(out, "%s:%d: %s: %s\n", d.File, d.Line, level, d.Missing())
	}
	if strict && len(undeclared) > 0 {
		fmt.Fprintf(stderr, "monopipe check: %d undeclared dependencies\n", len(undeclared))
		return 1
	}
	fmt.Fprintf(stdout, "ok: %s and %d components valid, no dependency cycle", workspaceName(m), len(m.Components))
	if len(undeclared) > 0 {
		fmt.Fprintf(stdout, "; %d undeclared dependencies (errors with --strict)", len(undeclared))
	}
	fmt.Fprintln(stdout)
	return 0
}

func workspaceName(m *plan.Manifests) string {
	if m.Workspace.Path == "" {
		return "default workspace (no monopipe.yaml)"
	}
	return m.Workspace.Path
}
