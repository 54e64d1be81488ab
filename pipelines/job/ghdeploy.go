package job

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/monopipe/monopipe/pipelines/github"
)

// GitHubTarget says where deploys, promotions and rollbacks are reported
// as GitHub Deployments. Zero (no token): nowhere.
type GitHubTarget struct {
	// Repo is owner/name.
	Repo string
	// API is the API root; default https://api.github.com/.
	API string
	// RunURL is the run's address, each deployment status's log link.
	RunURL string
	// Token is a secret: it is on the redaction list of every job that
	// takes a GitHubTarget.
	Token string
}

// reporter is the GitHub Deployments reporter of t, or nil when t has no
// token; from names the environment a promotion takes its artifact from.
// Descriptions pass through redact before they leave.
func (t GitHubTarget) reporter(from string, redact func(string) string, log io.Writer) (deploymentReporter, error) {
	if t.Token == "" {
		return nil, nil
	}
	owner, name, ok := strings.Cut(t.Repo, "/")
	if !ok {
		return nil, fmt.Errorf("--repo %q: want owner/name to report deployments to GitHub", t.Repo)
	}
	gh, err := github.New(github.Options{Token: t.Token, Owner: owner, Repo: name, BaseURL: t.API, HTTPClient: apiClient})
	if err != nil {
		return nil, err
	}
	return &ghDeployments{gh: gh, runURL: t.RunURL, from: from, redact: redact, log: log}, nil
}

// ghDeployments reports each deploy as a GitHub Deployment of the
// component to the environment (github.DeploymentEnvironment), in
// progress when it starts, then success or failure.
type ghDeployments struct {
	gh     *github.Client
	runURL string
	from   string
	redact func(string) string
	log    io.Writer
}

func (g *ghDeployments) started(ctx context.Context, component, env, commit string) (int64, error) {
	description := "deploy " + component
	if g.from != "" {
		description = "promoted from " + g.from
	}
	id, err := g.gh.CreateDeployment(ctx, github.Deployment{Component: component, Environment: env, Ref: commit, Description: description, From: g.from})
	if err != nil {
		return 0, err
	}
	return id, g.gh.SetDeploymentStatus(ctx, id, github.DeployInProgress, description, "", g.runURL)
}

func (g *ghDeployments) finished(ctx context.Context, id int64, ok bool, description string) {
	state := github.DeploySuccess
	if !ok {
		state = github.DeployFailure
	}
	if err := g.gh.SetDeploymentStatus(ctx, id, state, g.redact(description), "", g.runURL); err != nil {
		fmt.Fprintf(g.log, "warning: report deployment %d as %s: %v\n", id, state, err)
	}
}
