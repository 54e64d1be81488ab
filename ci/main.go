// Monopipe builds, tests, publishes and deploys the components of a
// monorepo that a change affects, the same way on a laptop and in CI.
//
// This module is a thin shim: every function hands its arguments to the
// engine-free packages under pipelines/ (through pipelines/job), which use
// the published Dagger Go SDK; the same code runs under `dagger run`.
package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	lib "dagger.io/dagger"

	"dagger/monopipe/internal/dagger"

	"github.com/monopipe/monopipe/pipelines/buildsecret"
	"github.com/monopipe/monopipe/pipelines/job"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/trigger"
)

// Monopipe is the module.
type Monopipe struct{}

// Plan returns which components a change affects and why: JSON (default),
// text or a GitHub Actions matrix, exactly as `monopipe plan` prints it.
func (m *Monopipe) Plan(
	ctx context.Context,
	// The repository, with its .git and uncommitted files.
	// +defaultPath="/"
	source *dagger.Directory,
	// Base revision (default: the first parent of HEAD on the base branch, else the merge-base with it).
	// +optional
	base string,
	// Head revision, commits only (default: HEAD plus uncommitted and untracked files).
	// +optional
	head string,
	// Select every component.
	// +optional
	all bool,
	// Narrow the selection to these components (repeatable).
	// +optional
	component []string,
	// Output format: json, text or github-matrix.
	// +default="json"
	format string,
	// Plan as the ci function would for this GitHub event ($GITHUB_EVENT_NAME);
	// --head is then $GITHUB_SHA.
	// +optional
	eventName string,
	// The event's payload ($GITHUB_EVENT_PATH), with --event-name.
	// +optional
	eventFile *dagger.File,
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
	// With --event-name and a result cache: do not select, on a push to the
	// base branch, the components without a successful result.
	// +optional
	noHeal bool,
) (string, error) {
	cache, err := cacheOptions(ctx, cacheRegistry, noCache, cacheUsername, cachePassword, false, noHeal)
	if err != nil {
		return "", err
	}
	c, src, err := connect(ctx, source)
	if err != nil {
		return "", err
	}
	defer c.Close()
	var p *plan.Plan
	if eventName != "" {
		if eventFile == nil {
			return "", errors.New("--event-name needs --event-file")
		}
		payload, err := eventFile.Contents(ctx)
		if err != nil {
			return "", err
		}
		p, err = job.CIPlan(ctx, c, src, job.CIOptions{GitHubEvent: eventName, GitHubPayload: []byte(payload), Values: trigger.Values{Head: head}, Components: component, Cache: cache})
		if err != nil {
			return "", err
		}
	} else if p, err = job.Plan(ctx, c, src, plan.Options{Base: base, Head: head, All: all, Components: component, Digest: format == "json" || cache.Registry != ""}); err != nil {
		return "", err
	}
	var b strings.Builder
	if err := p.Write(&b, format); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Build builds and tests the affected components, dependencies first and
// independent ones in parallel, and prints a summary. It fails at the end
// if any component failed, naming each with its failing step and the tail
// of its output. `report` returns the same run's report files.
// +cache="session"
func (m *Monopipe) Build(
	ctx context.Context,
	// +defaultPath="/"
	source *dagger.Directory,
	// Build what changed (the default; kept for clarity on the command line).
	// +optional
	changed bool,
	// +optional
	all bool,
	// +optional
	component []string,
	// +optional
	base string,
	// +optional
	head string,
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
	// Write this build's results to the shared result cache (CI writes
	// from trusted runs only; a laptop only when asked).
	// +optional
	cacheWrite bool,
) (string, error) {
	cache, err := cacheOptions(ctx, cacheRegistry, noCache, cacheUsername, cachePassword, cacheWrite, false)
	if err != nil {
		return "", err
	}
	return m.run(ctx, source, secret, job.BuildOptions{Plan: plan.Options{Base: base, Head: head, All: all, Components: component}, Cache: cache})
}

// cacheOptions reads the shared result cache's arguments; the password's
// value never appears in output or errors (job redacts it, and its basic
// authentication form).
func cacheOptions(ctx context.Context, registry string, noCache bool, username string, password *dagger.Secret, write, noHeal bool) (job.CacheOptions, error) {
	o := job.CacheOptions{Registry: registry, Disabled: noCache, Username: username, Write: write, NoHeal: noHeal}
	if password != nil {
		v, err := password.Plaintext(ctx)
		if err != nil {
			return o, fmt.Errorf("read secret --cache-password: %w", err)
		}
		o.SetPassword(v)
	}
	return o, nil
}

// Test runs the affected components' tests only, where a kind separates
// testing from building; it fails like build does.
// +cache="session"
func (m *Monopipe) Test(
	ctx context.Context,
	// +defaultPath="/"
	source *dagger.Directory,
	// +optional
	changed bool,
	// +optional
	all bool,
	// +optional
	component []string,
	// +optional
	base string,
	// +optional
	head string,
	// Build secrets for components' build.secrets (repeatable):
	// --secret env://NPM_TOKEN or --secret file:///path/NPM_TOKEN; the last
	// segment of the URI is the secret's name.
	// +optional
	secret []*dagger.Secret,
) (string, error) {
	return m.run(ctx, source, secret, job.BuildOptions{TestOnly: true, Plan: plan.Options{Base: base, Head: head, All: all, Components: component}})
}

// Report builds and tests like build and returns the report directory
// (summary.md, results.json, junit.xml, logs/<component>.log) without
// failing for failed components: `dagger call report --changed -o out`.
// +cache="session"
func (m *Monopipe) Report(
	ctx context.Context,
	// +defaultPath="/"
	source *dagger.Directory,
	// +optional
	changed bool,
	// +optional
	all bool,
	// +optional
	component []string,
	// +optional
	base string,
	// +optional
	head string,
	// Run tests only, as test does.
	// +optional
	testOnly bool,
	// Build secrets for components' build.secrets (repeatable):
	// --secret env://NPM_TOKEN or --secret file:///path/NPM_TOKEN; the last
	// segment of the URI is the secret's name.
	// +optional
	secret []*dagger.Secret,
) (*dagger.Directory, error) {
	values, err := readBuildSecrets(ctx, secret)
	if err != nil {
		return nil, err
	}
	c, src, err := connect(ctx, source)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	r, err := job.Build(ctx, c, src, job.BuildOptions{TestOnly: testOnly, BuildSecrets: values, // job.Build redacts them
		Plan: plan.Options{Base: base, Head: head, All: all, Components: component}})
	if err != nil {
		return nil, err
	}
	dir, err := r.Reports(c)
	if err != nil {
		return nil, err
	}
	return toModule(ctx, dir)
}

// run builds and returns the summary; when a component failed, the error
// carries the whole summary, since the CLI prints only the error then.
func (m *Monopipe) run(ctx context.Context, source *dagger.Directory, secret []*dagger.Secret, opts job.BuildOptions) (string, error) {
	values, err := readBuildSecrets(ctx, secret)
	if err != nil {
		return "", err
	}
	opts.BuildSecrets = values // job.Build redacts them
	c, src, err := connect(ctx, source)
	if err != nil {
		return "", err
	}
	defer c.Close()
	r, err := job.Build(ctx, c, src, opts)
	if err != nil {
		return "", err
	}
	if r.Err != nil {
		return "", errors.New(r.Summary())
	}
	return r.Summary(), nil
}

// readBuildSecrets reads the --secret values by name: the last segment of
// each secret's URI (env://NPM_TOKEN is NPM_TOKEN). Errors name the secret,
// never its value.
func readBuildSecrets(ctx context.Context, secrets []*dagger.Secret) (map[string]string, error) {
	values := map[string]string{}
	for i, s := range secrets {
		uri, err := s.URI(ctx)
		if err != nil {
			return nil, fmt.Errorf("--secret #%d: read its URI: %w", i+1, err)
		}
		name, err := buildsecret.NameFromURI(uri)
		if err != nil {
			return nil, fmt.Errorf("--secret #%d: %w", i+1, err)
		}
		if _, dup := values[name]; dup {
			return nil, fmt.Errorf("--secret: two secrets are named %s", name)
		}
		v, err := s.Plaintext(ctx)
		if err != nil {
			return nil, fmt.Errorf("--secret %s: %w", name, err)
		}
		values[name] = v
	}
	return values, nil
}

// connect joins the function's session with the published SDK's client and
// turns the module's directory argument into that SDK's type.
func connect(ctx context.Context, source *dagger.Directory) (*lib.Client, *lib.Directory, error) {
	id, err := source.ID(ctx)
	if err != nil {
		return nil, nil, err
	}
	c, err := lib.Connect(ctx)
	if err != nil {
		return nil, nil, errors.Join(errors.New("connect to the engine"), err)
	}
	return c, c.LoadDirectoryFromID(lib.DirectoryID(id)), nil
}

// toModule turns the published SDK's directory back into the module's type.
func toModule(ctx context.Context, d *lib.Directory) (*dagger.Directory, error) {
	id, err := d.ID(ctx)
	if err != nil {
		return nil, err
	}
	return dag.LoadDirectoryFromID(dagger.DirectoryID(id)), nil
}
