// Command monopipe plans monorepo builds on the host, without an engine:
//
//	monopipe plan [--base REV] [--head REV] [--all] [--component NAME]... [--format text|json|github-matrix]
//	monopipe plan --explain COMPONENT [--head REV] [--against REV] [--format text|json]
//	monopipe check [--head REV] [--strict]
//	monopipe graph [--format mermaid|dot] [--changed] [--base REV] [--head REV] [--all] [--component NAME]...
//	monopipe init [--write] [--force]
//	monopipe version
//
// and, under `dagger run` (what a CI wrapper runs instead of compiling the
// Dagger module; the same code and the same flags as `dagger call`):
//
//	dagger run monopipe ci [flags]
//	dagger run monopipe release --tag TAG [flags]
//	monopipe promote --component NAME --version X.Y.Z --to stable|prod [flags]   (no engine needed)
//	monopipe promote --component NAME --from ENV --to ENV [--force] [flags]      (no engine needed)
//	monopipe rollback --component NAME --env ENV [flags]                          (no engine needed)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/monopipe/monopipe/pipelines/job"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/trigger"
)

const usage = `usage: monopipe plan [flags]

Lists the components affected between two revisions, dependencies first.

other commands: monopipe check (validate the manifests), monopipe graph
(draw the component graph), monopipe init (propose manifests for an
existing repository), monopipe version; under ` + "`dagger run`" + `: monopipe ci
and monopipe release (the module's functions, without compiling it);
monopipe promote and monopipe rollback (the module's, without an engine);
monopipe COMMAND -h for their flags.

flags:
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "check":
			return runCheck(ctx, args[1:], stdout, stderr)
		case "graph":
			return runGraph(ctx, args[1:], stdout, stderr)
		case "init":
			return runInit(ctx, args[1:], stdout, stderr)
		case "ci":
			return runCI(ctx, args[1:], stdout, stderr)
		case "release":
			return runRelease(ctx, args[1:], stdout, stderr)
		case "promote":
			return runPromote(ctx, args[1:], stdout, stderr)
		case "rollback":
			return runRollback(ctx, args[1:], stdout, stderr)
		case "version", "--version":
			fmt.Fprintf(stdout, "monopipe %s\n", versionString())
			return 0
		}
	}
	f := planFlags(stderr)
	if len(args) == 0 || args[0] != "plan" {
		f.fs.Usage()
		if len(args) > 0 && args[0] != "-h" && args[0] != "--help" && args[0] != "help" {
			fmt.Fprintf(stderr, "\nmonopipe: unknown command %q\n", args[0])
		}
		return 2
	}
	if err := f.fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if f.fs.NArg() > 0 {
		fmt.Fprintf(stderr, "monopipe plan: unexpected argument %q\n", f.fs.Arg(0))
		return 2
	}
	if !slices.Contains(plan.Formats, f.format) {
		fmt.Fprintf(stderr, "monopipe plan: --format %s: unknown format (one of %s)\n", f.format, strings.Join(plan.Formats, ", "))
		return 2
	}
	if f.eventName != "" || f.eventFile != "" {
		return planEvent(ctx, f, stdout, stderr, os.LookupEnv)
	}
	if f.cache != (cacheFlags{}) {
		fmt.Fprintln(stderr, "monopipe plan: the --cache-* flags, --no-cache and --no-heal go with --event-name (the plan a CI run builds)")
		return 2
	}
	if f.explain != "" {
		if err := explain(ctx, stdout, f.opts, f.explain, f.against, f.format); err != nil {
			fmt.Fprintf(stderr, "monopipe plan: %v\n", err)
			return 1
		}
		return 0
	}
	if f.against != "" {
		fmt.Fprintf(stderr, "monopipe plan: --against needs --explain\n")
		return 2
	}
	if f.opts.Digest && f.format != "json" {
		fmt.Fprintf(stderr, "monopipe plan: --digest needs --format json\n")
		return 2
	}
	p, err := plan.Make(ctx, f.opts)
	if err != nil {
		fmt.Fprintf(stderr, "monopipe plan: %v\n", err)
		return 1
	}
	if err := p.Write(stdout, f.format); err != nil {
		fmt.Fprintf(stderr, "monopipe plan: %v\n", err)
		return 1
	}
	return 0
}

type flags struct {
	fs               *flag.FlagSet
	opts             plan.Options
	format           string
	explain, against string
	// eventName and eventFile plan as `monopipe ci` would (the matrix
	// form's plan job).
	eventName, eventFile string
	// cache is the shared result cache a CI plan heals with (with
	// --event-name, as the module's plan).
	cache cacheFlags
}

func planFlags(stderr io.Writer) *flags {
	f := &flags{fs: flag.NewFlagSet("monopipe plan", flag.ContinueOnError)}
	f.fs.SetOutput(stderr)
	f.fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		f.fs.PrintDefaults()
	}
	f.fs.StringVar(&f.opts.Dir, "dir", ".", "a folder inside the repository")
	f.fs.StringVar(&f.opts.Base, "base", "", "base revision, compared through its merge-base with head (default: first parent of HEAD on the base branch, else the merge-base with it)")
	f.fs.StringVar(&f.opts.Head, "head", "", "head revision, commits only (default: HEAD plus uncommitted and untracked files)")
	f.fs.BoolVar(&f.opts.All, "all", false, "select every component")
	f.fs.Func("component", "narrow the selection to this component (repeatable)", func(s string) error {
		f.opts.Components = append(f.opts.Components, s)
		return nil
	})
	f.fs.StringVar(&f.format, "format", "text", "output format: "+strings.Join(plan.Formats, ", "))
	f.fs.BoolVar(&f.opts.Digest, "digest", false, "with --format json: each selected component's input digest (reads the selected components' file lists)")
	f.fs.StringVar(&f.explain, "explain", "", "print this component's input digest and the inputs it is made of (at --head)")
	f.fs.StringVar(&f.eventName, "event-name", "", "plan as `monopipe ci` (and `dagger call ci`) would for this GitHub event ($GITHUB_EVENT_NAME); --head is then $GITHUB_SHA")
	f.fs.StringVar(&f.eventFile, "event-file", "", "with --event-name: the event's payload ($GITHUB_EVENT_PATH)")
	f.cache.add(f.fs)
	f.fs.StringVar(&f.against, "against", "", "with --explain: say which inputs differ between this revision and --head (after a cache miss: the revision of the cached result)")
	return f
}

// planEvent prints the plan a CI run for a GitHub event builds (what the
// module's plan function prints with --event-name), read on the host
// without an engine.
func planEvent(ctx context.Context, f *flags, stdout, stderr io.Writer, getenv func(string) (string, bool)) int {
	for _, bad := range []struct {
		set  bool
		flag string
	}{{f.opts.Base != "", "--base"}, {f.opts.All, "--all"}, {f.explain != "", "--explain"}, {f.against != "", "--against"}, {f.opts.Digest, "--digest"}} {
		if bad.set {
			fmt.Fprintf(stderr, "monopipe plan: %s does not go with --event-name (the event decides the revisions)\n", bad.flag)
			return 2
		}
	}
	o := job.CIOptions{GitHubEvent: f.eventName, Values: trigger.Values{Head: f.opts.Head}, Components: f.opts.Components}
	var err error
	if o.Cache, err = f.cache.read(getenv); err != nil {
		fmt.Fprintf(stderr, "monopipe plan: %v\n", err)
		return 2
	}
	if f.eventFile != "" {
		if o.GitHubPayload, err = os.ReadFile(f.eventFile); err != nil {
			fmt.Fprintf(stderr, "monopipe plan: --event-file: %v\n", err)
			return 2
		}
	}
	if _, err := job.ParseTrigger(o); err != nil {
		fmt.Fprintf(stderr, "monopipe plan: %v\n", err)
		return 2
	}
	p, err := job.CIPlanDir(ctx, f.opts.Dir, o)
	if err == nil {
		err = p.Write(stdout, f.format)
	}
	if err != nil {
		fmt.Fprintf(stderr, "monopipe plan: %v\n", err)
		return 1
	}
	return 0
}
