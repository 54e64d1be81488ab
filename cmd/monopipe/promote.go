package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/monopipe/monopipe/pipelines/job"
)

const promoteUsage = `usage: monopipe promote --component NAME --version X.Y.Z --to stable|prod [flags]
       monopipe promote --component NAME --from ENV --to ENV [--force] [flags]

What ` + "`dagger call promote`" + ` does, without compiling the module and
without an engine: gives the image published for a component's version a
new tag by digest, or deploys to environment --to exactly the artifact
(image digest or S3 zip) the component's function runs in --from, never
rebuilding. Secret flags take env://NAME or file://PATH, as dagger call's
do.

flags:
`

const rollbackUsage = `usage: monopipe rollback --component NAME --env ENV [flags]

What ` + "`dagger call rollback`" + ` does, without an engine: moves the
environment's function back to the deploy before the last one, as its
tags record it (the alias to the previous version, or the previous code).

flags:
`

// shipFlags are the flags promote and rollback share: the repository, the
// component, the credentials (as the module's secret arguments) and where
// to report the deployment on GitHub.
type shipFlags struct {
	fs              *flag.FlagSet
	source, roleARN string
	component       string
	secrets         map[string]*string
	names           []string
	github          job.GitHubTarget
	githubToken     string // its source (env://, file://)
}

// newShipFlags registers the shared flags, with the secret flags names.
func newShipFlags(name, usage string, names []string, stderr io.Writer) *shipFlags {
	f := &shipFlags{fs: flag.NewFlagSet("monopipe "+name, flag.ContinueOnError), secrets: map[string]*string{}, names: names}
	f.fs.SetOutput(stderr)
	f.fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		f.fs.PrintDefaults()
	}
	f.fs.StringVar(&f.source, "source", "", "the repository (its manifests say where the component deploys; default: the one the current folder is in)")
	f.fs.StringVar(&f.component, "component", "", "the component (required)")
	for _, s := range names {
		f.secrets[s] = f.fs.String(s, "", "secret: env://NAME or file://PATH")
	}
	f.fs.StringVar(&f.roleARN, "aws-role-arn", "", "the IAM role to take (with --aws-web-identity-token: through AssumeRoleWithWebIdentity)")
	f.fs.StringVar(&f.githubToken, "github-token", "", "secret: a token that may write deployments, env://NAME or file://PATH; with it the deploy is reported as a GitHub Deployment")
	f.fs.StringVar(&f.github.Repo, "repo", "", "with --github-token: the GitHub repository, owner/name")
	f.fs.StringVar(&f.github.API, "github-api-url", "", "the GitHub API root ($GITHUB_API_URL); default https://api.github.com/")
	f.fs.StringVar(&f.github.RunURL, "run-url", "", "the CI run's address, linked from the deployment's statuses")
	return f
}

// parse parses args and reads the secrets; a non-negative code means stop
// with it. required pairs flag names with their values.
func (f *shipFlags) parse(args []string, stderr io.Writer, getenv func(string) (string, bool), required func() [][2]string) (job.Secrets, int) {
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return job.Secrets{}, 0
		}
		return job.Secrets{}, 2
	}
	if f.fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", f.fs.Name(), f.fs.Arg(0))
		return job.Secrets{}, 2
	}
	for _, r := range append([][2]string{{"component", f.component}}, required()...) {
		if r[1] == "" {
			fmt.Fprintf(stderr, "%s: --%s is required\n", f.fs.Name(), r[0])
			return job.Secrets{}, 2
		}
	}
	s, err := f.readSecrets(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", f.fs.Name(), err)
		return job.Secrets{}, 2
	}
	return s, -1
}

func (f *shipFlags) readSecrets(getenv func(string) (string, bool)) (job.Secrets, error) {
	var s job.Secrets
	for _, name := range f.names {
		if *f.secrets[name] == "" {
			continue
		}
		v, err := secretValue(name, *f.secrets[name], getenv)
		if err == nil {
			err = s.Set(name, v)
		}
		if err != nil {
			return job.Secrets{}, err
		}
	}
	if f.githubToken != "" {
		v, err := secretValue("github-token", f.githubToken, getenv)
		if err != nil {
			return job.Secrets{}, err
		}
		f.github.Token = strings.TrimSpace(v)
		if f.github.Repo == "" {
			return job.Secrets{}, errors.New("--github-token needs --repo owner/name")
		}
	}
	s.Publish.AWS.RoleARN = f.roleARN
	return s, s.Check()
}

// promoteSecrets are the secret arguments of the module's promote.
var promoteSecrets = []string{"aws-access-key-id", "aws-secret-access-key", "aws-session-token", "aws-web-identity-token", "registry-password"}

// parsePromote parses `monopipe promote`'s flags and reads its secrets; it
// returns the repository folder and the options, or a nil options and the
// exit code.
func parsePromote(args []string, stderr io.Writer, getenv func(string) (string, bool)) (string, *job.PromoteOptions, int) {
	f := newShipFlags("promote", promoteUsage, promoteSecrets, stderr)
	var o job.PromoteOptions
	var regUser string
	f.fs.StringVar(&o.Version, "version", "", "the published version, X.Y.Z (a retag)")
	f.fs.StringVar(&o.From, "from", "", "the environment whose artifact is promoted")
	f.fs.StringVar(&o.To, "to", "", "the new tag (stable or prod), or with --from the environment (required)")
	f.fs.BoolVar(&o.Force, "force", false, "with --from: deploy even a commit older than the one --to runs, or one whose order cannot be told")
	f.fs.StringVar(&regUser, "registry-username", "", "the image registry's username")
	s, code := f.parse(args, stderr, getenv, func() [][2]string {
		if o.From == "" {
			return [][2]string{{"to", o.To}, {"version", o.Version}}
		}
		return [][2]string{{"to", o.To}}
	})
	if code >= 0 {
		return "", nil, code
	}
	if o.From != "" && o.Version != "" {
		fmt.Fprintln(stderr, "monopipe promote: --version (a retag) and --from (an environment) do not go together")
		return "", nil, 2
	}
	s.Publish.RegistryUsername = regUser
	o.Component, o.Secrets, o.GitHub = f.component, s.Publish, f.github
	return f.source, &o, -1
}

// runPromote is `monopipe promote`: job.PromoteDir on the checkout (the
// module's promote exports its source to disk and calls the same).
func runPromote(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	source, o, code := parsePromote(args, stderr, os.LookupEnv)
	if o == nil {
		return code
	}
	o.Log = stderr
	return runShip(ctx, "promote", source, stdout, stderr, func(root string) (string, error) { return job.PromoteDir(ctx, root, *o) })
}

// rollbackSecrets are the secret arguments of the module's rollback.
var rollbackSecrets = []string{"aws-access-key-id", "aws-secret-access-key", "aws-session-token", "aws-web-identity-token"}

// runRollback is `monopipe rollback`: job.RollbackDir on the checkout.
func runRollback(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newShipFlags("rollback", rollbackUsage, rollbackSecrets, stderr)
	var o job.RollbackOptions
	f.fs.StringVar(&o.Env, "env", "", "the environment (required)")
	s, code := f.parse(args, stderr, os.LookupEnv, func() [][2]string { return [][2]string{{"env", o.Env}} })
	if code >= 0 {
		return code
	}
	o.Component, o.Secrets, o.GitHub, o.Log = f.component, s.Publish, f.github, stderr
	return runShip(ctx, "rollback", f.source, stdout, stderr, func(root string) (string, error) { return job.RollbackDir(ctx, root, o) })
}

// runShip runs do on the repository of source and prints what it did.
func runShip(ctx context.Context, name, source string, stdout, stderr io.Writer, do func(root string) (string, error)) int {
	root, err := sourceRoot(source)
	if err != nil {
		fmt.Fprintf(stderr, "monopipe %s: %v\n", name, err)
		return 2
	}
	out, err := do(root)
	if err != nil {
		fmt.Fprintf(stderr, "monopipe %s: %v\n", name, err)
		return 1
	}
	fmt.Fprint(stdout, out)
	return 0
}
