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
	fs.StringVar(&o.Version, "version", "", "the published version, X.Y.Z (a retag)")
	fs.StringVar(&o.From, "from", "", "the environment whose artifact is promoted")
	fs.StringVar(&o.To, "to", "", "the new tag (stable or prod), or with --from the environment (required)")
	fs.BoolVar(&o.Force, "force", false, "with --from: deploy even a commit older than the one --to runs, or one whose order cannot be told")
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
	required := []struct{ flag, value string }{{"component", o.Component}, {"to", o.To}}
	switch {
	case o.From == "":
		required = append(required, struct{ flag, value string }{"version", o.Version})
	case o.Version != "":
		fmt.Fprintln(stderr, "monopipe promote: --version (a retag) and --from (an environment) do not go together")
		return "", nil, 2
	}
	for _, r := range required {
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

// rollbackSecrets are the secret arguments of the module's rollback.
var rollbackSecrets = []string{"aws-access-key-id", "aws-secret-access-key", "aws-session-token", "aws-web-identity-token"}

// runRollback is `monopipe rollback`: job.RollbackDir on the checkout.
func runRollback(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("monopipe rollback", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, rollbackUsage)
		fs.PrintDefaults()
	}
	var o job.RollbackOptions
	var source, roleARN string
	fs.StringVar(&source, "source", "", "the repository (default: the one the current folder is in)")
	fs.StringVar(&o.Component, "component", "", "the component (required)")
	fs.StringVar(&o.Env, "env", "", "the environment (required)")
	secrets := map[string]*string{}
	for _, s := range rollbackSecrets {
		secrets[s] = fs.String(s, "", "secret: env://NAME or file://PATH")
	}
	fs.StringVar(&roleARN, "aws-role-arn", "", "the IAM role to take (with --aws-web-identity-token: through AssumeRoleWithWebIdentity)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "monopipe rollback: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	for _, r := range []struct{ flag, value string }{{"component", o.Component}, {"env", o.Env}} {
		if r.value == "" {
			fmt.Fprintf(stderr, "monopipe rollback: --%s is required\n", r.flag)
			return 2
		}
	}
	var s job.Secrets
	for _, name := range rollbackSecrets {
		if *secrets[name] == "" {
			continue
		}
		v, err := secretValue(name, *secrets[name], os.LookupEnv)
		if err == nil {
			err = s.Set(name, v)
		}
		if err != nil {
			fmt.Fprintf(stderr, "monopipe rollback: %v\n", err)
			return 2
		}
	}
	s.Publish.AWS.RoleARN = roleARN
	if err := s.Check(); err != nil {
		fmt.Fprintf(stderr, "monopipe rollback: %v\n", err)
		return 2
	}
	o.Secrets = s.Publish
	root, err := sourceRoot(source)
	if err != nil {
		fmt.Fprintf(stderr, "monopipe rollback: %v\n", err)
		return 2
	}
	o.Log = stderr
	out, err := job.RollbackDir(ctx, root, o)
	if err != nil {
		fmt.Fprintf(stderr, "monopipe rollback: %v\n", err)
		return 1
	}
	fmt.Fprint(stdout, out)
	return 0
}
