package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/monopipe/monopipe/pipelines/job"
)

const promoteUsage = `usage: monopipe promote --component NAME --version X.Y.Z --to stable|prod [flags]

What ` + "`dagger call promote`" + ` does, without compiling the module and
without an engine: gives the image published for a component's version a
new tag by digest, without rebuilding. Secret flags take env://NAME or
file://PATH, as dagger call's do.

flags:
`

// promoteSecrets are the secret arguments of the module's promote.
var promoteSecrets = []string{"aws-access-key-id", "aws-secret-access-key", "aws-session-token", "aws-web-identity-token", "registry-password"}

// parsePromote parses `monopipe promote`'s flags and reads its secrets; it
// returns the repository folder and the options, or a nil options and the
// exit code.
func parsePromote(args []string, stderr io.Writer, getenv func(string) (string, bool)) (string, *job.PromoteOptions, int) {
	fs := flag.NewFlagSet("monopipe promote", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, promoteUsage)
		fs.PrintDefaults()
	}
	var o job.PromoteOptions
	var source, roleARN, regUser string
	fs.StringVar(&source, "source", "", "the repository (its manifests say where the image is; default: the one the current folder is in)")
	fs.StringVar(&o.Component, "component", "", "the component (required)")
	fs.StringVar(&o.Version, "version", "", "the published version, X.Y.Z (required)")
	fs.StringVar(&o.To, "to", "", "the new tag: stable or prod (required)")
	secrets := map[string]*string{}
	for _, s := range promoteSecrets {
		secrets[s] = fs.String(s, "", "secret: env://NAME or file://PATH")
	}
	fs.StringVar(&roleARN, "aws-role-arn", "", "the IAM role to take (with --aws-web-identity-token: through AssumeRoleWithWebIdentity)")
	fs.StringVar(&regUser, "registry-username", "", "the image registry's username")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", nil, 0
		}
		return "", nil, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "monopipe promote: unexpected argument %q\n", fs.Arg(0))
		return "", nil, 2
	}
	for _, r := range []struct{ flag, value string }{{"component", o.Component}, {"version", o.Version}, {"to", o.To}} {
		if r.value == "" {
			fmt.Fprintf(stderr, "monopipe promote: --%s is required\n", r.flag)
			return "", nil, 2
		}
	}
	var s job.Secrets
	for _, name := range promoteSecrets {
		if *secrets[name] == "" {
			continue
		}
		v, err := secretValue(name, *secrets[name], getenv)
		if err == nil {
			err = s.Set(name, v)
		}
		if err != nil {
			fmt.Fprintf(stderr, "monopipe promote: %v\n", err)
			return "", nil, 2
		}
	}
	s.Publish.AWS.RoleARN = roleARN
	if err := s.Check(); err != nil {
		fmt.Fprintf(stderr, "monopipe promote: %v\n", err)
		return "", nil, 2
	}
	s.Publish.RegistryUsername = regUser
	o.Secrets = s.Publish
	return source, &o, -1
}

// runPromote is `monopipe promote`: job.PromoteDir on the checkout (the
// module's promote exports its source to disk and calls the same).
func runPromote(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	source, o, code := parsePromote(args, stderr, os.LookupEnv)
	if o == nil {
		return code
	}
	root, err := sourceRoot(source)
	if err != nil {
		fmt.Fprintf(stderr, "monopipe promote: %v\n", err)
		return 2
	}
	o.Log = stderr
	out, err := job.PromoteDir(ctx, root, *o)
	if err != nil {
		fmt.Fprintf(stderr, "monopipe promote: %v\n", err)
		return 1
	}
	fmt.Fprint(stdout, out)
	return 0
}
