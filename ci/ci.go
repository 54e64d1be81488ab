package main

import (
	"context"
	"fmt"

	"dagger/monopipe/internal/dagger"

	"github.com/monopipe/monopipe/pipelines/job"
	"github.com/monopipe/monopipe/pipelines/trigger"
)

// Ci is the CI entry point: it reads the trigger (GitHub's event, or
// CircleCI's values), then builds and tests what changed, publishes and
// deploys on the base branch, releases on a tag, and reports to GitHub. It
// returns the report directory (summary.md, results.json, junit.xml, logs/,
// step-summary.md, github-output, annotations.txt) and does not fail for
// failed components: read "status" in github-output or results.json.
// +cache="never"
func (m *Monopipe) Ci(
	ctx context.Context,
	// The repository, with its .git.
	// +defaultPath="/"
	source *dagger.Directory,
	// GitHub: the event name ($GITHUB_EVENT_NAME).
	// +optional
	eventName string,
	// GitHub: the event payload ($GITHUB_EVENT_PATH).
	// +optional
	eventFile *dagger.File,
	// CircleCI: the base revision (<< pipeline.git.base_revision >>).
	// +optional
	base string,
	// The commit to build ($GITHUB_SHA, $CIRCLE_SHA1).
	// +optional
	head string,
	// CircleCI: the branch.
	// +optional
	branch string,
	// CircleCI: the pull request, a number or its URL.
	// +optional
	pullRequest string,
	// CircleCI: the pull request comes from a fork (no secrets, no publish).
	// +optional
	fork bool,
	// CircleCI: the repository, owner/name.
	// +optional
	repo string,
	// Narrow the run to these components (a matrix job; repeatable).
	// +optional
	component []string,
	// The CI run's address, linked from commit statuses.
	// +optional
	runUrl string,
	// The GitHub API root ($GITHUB_API_URL; on GitHub Enterprise Server
	// https://HOST/api/v3). Default: https://api.github.com/.
	// +optional
	githubApiUrl string,
	// +optional
	githubToken *dagger.Secret,
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
	// An OIDC token (GitHub Actions, CircleCI's $CIRCLE_OIDC_TOKEN_V2)
	// exchanged for --aws-role-arn's short-lived credentials.
	// +optional
	awsWebIdentityToken *dagger.Secret,
	// +optional
	registryUsername string,
	// +optional
	registryPassword *dagger.Secret,
	// +optional
	npmToken *dagger.Secret,
	// +optional
	pypiToken *dagger.Secret,
	// Build and test, and only print what publish and deploy would do.
	// +optional
	dryRun bool,
	// Build secrets for components' build.secrets (repeatable):
	// --secret env://NPM_TOKEN or --secret file:///path/NPM_TOKEN; the last
	// segment of the URI is the secret's name.
	// +optional
	secret []*dagger.Secret,
	// The shared result cache: an OCI repository (e.g. ghcr.io/org/repo-cache)
	// overriding monopipe.yaml's cache.registry; "-" disables it.
	// +optional
	cacheRegistry string,
	// Do not use the shared result cache.
	// +optional
	noCache bool,
	// The result cache registry's username (without it: anonymous).
	// +optional
	cacheUsername string,
	// The result cache registry's password or token.
	// +optional
	cachePassword *dagger.Secret,
	// Do not select, on a push to the base branch with a result cache, the
	// components without a successful result for their inputs.
	// +optional
	noHeal bool,
) (*dagger.Directory, error) {
	cache, err := cacheOptions(ctx, cacheRegistry, noCache, cacheUsername, cachePassword, false, noHeal)
	if err != nil {
		return nil, err
	}
	s, err := readSecrets(ctx, githubToken, awsAccessKeyId, awsSecretAccessKey, registryUsername, registryPassword, npmToken, pypiToken)
	if err == nil {
		err = readAWS(ctx, &s, awsSessionToken, awsRoleArn, awsWebIdentityToken)
	}
	if err != nil {
		return nil, err
	}
	if s.Build, err = readBuildSecrets(ctx, secret); err != nil {
		return nil, err
	}
	var payload []byte
	if eventFile != nil {
		text, err := eventFile.Contents(ctx)
		if err != nil {
			return nil, fmt.Errorf("read --event-file: %w", err)
		}
		payload = []byte(text)
	}
	c, src, err := connect(ctx, source)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	rep, err := job.CI(ctx, c, src, job.CIOptions{
		GitHubEvent: eventName, GitHubPayload: payload,
		Values:     trigger.Values{Base: base, Head: head, Branch: branch, PullRequest: pullRequest, Fork: fork, Repo: repo},
		Components: component, RunURL: runUrl, GitHubAPI: githubApiUrl, Secrets: s, DryRun: dryRun, Cache: cache,
	})
	if err != nil {
		return nil, err
	}
	return toModule(ctx, rep.Directory(c))
}

// Release releases the component a tag <component>/vX.Y.Z (or vX.Y.Z)
// names: checks the tag and the recorded version, builds and tests at the
// tag, publishes with version tags, deploys when release.deploy is set and
// creates the GitHub release with notes. It fails on a bad tag, a version
// mismatch or a failed build; it returns the report directory.
// +cache="never"
func (m *Monopipe) Release(
	ctx context.Context,
	// The repository checked out at the tag, with its .git.
	// +defaultPath="/"
	source *dagger.Directory,
	// The tag to release.
	tag string,
	// The GitHub repository, owner/name (default: from the origin remote).
	// +optional
	repo string,
	// The repository's default branch as the CI host names it
	// (${{ github.event.repository.default_branch }}): its monopipe.yaml
	// says which branches a release tag may be on. Default: the base
	// branch the tag's monopipe.yaml names, whose own monopipe.yaml must
	// agree.
	// +optional
	defaultBranch string,
	// The GitHub API root ($GITHUB_API_URL; on GitHub Enterprise Server
	// https://HOST/api/v3). Default: https://api.github.com/.
	// +optional
	githubApiUrl string,
	// +optional
	githubToken *dagger.Secret,
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
	// An OIDC token (GitHub Actions, CircleCI's $CIRCLE_OIDC_TOKEN_V2)
	// exchanged for --aws-role-arn's short-lived credentials.
	// +optional
	awsWebIdentityToken *dagger.Secret,
	// +optional
	registryUsername string,
	// +optional
	registryPassword *dagger.Secret,
	// +optional
	npmToken *dagger.Secret,
	// +optional
	pypiToken *dagger.Secret,
	// Build and test, and only print what would be published and released.
	// +optional
	dryRun bool,
	// Build secrets for components' build.secrets (repeatable):
	// --secret env://NPM_TOKEN or --secret file:///path/NPM_TOKEN; the last
	// segment of the URI is the secret's name.
	// +optional
	secret []*dagger.Secret,
) (*dagger.Directory, error) {
	s, err := readSecrets(ctx, githubToken, awsAccessKeyId, awsSecretAccessKey, registryUsername, registryPassword, npmToken, pypiToken)
	if err == nil {
		err = readAWS(ctx, &s, awsSessionToken, awsRoleArn, awsWebIdentityToken)
	}
	if err != nil {
		return nil, err
	}
	if s.Build, err = readBuildSecrets(ctx, secret); err != nil {
		return nil, err
	}
	c, src, err := connect(ctx, source)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	rep, err := job.Release(ctx, c, src, job.ReleaseOptions{Tag: tag, Repo: repo, DefaultBranch: defaultBranch, GitHubAPI: githubApiUrl, Secrets: s, DryRun: dryRun})
	if err != nil {
		return nil, err
	}
	return toModule(ctx, rep.Directory(c))
}

// Promote gives the image published for a component's version a new tag
// (stable or prod) by digest, without rebuilding; or, with --from, deploys
// to environment --to exactly the artifact (image digest or S3 zip) the
// component's function runs in environment --from: never a rebuild, never
// an older commit over a newer one unless --force.
// +cache="never"
func (m *Monopipe) Promote(
	ctx context.Context,
	// The repository (its manifests say where the image is), with its .git.
	// +defaultPath="/"
	source *dagger.Directory,
	component string,
	// The published version, X.Y.Z (a retag; not with --from).
	// +optional
	version string,
	// The new tag (stable or prod), or with --from the environment.
	to string,
	// The environment whose artifact is promoted.
	// +optional
	from string,
	// With --from: deploy even a commit older than the one --to runs, or
	// one whose order cannot be told.
	// +optional
	force bool,
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
	// An OIDC token (GitHub Actions, CircleCI's $CIRCLE_OIDC_TOKEN_V2)
	// exchanged for --aws-role-arn's short-lived credentials.
	// +optional
	awsWebIdentityToken *dagger.Secret,
	// +optional
	registryUsername string,
	// +optional
	registryPassword *dagger.Secret,
) (string, error) {
	s, err := readSecrets(ctx, nil, awsAccessKeyId, awsSecretAccessKey, registryUsername, registryPassword, nil, nil)
	if err == nil {
		err = readAWS(ctx, &s, awsSessionToken, awsRoleArn, awsWebIdentityToken)
	}
	if err != nil {
		return "", err
	}
	if from != "" && version != "" {
		return "", fmt.Errorf("--version (a retag) and --from (an environment) do not go together")
	}
	c, src, err := connect(ctx, source)
	if err != nil {
		return "", err
	}
	defer c.Close()
	return job.Promote(ctx, src, job.PromoteOptions{Component: component, Version: version, From: from, To: to, Force: force, Secrets: s.Publish})
}

// readSecrets reads the secrets that were given; their values never
// appear in output or errors. job.Secrets.Set maps each argument, as for
// `monopipe ci`.
func readSecrets(ctx context.Context, githubToken, awsKeyID, awsSecretKey *dagger.Secret, registryUser string,
	registryPassword, npmToken, pypiToken *dagger.Secret) (job.Secrets, error) {
	var s job.Secrets
	err := setSecrets(ctx, &s, map[string]*dagger.Secret{"github-token": githubToken, "aws-access-key-id": awsKeyID,
		"aws-secret-access-key": awsSecretKey, "registry-password": registryPassword, "npm-token": npmToken, "pypi-token": pypiToken})
	if err != nil {
		return job.Secrets{}, err
	}
	if (s.Publish.AWS.AccessKeyID == "") != (s.Publish.AWS.SecretAccessKey == "") {
		return job.Secrets{}, fmt.Errorf("--aws-access-key-id and --aws-secret-access-key go together")
	}
	s.Publish.RegistryUsername = registryUser
	return s, nil
}

// setSecrets reads each secret that was given into s, by argument name.
func setSecrets(ctx context.Context, s *job.Secrets, secrets map[string]*dagger.Secret) error {
	for _, flag := range job.SecretFlags {
		secret := secrets[flag]
		if secret == nil {
			continue
		}
		v, err := secret.Plaintext(ctx)
		if err != nil {
			return fmt.Errorf("read secret --%s: %w", flag, err)
		}
		if err := s.Set(flag, v); err != nil {
			return err
		}
	}
	return nil
}

// readAWS reads the short-lived AWS credentials that were given (a session
// token, or a role and the OIDC token to exchange for it) and checks the
// combination.
func readAWS(ctx context.Context, s *job.Secrets, sessionToken *dagger.Secret, roleARN string, webIdentityToken *dagger.Secret) error {
	if err := setSecrets(ctx, s, map[string]*dagger.Secret{"aws-session-token": sessionToken, "aws-web-identity-token": webIdentityToken}); err != nil {
		return err
	}
	s.Publish.AWS.RoleARN = roleARN
	return s.Check()
}
