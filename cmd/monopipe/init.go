package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/monopipe/monopipe/pipelines/adopt"
	"github.com/monopipe/monopipe/pipelines/plan"
)

const initUsage = `usage: monopipe init [flags]

Finds the projects of the repository that have no component.yaml yet (Go
modules, package.json and workspaces, pyproject.toml, Dockerfiles, Dagger
modules) and proposes a component.yaml for each, with dependsOn inferred
from the repository's own files, and a monopipe.yaml. Prints the proposal
as a unified diff; --write writes it. An existing file is never
overwritten without --force.

flags:
`

// runInit is the init command; it returns the exit code.
func runInit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("monopipe init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, initUsage)
		fs.PrintDefaults()
	}
	var dir string
	var write, force bool
	fs.StringVar(&dir, "dir", ".", "a folder inside the repository")
	fs.BoolVar(&write, "write", false, "write the proposed files")
	fs.BoolVar(&force, "force", false, "with --write, overwrite files that exist")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "monopipe init: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	m, err := plan.Open(ctx, plan.Options{Dir: dir})
	if err != nil {
		fmt.Fprintf(stderr, "monopipe init: %v\n", err)
		return 1
	}
	defer m.Close()
	root := m.Root()
	p, err := adopt.Propose(adopt.Input{FS: m.FS, Files: m.Files, Workspace: m.Workspace, Components: m.Components, RootName: filepath.Base(root)})
	if err != nil {
		fmt.Fprintf(stderr, "monopipe init: %v\n", err)
		return 1
	}
	for _, n := range p.Notes {
		fmt.Fprintf(stderr, "monopipe init: note: %s\n", n)
	}
	if err := p.WriteDiff(stdout); err != nil {
		fmt.Fprintf(stderr, "monopipe init: %v\n", err)
		return 1
	}
	if len(p.Files) == 0 {
		fmt.Fprintln(stderr, "monopipe init: nothing new to propose")
		return 0
	}
	if !write {
		fmt.Fprintf(stderr, "monopipe init: %d files proposed (%d components); --write writes them\n", len(p.Files), len(p.Components))
		return 0
	}
	code := 0
	for _, f := range p.Files {
		name := filepath.Join(root, filepath.FromSlash(f.Path))
		if _, err := os.Lstat(name); err == nil && !force {
			fmt.Fprintf(stderr, "monopipe init: %s exists: not overwritten (--force overwrites it)\n", f.Path)
			code = 1
			continue
		}
		if err := os.WriteFile(name, f.New, 0o644); err != nil {
			fmt.Fprintf(stderr, "monopipe init: write %s: %v\n", f.Path, err)
			return 1
		}
		fmt.Fprintf(stderr, "monopipe init: wrote %s\n", f.Path)
	}
	return code
}
