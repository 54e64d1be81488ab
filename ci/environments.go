package main

import (
	"context"
	"errors"

	"dagger/monopipe/internal/dagger"

	"github.com/monopipe/monopipe/pipelines/job"
	"github.com/monopipe/monopipe/pipelines/plan"
)

// Deploy is the laptop loop: it plans the working tree's changes (as
// build does), builds what changed (without tests), pushes it with the
// environment's publish settings and updates the environment's Lambda
// functions, then prints each function's new code hash and how long
// plan, build, push and update took: `dagger call deploy --changed --env
// dev --aws-access-key-id env://AWS_ACCESS_KEY_ID --aws-secret-access-key
// env://AWS_SECRET_ACCESS_KEY`. It never deploys a commit older than the
// one a function runs, unless --force.
// +cache="never"
func (m *Monopipe) Deploy(
	ctx context.Context,
	// +defaultPath="/"
	source *dagger.Directory,
	// Deploy what changed (the default; kept for clarity on the command line).
	// +optional
	changed bool,
	// +optional
	all bool,
	// +optional
	component []string,
	// +optional
	base string,
	// The environment (required when monopipe.yaml names environments).
	// +optional
	env string,
	// Deploy even over a newer commit, or one whose order cannot be told.
	// +optional
	force bool,
	// +optional
	awsAccessKeyId *dagger.Secret,
	// +optional
	awsSecretAccessKey *dagger.Secret,
	// A session token that goes with short-lived access keys (an AWS
	// profile's SSO or assumed-role session).
	// +optional
	awsSessionToken *dagger.Secret,
	// The IAM role to take, assumed with the keys or the standard AWS
	// chain.
	// +optional
	awsRoleArn string,
	// +optional
	registryUsername string,
	// +optional
	registryPassword *dagger.Secret,
	// Build secrets for components' build.secrets (repeatable), as build's.
	// +optional
	secret []*dagger.Secret,
) (string, error) {
	s, err := readSecrets(ctx, nil, awsAccessKeyId, awsSecretAccessKey, registryUsername, registryPassword, nil, nil)
	if err == nil {
		err = readAWS(ctx, &s, awsSessionToken, awsRoleArn, nil)
	}
	if err != nil {
		return "", err
	}
	if s.Build, err = readBuildSecrets(ctx, secret); err != nil {
		return "", err
	}
	c, src, err := connect(ctx, source)
	if err != nil {
		return "", err
	}
	defer c.Close()
	rep, err := job.Deploy(ctx, c, src, job.DeployOptions{Env: env, Force: force, Secrets: s,
		Plan: plan.Options{Base: base, All: all, Components: component}})
	if err != nil {
		return "", err
	}
	if rep.Err != nil {
		return "", errors.New(rep.Summary())
	}
	return rep.Summary(), nil
}

// Rollback moves a component's function in an environment back to the
// deploy before the last one, as the function's tags record it: its alias
// back to the previous published version, or else the previous image or
// S3 zip deployed again.
// +cache="never"
func (m *Monopipe) Rollback(
	ctx context.Context,
	// The repository (its manifests say where the function is).
	// +defaultPath="/"
	source *dagger.Directory,
	component string,
	env string,
	// +optional
	awsAccessKeyId *dagger.Secret,
	// +optional
	awsSecretAccessKey *dagger.Secret,
	// A session token that goes with short-lived access keys.
	// +optional
	awsSessionToken *dagger.Secret,
	// The IAM role to take: with --aws-web-identity-token, through
	// AssumeRoleWithWebIdentity; otherwise assumed with the keys or the
	// standard AWS chain.
	// +optional
	awsRoleArn string,
	// An OIDC token exchanged for --aws-role-arn's short-lived credentials.
	// +optional
	awsWebIdentityToken *dagger.Secret,
) (string, error) {
	s, err := readSecrets(ctx, nil, awsAccessKeyId, awsSecretAccessKey, "", nil, nil, nil)
	if err == nil {
		err = readAWS(ctx, &s, awsSessionToken, awsRoleArn, awsWebIdentityToken)
	}
	if err != nil {
		return "", err
	}
	c, src, err := connect(ctx, source)
	if err != nil {
		return "", err
	}
	defer c.Close()
	return job.Rollback(ctx, src, job.RollbackOptions{Component: component, Env: env, Secrets: s.Publish})
}
