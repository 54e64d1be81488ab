package github

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// acceptDeployments is the Accept header of the deployment calls: the
// previews that allow in_progress and inactive states, environment_url,
// and auto_inactive on production environments.
const acceptDeployments = "application/vnd.github.ant-man-preview+json, application/vnd.github.flash-preview+json"

const deployments = "/repos/acme/mono/deployments"

// deploymentReply is GitHub's 201 answer to a created deployment.
func deploymentReply(id int64, env string) string {
	return fmt.Sprintf(`{"url":"https://api.github.com/repos/acme/mono/deployments/%d","id":%d,"sha":%q,"ref":%q,"task":"deploy","environment":%q,"creator":{"login":"github-actions[bot]"},"created_at":"2026-12-07T21:00:00Z"}`, id, id, sha, sha, env)
}

func TestCreateDeployment(t *testing.T) {
	tests := []struct {
		name string
		d    Deployment
		body string
		id   int64
	}{
		{
			name: "image promoted to prod: production, its own environment per component",
			d: Deployment{Component: "api", Environment: "prod", Ref: sha, Description: "promoted from staging",
				Function: "api-prod", Digest: "sha256:" + strings.Repeat("a", 64), From: "staging"},
			body: `{"ref":"` + sha + `","task":"deploy:api","auto_merge":false,"required_contexts":[],"environment":"prod/api",
				"description":"promoted from staging","transient_environment":false,"production_environment":true,
				"payload":{"component":"api","environment":"prod","function":"api-prod","digest":"sha256:` + strings.Repeat("a", 64) + `","from":"staging"}}`,
			id: 101,
		},
		{
			name: "zip to dev: not production, the zip's hash recorded",
			d:    Deployment{Component: "worker", Environment: "dev", Ref: sha, Description: "deployed\nfrom the laptop", Function: "worker-dev", CodeSHA256: "q1w2e3r4t5y6u7i8o9p0=="},
			body: `{"ref":"` + sha + `","task":"deploy:worker","auto_merge":false,"required_contexts":[],"environment":"dev/worker",
				"description":"deployed from the laptop","transient_environment":false,"production_environment":false,
				"payload":{"component":"worker","environment":"dev","function":"worker-dev","code_sha256":"q1w2e3r4t5y6u7i8o9p0=="}}`,
			id: 102,
		},
		{
			name: "production by flag",
			d:    Deployment{Component: "web", Environment: "live", Ref: sha, Production: true},
			body: `{"ref":"` + sha + `","task":"deploy:web","auto_merge":false,"required_contexts":[],"environment":"live/web",
				"description":"","transient_environment":false,"production_environment":true,"payload":{"component":"web","environment":"live"}}`,
			id: 103,
		},
		{
			name: "transient preview",
			d:    Deployment{Component: "web", Environment: "pr-7", Ref: sha, Transient: true},
			body: `{"ref":"` + sha + `","task":"deploy:web","auto_merge":false,"required_contexts":[],"environment":"pr-7/web",
				"description":"","transient_environment":true,"production_environment":false,"payload":{"component":"web","environment":"pr-7"}}`,
			id: 104,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeGitHub(t, []exchange{{method: "POST", path: deployments, accept: acceptDeployments, body: tc.body,
				status: 201, reply: deploymentReply(tc.id, DeploymentEnvironment(tc.d.Environment, tc.d.Component))}})
			id, err := client(t, srv).CreateDeployment(context.Background(), tc.d)
			if err != nil {
				t.Fatal(err)
			}
			if id != tc.id {
				t.Errorf("id = %d, want %d", id, tc.id)
			}
		})
	}
}

func TestSetDeploymentStatus(t *testing.T) {
	const statuses = deployments + "/42/statuses"
	long := strings.Repeat("y", 300)
	tests := []struct {
		name                        string
		state, desc, envURL, logURL string
		body                        string
	}{
		{"in progress", DeployInProgress, "updating api-prod", "", "https://ci.example/run/1",
			`{"state":"in_progress","description":"updating api-prod","log_url":"https://ci.example/run/1","auto_inactive":false}`},
		{"success retires the previous version", DeploySuccess, "code sha256 q1w2", "https://console.aws.amazon.com/lambda/home#/functions/api-prod", "https://ci.example/run/1",
			`{"state":"success","description":"code sha256 q1w2","environment_url":"https://console.aws.amazon.com/lambda/home#/functions/api-prod","log_url":"https://ci.example/run/1","auto_inactive":true}`},
		{"failure keeps the running version active", DeployFailure, "failed: " + long, "", "",
			`{"state":"failure","description":` + fmt.Sprintf("%q", OneLine("failed: "+long)) + `,"auto_inactive":false}`},
		{"error", DeployError, "no credentials", "", "", `{"state":"error","description":"no credentials","auto_inactive":false}`},
		{"inactive", DeployInactive, "rolled back", "", "", `{"state":"inactive","description":"rolled back","auto_inactive":false}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeGitHub(t, []exchange{{method: "POST", path: statuses, accept: acceptDeployments, body: tc.body,
				status: 201, reply: fmt.Sprintf(`{"id":7,"state":%q,"deployment_url":"https://api.github.com/repos/acme/mono/deployments/42"}`, tc.state)}})
			if err := client(t, srv).SetDeploymentStatus(context.Background(), 42, tc.state, tc.desc, tc.envURL, tc.logURL); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDeploymentRefused: bad input is refused before any request (the
// fake server fails the test on any).
func TestDeploymentRefused(t *testing.T) {
	c := client(t, fakeGitHub(t, nil))
	ctx := context.Background()
	if err := c.SetDeploymentStatus(ctx, 42, "pending", "", "", ""); err == nil || !strings.Contains(err.Error(), `deployment 42`) || !strings.Contains(err.Error(), `state "pending": want one of in_progress, success, failure, error, inactive`) {
		t.Errorf("state pending: %v", err)
	}
	bad := []struct {
		d    Deployment
		want string
	}{
		{Deployment{Environment: "prod", Ref: sha}, `component "": want a component name`},
		{Deployment{Component: "api", Ref: sha}, `environment "": want an environment name`},
		{Deployment{Component: "api", Environment: "prod/eu", Ref: sha}, `environment "prod/eu"`},
		{Deployment{Component: "api", Environment: "prod", Ref: "main"}, `ref "main": want the deployed commit's full id`},
		{Deployment{Component: "api", Environment: "prod", Ref: sha, Digest: "sha256:x", CodeSHA256: "y"}, "one or the other"},
	}
	for _, tc := range bad {
		_, err := c.CreateDeployment(ctx, tc.d)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "create deployment") {
			t.Errorf("%+v: error %v, want it to contain %q", tc.d, err, tc.want)
		}
	}
}

// TestDeploymentErrors: API errors name the deployment and never show the
// token, even when GitHub's message echoes it.
func TestDeploymentErrors(t *testing.T) {
	d := Deployment{Component: "api", Environment: "prod", Ref: sha, Digest: "sha256:" + strings.Repeat("b", 64)}
	body := `{"ref":"` + sha + `","task":"deploy:api","auto_merge":false,"required_contexts":[],"environment":"prod/api",
		"description":"","transient_environment":false,"production_environment":true,
		"payload":{"component":"api","environment":"prod","digest":"sha256:` + strings.Repeat("b", 64) + `"}}`
	tests := []struct {
		name string
		x    exchange
		call func(*Client) error
		op   string
		code int
	}{
		{
			name: "422 on create",
			x: exchange{method: "POST", path: deployments, body: body, status: 422,
				reply: `{"message":"Validation Failed: token ` + token + `","errors":[{"resource":"Deployment","field":"environment","code":"invalid"}],"documentation_url":"https://docs.github.com/rest/deployments/deployments#create-a-deployment"}`},
			call: func(c *Client) error { _, err := c.CreateDeployment(context.Background(), d); return err },
			op:   "create deployment api to prod at ec26c3e", code: 422,
		},
		{
			name: "404 on status",
			x: exchange{method: "POST", path: deployments + "/42/statuses", body: `{"state":"success","description":"done","auto_inactive":true}`, status: 404,
				reply: `{"message":"Not Found (Bearer ` + token + `)","documentation_url":"https://docs.github.com/rest/deployments/statuses#create-a-deployment-status"}`},
			call: func(c *Client) error {
				return c.SetDeploymentStatus(context.Background(), 42, DeploySuccess, "done", "", "")
			},
			op: "set deployment 42 status success", code: 404,
		},
		{
			name: "202 (an auto-merge: no deployment) is an error",
			x:    exchange{method: "POST", path: deployments, body: body, status: 202, reply: `{"message":"Auto-merged main into topic-branch on deployment."}`},
			call: func(c *Client) error { _, err := c.CreateDeployment(context.Background(), d); return err },
			op:   "create deployment api to prod at ec26c3e", code: 202,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.x.accept = acceptDeployments
			err := tc.call(client(t, fakeGitHub(t, []exchange{tc.x})))
			var ge *Error
			if !errors.As(err, &ge) || ge.Op != tc.op || ge.StatusCode != tc.code {
				t.Fatalf("error = %#v, want *Error with op %q and status %d", err, tc.op, tc.code)
			}
			if msg := err.Error(); strings.Contains(msg, token) || !strings.Contains(msg, tc.op) {
				t.Errorf("error shows the token or does not name the deployment: %s", msg)
			}
		})
	}
}
