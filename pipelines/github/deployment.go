package github

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	gh "github.com/google/go-github/v60/github"
)

// GitHub Deployments: one deployment per component and environment, named
// "<env>/<component>" (DeploymentEnvironment).
//
// Why not the environment name alone: the repository's Environments page
// shows the latest active deployment of each environment name, and a
// successful deployment status makes the earlier successful deployments
// of the same name inactive. With every component deploying to "prod",
// deploying web would mark api's running deployment inactive and the page
// would show only the last component deployed. Named "prod/api" and
// "prod/web", each component keeps its own active deployment, so the page
// lists what runs where, and auto-inactivation retires only the same
// component's previous version in the same environment.
//
// The plain environment name ("prod") stays the GitHub Environment that
// the CI wrappers' deploy jobs run in: its protection rules (required
// reviewers, branch rules) gate the job, and that job's own deployment
// records the run. The per-component environments are created by the
// first deployment to them and need no settings.

// TaskPrefix starts a deployment's task: "deploy:<component>", so that
// the API's list of deployments filters by component (?task=deploy:api).
const TaskPrefix = "deploy:"

// The deployment status states SetDeploymentStatus accepts.
const (
	DeployInProgress = "in_progress"
	DeploySuccess    = "success"
	DeployFailure    = "failure"
	DeployError      = "error"
	DeployInactive   = "inactive"
)

// DeploymentStates lists the states SetDeploymentStatus accepts.
var DeploymentStates = []string{DeployInProgress, DeploySuccess, DeployFailure, DeployError, DeployInactive}

// productionNames are the environment names that count as production
// without Deployment.Production.
var productionNames = []string{"prod", "production"}

var commitRE = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)

// Deployment is one component's deploy to one environment.
type Deployment struct {
	// Component is the component deployed (required).
	Component string
	// Environment is monopipe's environment, e.g. "prod" (required); the
	// GitHub deployment goes to DeploymentEnvironment(Environment, Component).
	Environment string
	// Ref is the commit deployed: a full SHA-1 or SHA-256 id (required).
	Ref string
	// Description is a one-line summary, e.g. "promoted from staging"
	// (cut to MaxDescription characters).
	Description string
	// Function is the Lambda function updated.
	Function string
	// Digest is the deployed image's digest (sha256:...), for an image.
	Digest string
	// CodeSHA256 is the deployed zip's SHA-256 as Lambda reports it
	// (base64), for a zip.
	CodeSHA256 string
	// From is the environment whose artifact was promoted ("" for a
	// build's own deploy).
	From string
	// Production marks an environment end users reach; "prod" and
	// "production" are production without it.
	Production bool
	// Transient marks an environment that lives as long as its branch (a
	// per-branch preview): an inactive status then shows it destroyed.
	Transient bool
}

// DeploymentPayload is what a deployment's payload records: what was
// deployed, where, and from where.
type DeploymentPayload struct {
	Component   string `json:"component"`
	Environment string `json:"environment"`
	Function    string `json:"function,omitempty"`
	Digest      string `json:"digest,omitempty"`
	CodeSHA256  string `json:"code_sha256,omitempty"`
	From        string `json:"from,omitempty"`
}

// DeploymentEnvironment is the GitHub environment name of component's
// deployments to env: "<env>/<component>" (see the note above).
func DeploymentEnvironment(env, component string) string { return env + "/" + component }

// IsProduction says whether d goes to a production environment.
func (d Deployment) IsProduction() bool {
	return d.Production || slices.Contains(productionNames, strings.ToLower(d.Environment))
}

// name is how errors name the deployment: "api to prod at ec26c3e".
func (d Deployment) name() string {
	ref := d.Ref
	if len(ref) > 7 {
		ref = ref[:7]
	}
	return fmt.Sprintf("%s to %s at %s", d.Component, d.Environment, ref)
}

func (d Deployment) check() error {
	switch {
	case d.Component == "" || strings.Contains(d.Component, "/"):
		return fmt.Errorf("component %q: want a component name", d.Component)
	case d.Environment == "" || strings.Contains(d.Environment, "/"):
		return fmt.Errorf("environment %q: want an environment name", d.Environment)
	case !commitRE.MatchString(d.Ref):
		return fmt.Errorf("ref %q: want the deployed commit's full id", d.Ref)
	case d.Digest != "" && d.CodeSHA256 != "":
		return fmt.Errorf("both an image digest and a zip's SHA-256: a deploy is one or the other")
	}
	return nil
}

// CreateDeployment records d as a GitHub deployment and returns its id,
// for SetDeploymentStatus.
func (c *Client) CreateDeployment(ctx context.Context, d Deployment) (int64, error) {
	op := "create deployment " + d.name()
	if err := d.check(); err != nil {
		return 0, fmt.Errorf("github: %s: %w", op, err)
	}
	req := &gh.DeploymentRequest{
		Ref:         gh.String(d.Ref),
		Task:        gh.String(TaskPrefix + d.Component),
		Environment: gh.String(DeploymentEnvironment(d.Environment, d.Component)),
		Description: gh.String(OneLine(d.Description)),
		// The ref is the exact commit that was built and deployed: never
		// let GitHub merge the default branch into it.
		AutoMerge: gh.Bool(false),
		// No status contexts to wait for. By default GitHub refuses a
		// deployment unless every status on the commit is success, and
		// monopipe sets those statuses itself: monopipe/<component> is
		// still pending while the run that deploys is going, and another
		// component's failure must not block this one's deploy. monopipe
		// deploys only what it built and tested; that is the check.
		RequiredContexts:      &[]string{},
		TransientEnvironment:  gh.Bool(d.Transient),
		ProductionEnvironment: gh.Bool(d.IsProduction()),
		Payload: DeploymentPayload{
			Component: d.Component, Environment: d.Environment, Function: d.Function,
			Digest: d.Digest, CodeSHA256: d.CodeSHA256, From: d.From,
		},
	}
	got, resp, err := c.gh.Repositories.CreateDeployment(ctx, c.owner, c.repo, req)
	if err != nil {
		return 0, c.fail(op, resp, err)
	}
	return got.GetID(), nil
}

// SetDeploymentStatus sets the state of deployment id: in_progress,
// success, failure, error or inactive (DeploymentStates). environmentURL
// is where the deployed code can be reached or seen (optional), logURL the
// run's address (optional). A success status makes the earlier successful
// deployments of the same component to the same environment inactive
// (auto_inactive, set explicitly; go-github's Accept header carries the
// preview media type that extends it to production environments); any
// other state leaves them as they are, so a failed deploy does not hide
// the version still running.
func (c *Client) SetDeploymentStatus(ctx context.Context, id int64, state, description, environmentURL, logURL string) error {
	op := fmt.Sprintf("set deployment %d status %s", id, state)
	if !slices.Contains(DeploymentStates, state) {
		return fmt.Errorf("github: %s: state %q: want one of %s", op, state, strings.Join(DeploymentStates, ", "))
	}
	req := &gh.DeploymentStatusRequest{
		State:        gh.String(state),
		Description:  gh.String(OneLine(description)),
		AutoInactive: gh.Bool(state == DeploySuccess),
	}
	if environmentURL != "" {
		req.EnvironmentURL = gh.String(environmentURL)
	}
	if logURL != "" {
		req.LogURL = gh.String(logURL)
	}
	if _, resp, err := c.gh.Repositories.CreateDeploymentStatus(ctx, c.owner, c.repo, id, req); err != nil {
		return c.fail(op, resp, err)
	}
	return nil
}
