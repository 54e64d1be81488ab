package job

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"dagger.io/dagger"

	"github.com/monopipe/monopipe/pipelines/build"
	"github.com/monopipe/monopipe/pipelines/deploy"
	"github.com/monopipe/monopipe/pipelines/detect"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/report"
	"github.com/monopipe/monopipe/pipelines/run"
)

// DeployOptions say what the laptop loop deploys where.
type DeployOptions struct {
	// Env is the environment (required when monopipe.yaml names
	// environments; "" deploys with the one deploy section otherwise).
	Env string
	// Plan selects the components: the working tree's changes by default
	// (the base and head of plan.Options), or All or Components.
	Plan plan.Options
	// Force deploys even over a newer commit (see orderCheck).
	Force bool
	// Secrets are the registry and AWS credentials.
	Secrets Secrets
	// Concurrency bounds how many components run at once (0: one per CPU).
	Concurrency int
	// Log receives progress (default os.Stderr).
	Log io.Writer

	// reporter, when set, is told about each deploy.
	reporter deploymentReporter
}

// Phases is how long each phase of a laptop deploy took, wall time from
// the first component's start of the phase to the last one's end.
type Phases struct {
	Plan, Build, Push, Update time.Duration
}

func (p Phases) String() string {
	return fmt.Sprintf("plan %s, build %s, push %s, update %s", p.Plan.Round(time.Millisecond), p.Build.Round(time.Millisecond),
		p.Push.Round(time.Millisecond), p.Update.Round(time.Millisecond))
}

// DeployReport is what a laptop deploy did.
type DeployReport struct {
	Plan    *plan.Plan
	Results *report.Results
	Phases  Phases
	// Total is the wall time from the start to the last function update.
	Total time.Duration
	// Err names the failed components (nil when all deployed).
	Err error
}

// Summary lists each component's deployed functions with their new code
// hashes, and the phases' times.
func (r *DeployReport) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", r.Plan.Reason)
	for _, c := range r.Results.Components {
		fmt.Fprintf(&b, "%s: %s\n", c.Name, c.Status)
		for _, a := range c.Artifacts {
			fmt.Fprintf(&b, "  %s\n", a)
		}
		for _, s := range c.Steps {
			if s.Status != report.StatusSuccess && s.Error != "" {
				fmt.Fprintf(&b, "  %s: %s: %s\n", s.Name, s.Status, s.Error)
			}
		}
	}
	fmt.Fprintf(&b, "\n%s; total %s\n", r.Phases, r.Total.Round(time.Millisecond))
	if r.Err != nil {
		fmt.Fprintf(&b, "\n%v\n", r.Err)
	}
	return b.String()
}

// Deploy is the laptop loop: it plans the working tree's changes (as
// Build does), builds the selected components (no tests: `build` runs
// them), pushes them with the environment's publish settings and updates
// the environment's functions, whatever the environment's "on" says,
// checking the order of commits as every deploy does. The commit recorded
// is HEAD's (a dirty tree deploys as its HEAD).
func Deploy(ctx context.Context, client *dagger.Client, source *dagger.Directory, o DeployOptions) (*DeployReport, error) {
	start := time.Now()
	o.Secrets.exchangeAWS(ctx, logTo(o.Log))
	var p *plan.Plan
	var origin string
	dir, err := planCopyKept(ctx, client, source, o.Plan.Head == "", func(dir string, u *detect.Uncommitted) (err error) {
		po := o.Plan
		po.Dir, po.Uncommitted, po.Trees = dir, u, true
		p, err = plan.Make(ctx, po)
		origin = repoOf(dir, "")
		return err
	})
	if dir != "" {
		defer os.RemoveAll(dir)
	}
	if err != nil {
		return nil, o.Secrets.scrub(err)
	}
	b := build.New(client, source, p.Workspace, p.Manifests, build.WithTrees(p.Trees), build.WithCacheScope(cacheScope(origin, false)),
		build.WithSecrets(o.Secrets.Build))
	sh, err := newShipper(b, p.Workspace)
	if err != nil {
		return nil, err
	}
	defer sh.close()
	sh.repoDir = dir
	rep, err := deployLoop(ctx, p, sh, b.BuildStep(), start, o)
	return rep, o.Secrets.scrub(err)
}

// deployLoop is Deploy after planning, without an engine of its own: the
// build step and the shipper's exports are given (an engine's, or a
// test's).
func deployLoop(ctx context.Context, p *plan.Plan, sh *shipper, buildStep run.Step, start time.Time, o DeployOptions) (*DeployReport, error) {
	rep := &DeployReport{Plan: p}
	rep.Phases.Plan = time.Since(start)
	if err := p.Workspace.CheckEnvironment(o.Env); err != nil {
		return nil, fmt.Errorf("deploy --env: %w", err)
	}
	sh.ship = func(plan.Component) (bool, string) { return true, "" }
	sh.env, sh.force, sh.reporter = o.Env, o.Force, o.reporter
	sh.commit, sh.when = p.HeadCommit, deployWhen(p)
	if sh.commit == "" && sh.repoDir != "" { // --all and --component plan no head
		repo, err := detect.Open(sh.repoDir)
		if err != nil {
			return nil, err
		}
		sh.commit, err = repo.Commit("HEAD")
		repo.Close()
		if err != nil {
			return nil, err
		}
	}
	sh.secrets = o.Secrets.Publish
	var clock phaseClock
	steps := []run.Step{clock.wrap(buildStep, &rep.Phases.Build)}
	for _, s := range sh.steps() {
		d := &rep.Phases.Push
		if s.Name == StepDeploy {
			d = &rep.Phases.Update
		}
		steps = append(steps, clock.wrap(s, d))
	}
	res, err := run.Run(ctx, p.Components, run.Options{Steps: steps, Concurrency: o.Concurrency, Secrets: o.Secrets.values(), Pairs: o.Secrets.pairs(),
		Base: p.Base, Head: p.Head})
	if res == nil {
		return nil, err
	}
	rep.Results, rep.Err, rep.Total = res, err, time.Since(start)
	clock.finish()
	fmt.Fprintf(logTo(o.Log), "deploy: %s; total %s\n", rep.Phases, rep.Total.Round(time.Millisecond))
	return rep, nil
}

// deployWhen is the When of a laptop deploy; deploy does not ask it, the
// deploy being on request.
func deployWhen(p *plan.Plan) deploy.When {
	return deploy.When{BaseBranch: p.Workspace.BaseBranch}
}

// phaseClock measures each phase's wall span across components: from the
// first start of its step to the last end.
type phaseClock struct {
	mu    sync.Mutex
	spans map[*time.Duration]*[2]time.Time
}

func (c *phaseClock) wrap(s run.Step, d *time.Duration) run.Step {
	inner := s.Run
	s.Run = func(ctx context.Context, comp plan.Component) (run.Outcome, error) {
		t0 := time.Now()
		out, err := inner(ctx, comp)
		t1 := time.Now()
		if out.Skipped == "" || err != nil {
			c.mu.Lock()
			if c.spans == nil {
				c.spans = map[*time.Duration]*[2]time.Time{}
			}
			sp := c.spans[d]
			if sp == nil {
				c.spans[d] = &[2]time.Time{t0, t1}
			} else {
				sp[0], sp[1] = minTime(sp[0], t0), maxTime(sp[1], t1)
			}
			c.mu.Unlock()
		}
		return out, err
	}
	return s
}

// finish writes each phase's span into its duration.
func (c *phaseClock) finish() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for d, sp := range c.spans {
		*d = sp[1].Sub(sp[0])
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
