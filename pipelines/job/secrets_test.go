package job

import (
	"context"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/pipelines/build"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/run"
)

// TestRunMissingBuildSecret: a build secret a selected component needs and
// the command line did not give fails the run before any step, naming the
// component, the secret and the flag.
func TestRunMissingBuildSecret(t *testing.T) {
	c, err := manifest.ParseComponent("web/component.yaml", []byte("name: web\nkind: node\nbuild:\n  secrets:\n    - name: NPM_TOKEN\n      npm: {registry: \"https://npm.example.com/\", scope: \"@acme\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{Workspace: manifest.DefaultWorkspace(), Manifests: map[string]*manifest.Component{"web": c},
		Components: []plan.Component{{Name: "web", Kind: manifest.KindNode, Dir: "web", Manifest: c}}}
	ran := false
	step := run.Step{Name: "publish", Run: func(context.Context, plan.Component) (run.Outcome, error) {
		ran = true
		return run.Outcome{}, nil
	}}
	b := build.New(nil, nil, p.Workspace, p.Manifests, build.WithSecrets(map[string]string{"OTHER": "other-VALUE"}))
	_, err = Run(context.Background(), b, p, BuildOptions{Steps: []run.Step{step}})
	if err == nil || !strings.Contains(err.Error(), "component web needs build secret NPM_TOKEN (build.secrets): pass it with --secret env://NPM_TOKEN") {
		t.Fatalf("err = %v", err)
	}
	if ran || strings.Contains(err.Error(), "VALUE") {
		t.Errorf("a step ran (%v) or the error shows a value: %v", ran, err)
	}
}

// TestSecretsBuildValues: build secrets are scrubbed like every other
// secret, in every form, and String names them without values.
func TestSecretsBuildValues(t *testing.T) {
	s := Secrets{Build: map[string]string{"PIP_TOKEN": "pip/TOKEN value"}}
	got := s.scrub(errorString("index https://__token__:pip%2FTOKEN%20value@pypi.example.com/simple/ and pip%2FTOKEN+value")).Error()
	if strings.Contains(got, "TOKEN") {
		t.Errorf("scrub left a form: %s", got)
	}
	if str := s.String(); !strings.Contains(str, "build[PIP_TOKEN]") || strings.Contains(str, "value") {
		t.Errorf("String = %q", str)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
