package job

import (
	"context"
	"fmt"
	"strings"

	"github.com/monopipe/monopipe/pipelines/plan"
)

// SourceIgnore are the patterns left out of the repository a job reads:
// the module's ci, release and promote functions (+defaultPath="/", no
// +ignore) and `monopipe ci` and its siblings under `dagger run`
// (Host().Directory) use the same list. It is empty: planning reads .git
// and the untracked files, and builds take only what each component's
// files are (pipelines/sourcetree).
var SourceIgnore = []string{}

// SecretFlags are the secret arguments of the ci, release and promote
// functions, as `dagger call` spells them; Secrets.Set takes these names.
var SecretFlags = []string{
	"github-token", "aws-access-key-id", "aws-secret-access-key", "aws-session-token",
	"aws-web-identity-token", "registry-password", "npm-token", "pypi-token",
}

// Set stores the value of the secret argument flag (one of SecretFlags).
// The value never appears in the error.
func (s *Secrets) Set(flag, value string) error {
	p := &s.Publish
	switch flag {
	case "github-token":
		s.GitHubToken = value
	case "aws-access-key-id":
		p.AWS.AccessKeyID = value
	case "aws-secret-access-key":
		p.AWS.SecretAccessKey = value
	case "aws-session-token":
		p.AWS.SessionToken = strings.TrimSpace(value)
	case "aws-web-identity-token":
		p.AWS.WebIdentityToken = strings.TrimSpace(value)
	case "registry-password":
		p.RegistryPassword = value
	case "npm-token":
		p.NPMToken = value
	case "pypi-token":
		p.PyPIPassword = value
	default:
		return fmt.Errorf("--%s is not a secret argument", flag)
	}
	return nil
}

// Check says what is wrong with the combination of credentials given,
// naming the arguments.
func (s *Secrets) Check() error {
	return s.Publish.AWS.Validate()
}

// CIPlanDir is CIPlan on the repository in dir, read on the host without
// an engine: the trigger, the revisions and the plan are CIPlan's (both
// call planBuild). `monopipe plan --event-name` prints it.
func CIPlanDir(ctx context.Context, dir string, o CIOptions) (*plan.Plan, error) {
	t, none, err := buildTrigger(o)
	if err != nil || none != nil {
		return none, err
	}
	p, _, err := planBuild(ctx, dir, nil, t, o.Components, o.Cache)
	return p, err
}
