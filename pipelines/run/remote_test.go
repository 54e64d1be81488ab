package run

import (
	"context"
	"testing"

	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/report"
)

// TestRunRemote: a step answered by the shared result cache makes the
// component's Remote (redacted like everything else); its dependents run.
func TestRunRemote(t *testing.T) {
	steps := []Step{{Name: "build", Run: func(_ context.Context, c plan.Component) (Outcome, error) {
		if c.Name == "lib" {
			return Outcome{Skipped: "cached (remote)", Remote: &report.Remote{Ref: "reg/cache@sha256:1", Run: "https://ci/?token=s3cret"}}, nil
		}
		return Outcome{Output: "built"}, nil
	}}}
	res, err := Run(context.Background(), []plan.Component{comp("lib"), comp("app", "lib")}, Options{Steps: steps, Secrets: []string{"s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	lib, app := res.Components[0], res.Components[1]
	if lib.Remote == nil || lib.Remote.Ref != "reg/cache@sha256:1" || lib.Remote.Run != "https://ci/?token=***" || lib.Status != report.StatusSuccess {
		t.Errorf("lib = %+v, remote %+v", lib, lib.Remote)
	}
	if app.Remote != nil || app.Status != report.StatusSuccess || app.Steps[0].Status != report.StatusSuccess {
		t.Errorf("app = %+v", app)
	}
}
