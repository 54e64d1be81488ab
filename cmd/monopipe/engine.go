package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"

	"dagger.io/dagger"

	"github.com/monopipe/monopipe/pipelines/buildsecret"
	"github.com/monopipe/monopipe/pipelines/detect"
	"github.com/monopipe/monopipe/pipelines/job"
)

// The engine commands run the module's functions from this binary under
// `dagger run`, so that a CI runner does not compile the module: the same
// pipelines/job code, the same arguments as `dagger call` spells them, the
// repository loaded as the module's +defaultPath="/" loads it.

const ciUsage = `usage: dagger run monopipe ci [flags]

What ` + "`dagger call ci`" + ` does, without compiling the module: reads the trigger
(GitHub's event, or CircleCI's values), builds and tests what changed,
publishes and deploys on the base branch, releases on a tag, reports to
GitHub, and writes the report directory to --output. Failed components do
not make it fail: read "status" in github-output or results.json. Secret
flags take env://NAME or file://PATH, as dagger call's do.

flags:
`

const releaseUsage = `usage: dagger run monopipe release --tag TAG [flags]

What ` + "`dagger call release`" + ` does, without compiling the module: releases the
component the tag names and writes the report directory to --output. Secret
flags take env://NAME or file://PATH, as dagger call's do.

flags:
`

// engineFlags are the flags the engine commands share.
type engineFlags struct {
	fs      *flag.FlagSet
	source  string
	output  string
	secrets map[string]*string // secret flag → its source (env://, file://)
	build   []string           // --secret sources
	roleARN string
	regUser string
	dryRun  bool
	apiURL  string
}

// cacheFlags are the shared result cache's flags of ci and plan, as the
// module's functions spell them.
type cacheFlags struct {
	opts     job.CacheOptions
	password string // its source (env://, file://)
}

// add registers the flags on fs.
func (c *cacheFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&c.opts.Registry, "cache-registry", "", "the shared result cache: an OCI repository (e.g. ghcr.io/org/repo-cache) overriding monopipe.yaml's cache.registry; \"-\" disables it")
	fs.BoolVar(&c.opts.Disabled, "no-cache", false, "do not use the shared result cache")
	fs.StringVar(&c.opts.Username, "cache-username", "", "the result cache registry's username (without it: anonymous)")
	fs.StringVar(&c.password, "cache-password", "", "secret: the result cache registry's password or token, env://NAME or file://PATH")
	fs.BoolVar(&c.opts.NoHeal, "no-heal", false, "do not select, on a push to the base branch with a result cache, the components whose digest has no successful result")
}

// read reads the password from its source; the options are then complete.
func (c *cacheFlags) read(getenv func(string) (string, bool)) (job.CacheOptions, error) {
	if c.password != "" {
		v, err := secretValue("cache-password", c.password, getenv)
		if err != nil {
			return job.CacheOptions{}, err
		}
		c.opts.SetPassword(v)
	}
	return c.opts, nil
}

func newEngineFlags(name, usage string, stderr io.Writer) *engineFlags {
	f := &engineFlags{fs: flag.NewFlagSet("monopipe "+name, flag.ContinueOnError), secrets: map[string]*string{}}
	f.fs.SetOutput(stderr)
	f.fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		f.fs.PrintDefaults()
	}
	f.fs.StringVar(&f.source, "source", "", "the repository, with its .git (default: the repository the current folder is in, as the module's +defaultPath=\"/\")")
	f.fs.StringVar(&f.output, "output", "", "write the report directory here (dagger call's `export --path`; default: print summary.md)")
	f.fs.StringVar(&f.output, "o", "", "short for --output")
	for _, s := range job.SecretFlags {
		f.secrets[s] = f.fs.String(s, "", "secret: env://NAME or file://PATH")
	}
	f.fs.StringVar(&f.roleARN, "aws-role-arn", "", "the IAM role to take (with --aws-web-identity-token: through AssumeRoleWithWebIdentity)")
	f.fs.StringVar(&f.regUser, "registry-username", "", "the image registry's username")
	f.fs.StringVar(&f.apiURL, "github-api-url", "", "the GitHub API root ($GITHUB_API_URL); default https://api.github.com/")
	f.fs.BoolVar(&f.dryRun, "dry-run", false, "build and test, and only print what publish, deploy and release would do")
	f.fs.Func("secret", "a build secret for components' build.secrets (repeatable): env://NAME or file:///path/NAME", func(s string) error {
		f.build = append(f.build, s)
		return nil
	})
	return f
}

// parse parses args; a non-negative code means stop with it.
func (f *engineFlags) parse(args []string, stderr io.Writer) int {
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if f.fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", f.fs.Name(), f.fs.Arg(0))
		return 2
	}
	return -1
}

// readSecrets reads every secret flag given, through getenv for env://.
func (f *engineFlags) readSecrets(getenv func(string) (string, bool)) (job.Secrets, error) {
	var s job.Secrets
	for _, name := range job.SecretFlags {
		src := *f.secrets[name]
		if src == "" {
			continue
		}
		v, err := secretValue(name, src, getenv)
		if err != nil {
			return job.Secrets{}, err
		}
		if err := s.Set(name, v); err != nil {
			return job.Secrets{}, err
		}
	}
	s.Publish.AWS.RoleARN = f.roleARN
	if err := s.Check(); err != nil {
		return job.Secrets{}, err
	}
	s.Publish.RegistryUsername = f.regUser
	for i, src := range f.build {
		name, err := buildsecret.NameFromURI(src)
		if err != nil {
			return job.Secrets{}, fmt.Errorf("--secret #%d: %w", i+1, err)
		}
		if _, dup := s.Build[name]; dup {
			return job.Secrets{}, fmt.Errorf("--secret: two secrets are named %s", name)
		}
		v, err := secretValue("secret", src, getenv)
		if err != nil {
			return job.Secrets{}, err
		}
		if s.Build == nil {
			s.Build = map[string]string{}
		}
		s.Build[name] = v
	}
	return s, nil
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// secretValue reads a secret flag's value from its source, as `dagger
// call` does: env://NAME or file://PATH. Errors name the flag and never
// show what was given unless it is a well-formed source.
func secretValue(flag, src string, getenv func(string) (string, bool)) (string, error) {
	scheme, rest, ok := strings.Cut(src, "://")
	switch {
	case ok && scheme == "env" && envNameRE.MatchString(rest):
		v, set := getenv(rest)
		if !set {
			return "", fmt.Errorf("--%s: env://%s: the variable is not set", flag, rest)
		}
		return v, nil
	case ok && scheme == "file" && rest != "":
		b, err := os.ReadFile(rest)
		if err != nil {
			return "", fmt.Errorf("--%s: %w", flag, err)
		}
		return string(b), nil
	}
	return "", fmt.Errorf("--%s: want env://NAME or file://PATH (what was given is not shown: it may be the secret itself)", flag)
}

// ciCommand is a parsed `monopipe ci`.
type ciCommand struct {
	flags *engineFlags
	opts  job.CIOptions
}

// parseCI parses `monopipe ci`'s flags and reads its secrets and event
// file; a nil command means stop with the code.
func parseCI(args []string, stderr io.Writer, getenv func(string) (string, bool)) (*ciCommand, int) {
	f := newEngineFlags("ci", ciUsage, stderr)
	c := &ciCommand{flags: f}
	o, v := &c.opts, &c.opts.Values
	var eventFile string
	f.fs.StringVar(&o.GitHubEvent, "event-name", "", "GitHub: the event name ($GITHUB_EVENT_NAME)")
	f.fs.StringVar(&eventFile, "event-file", "", "GitHub: the event payload ($GITHUB_EVENT_PATH)")
	f.fs.StringVar(&v.Base, "base", "", "CircleCI: the base revision (<< pipeline.git.base_revision >>)")
	f.fs.StringVar(&v.Head, "head", "", "the commit to build ($GITHUB_SHA, $CIRCLE_SHA1)")
	f.fs.StringVar(&v.Branch, "branch", "", "CircleCI: the branch")
	f.fs.StringVar(&v.PullRequest, "pull-request", "", "CircleCI: the pull request, a number or its URL")
	f.fs.BoolVar(&v.Fork, "fork", false, "CircleCI: the pull request comes from a fork (no secrets, no publish)")
	f.fs.StringVar(&v.Repo, "repo", "", "CircleCI: the repository, owner/name")
	f.fs.Func("component", "narrow the run to these components (a matrix job; repeatable, or comma-separated)", func(s string) error {
		for _, c := range strings.Split(s, ",") {
			if c = strings.TrimSpace(c); c != "" {
				o.Components = append(o.Components, c)
			}
		}
		return nil
	})
	f.fs.StringVar(&o.RunURL, "run-url", "", "the CI run's address, linked from commit statuses")
	var cache cacheFlags
	cache.add(f.fs)
	if code := f.parse(args, stderr); code >= 0 {
		return nil, code
	}
	s, err := f.readSecrets(getenv)
	if err == nil {
		o.Cache, err = cache.read(getenv)
	}
	if err == nil && eventFile != "" {
		if o.GitHubPayload, err = os.ReadFile(eventFile); err != nil {
			err = fmt.Errorf("--event-file: %w", err)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "monopipe ci: %v\n", err)
		return nil, 2
	}
	o.Secrets, o.GitHubAPI, o.DryRun = s, f.apiURL, f.dryRun
	if _, err := job.ParseTrigger(c.opts); err != nil {
		fmt.Fprintf(stderr, "monopipe ci: %v\n", err)
		return nil, 2
	}
	return c, -1
}

// releaseCommand is a parsed `monopipe release`.
type releaseCommand struct {
	flags *engineFlags
	opts  job.ReleaseOptions
}

// parseRelease parses `monopipe release`'s flags and reads its secrets.
func parseRelease(args []string, stderr io.Writer, getenv func(string) (string, bool)) (*releaseCommand, int) {
	f := newEngineFlags("release", releaseUsage, stderr)
	c := &releaseCommand{flags: f}
	o := &c.opts
	f.fs.StringVar(&o.Tag, "tag", "", "the tag to release (required)")
	f.fs.StringVar(&o.Repo, "repo", "", "the GitHub repository, owner/name (default: from the origin remote)")
	f.fs.StringVar(&o.DefaultBranch, "default-branch", "", "the repository's default branch as the CI host names it")
	if code := f.parse(args, stderr); code >= 0 {
		return nil, code
	}
	if o.Tag == "" {
		fmt.Fprintln(stderr, "monopipe release: --tag is required")
		return nil, 2
	}
	s, err := f.readSecrets(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "monopipe release: %v\n", err)
		return nil, 2
	}
	o.Secrets, o.GitHubAPI, o.DryRun = s, f.apiURL, f.dryRun
	return c, -1
}

// runCI is `monopipe ci`.
func runCI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, code := parseCI(args, stderr, os.LookupEnv)
	if c == nil {
		return code
	}
	c.opts.Log = stderr
	return c.flags.run(ctx, stdout, stderr, func(client *dagger.Client, src *dagger.Directory) (*job.Report, error) {
		return job.CI(ctx, client, src, c.opts)
	})
}

// runRelease is `monopipe release`.
func runRelease(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, code := parseRelease(args, stderr, os.LookupEnv)
	if c == nil {
		return code
	}
	c.opts.Log = stderr
	return c.flags.run(ctx, stdout, stderr, func(client *dagger.Client, src *dagger.Directory) (*job.Report, error) {
		return job.Release(ctx, client, src, c.opts)
	})
}

// run connects to the engine of the `dagger run` session, loads the
// source, runs fn and writes its report.
func (f *engineFlags) run(ctx context.Context, stdout, stderr io.Writer, fn func(*dagger.Client, *dagger.Directory) (*job.Report, error)) int {
	name := f.fs.Name()
	root, err := sourceRoot(f.source)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	if os.Getenv("DAGGER_SESSION_PORT") == "" && os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST") == "" {
		fmt.Fprintf(stderr, "%s: no Dagger session: run it as `dagger run %s ...` (or use `dagger call %s`)\n", name, name, strings.TrimPrefix(name, "monopipe "))
		return 2
	}
	client, err := dagger.Connect(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "%s: connect to the engine: %v\n", name, err)
		return 1
	}
	defer client.Close()
	// Without what git ignores: planning never reads it, and builds then
	// get only the files their input digests list.
	src := client.Host().Directory(root, dagger.HostDirectoryOpts{Exclude: job.SourceIgnore, Gitignore: true})
	rep, err := fn(client, src)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	if err := writeReport(stdout, f.output, rep.Files); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	return 0
}

// sourceRoot is --source, or else the top folder of the repository the
// current folder is in (what +defaultPath="/" loads).
func sourceRoot(source string) (string, error) {
	if source != "" {
		return filepath.Abs(source)
	}
	r, err := detect.Open(".")
	if err != nil {
		return "", fmt.Errorf("--source: %w", err)
	}
	defer r.Close()
	return r.Root(), nil
}

// writeReport writes the report files under dir, or prints summary.md
// when dir is empty (pipelines/job scrubbed every secret from them).
func writeReport(stdout io.Writer, dir string, files map[string][]byte) error {
	if dir == "" {
		_, err := stdout.Write(files["summary.md"])
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("--output: %w", err)
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return fmt.Errorf("--output: %w", err)
		}
	}
	fmt.Fprintln(stdout, dir)
	return nil
}

// version is the release version, stamped by the release build
// (-ldflags "-X main.version=1.2.3"); empty in a build from source.
var version = ""

// versionString is version, or "dev" with the commit a build from source
// was made at.
func versionString() string {
	if version != "" {
		return version
	}
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision":
				rev = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				dirty = "-dirty"
			}
		}
		if len(rev) > 12 {
			v += " (" + rev[:12] + dirty + ")"
		}
	}
	return v
}
