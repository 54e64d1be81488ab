package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"dagger.io/dagger"

	"github.com/monopipe/monopipe/pipelines/build"
	"github.com/monopipe/monopipe/pipelines/cacherun"
	"github.com/monopipe/monopipe/pipelines/deploy"
	"github.com/monopipe/monopipe/pipelines/detect"
	"github.com/monopipe/monopipe/pipelines/github"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/publish/oci"
	"github.com/monopipe/monopipe/pipelines/trigger"
)

// CIOptions are the inputs of a CI run, as a wrapper passes them.
type CIOptions struct {
	// GitHubEvent is $GITHUB_EVENT_NAME and GitHubPayload the content of
	// $GITHUB_EVENT_PATH. When GitHubEvent is empty, Values describe the
	// trigger (CircleCI, a laptop). On GitHub, Values.Head is $GITHUB_SHA.
	GitHubEvent   string
	GitHubPayload []byte
	Values        trigger.Values
	// Components narrows the run to these components (a matrix job): then
	// no pull request comment is written, the gathering job owns it.
	Components []string
	// RunURL links commit statuses to the CI run.
	RunURL  string
	Secrets Secrets
	// GitHubAPI is the GitHub API root; default https://api.github.com/.
	GitHubAPI string
	// DryRun builds and tests, and only prints what publish and deploy
	// would do.
	DryRun      bool
	Concurrency int
	// Cache is the shared result cache: read by every run, written by
	// trusted ones (Cache.Write is ignored: see cacherun.Writes).
	Cache CacheOptions
	// Log receives progress and warnings (default os.Stderr); no secret is
	// ever written to it.
	Log io.Writer
}

func (o *CIOptions) log() io.Writer { return logTo(o.Log) }

// logTo is w, or os.Stderr when w is nil.
func logTo(w io.Writer) io.Writer {
	if w == nil {
		return os.Stderr
	}
	return w
}

// ParseTrigger reads the trigger from GitHub's event, or else from the
// plain values.
func ParseTrigger(o CIOptions) (trigger.Trigger, error) {
	if o.GitHubEvent == "" {
		if len(o.GitHubPayload) > 0 {
			return trigger.Trigger{}, errors.New("--event-file needs --event-name")
		}
		return trigger.FromValues(o.Values)
	}
	if len(o.GitHubPayload) == 0 {
		return trigger.Trigger{}, fmt.Errorf("--event-name %s needs --event-file (the file at $GITHUB_EVENT_PATH)", o.GitHubEvent)
	}
	return trigger.FromGitHub(o.GitHubEvent, o.GitHubPayload, o.Values.Head)
}

// ciPlan is what a CI run does besides building and testing.
type ciPlan struct {
	// Statuses: set a commit status per component.
	Statuses bool
	// Comment: create or update the pull request comment.
	Comment bool
}

// decideCI says how a CI run reports to GitHub: only with a token, a
// repository and secrets allowed (never for forks), and the comment only
// on a pull request's whole run (not on a matrix job's part of it).
func decideCI(t trigger.Trigger, d trigger.Decision, o CIOptions) ciPlan {
	statuses := d.Secrets && o.Secrets.GitHubToken != "" && t.Repo.Owner != "" && d.Action == trigger.ActionBuild
	return ciPlan{
		Statuses: statuses,
		Comment:  statuses && t.Event == trigger.EventPullRequest && t.PRNumber > 0 && len(o.Components) == 0,
	}
}

// shipping says whether a component publishes (and then may deploy) in a
// build run: every component when the decision publishes (the base
// branch); on another branch's push or manual run, a component whose
// deploy.on includes "branch" (it deploys what it publishes); never on a
// pull request or a fork. The reason says why not.
func shipping(t trigger.Trigger, d trigger.Decision, w deploy.When, on []string) (bool, string) {
	switch {
	case d.Publish:
		return true, ""
	case !d.Secrets:
		return false, "pull request from a fork: never publishes"
	case t.Event == trigger.EventPush || t.Event == trigger.EventManual:
		if due, _ := deploy.Due(on, w); due {
			return true, ""
		}
	}
	return false, fmt.Sprintf("publish runs on the base branch %s and for releases", w.BaseBranch)
}

// CI runs what a CI system's trigger asks: nothing for a deletion, the
// release for a tag, else plan, build and test (and on the base branch
// publish and deploy) what changed, with commit statuses and the pull
// request comment on GitHub. Failed components do not make it fail: they
// are in the report (results.json, the "status" output); an error is bad
// input or a failure to talk to the engine.
func CI(ctx context.Context, client *dagger.Client, source *dagger.Directory, o CIOptions) (*Report, error) {
	o.Secrets.cache = o.Cache.pair()
	o.Secrets.exchangeAWS(ctx, o.log())
	rep, err := ci(ctx, client, source, o)
	return rep, o.Secrets.scrub(err)
}

func ci(ctx context.Context, client *dagger.Client, source *dagger.Directory, o CIOptions) (*Report, error) {
	t, err := ParseTrigger(o)
	if err != nil {
		return nil, err
	}
	d := trigger.Decide(t, "") // the action does not depend on the base branch
	switch d.Action {
	case trigger.ActionNone:
		fmt.Fprintln(o.log(), d.Reason)
		return newReport(d, nil, "", nil, o.Secrets)
	case trigger.ActionRelease:
		return runRelease(ctx, client, source, ReleaseOptions{Tag: t.Tag, Repo: t.Repo.String(), DefaultBranch: t.DefaultBranch, Secrets: o.Secrets,
			GitHubAPI: o.GitHubAPI, DryRun: o.DryRun, Concurrency: o.Concurrency, Log: o.Log})
	}
	sp, err := planBuildSource(ctx, client, source, t, o.Components, o.Cache, o.log())
	if sp.dir != "" {
		defer os.RemoveAll(sp.dir)
	}
	if err != nil {
		return nil, err
	}
	p, d := sp.plan, sp.decision
	write, why := cacherun.Writes(true, d, false)
	cache := o.Cache
	if !d.Secrets { // a fork's pull request reads anonymously, like it gets no other secret
		cache.Username, cache.Password = "", ""
	}
	rc, err := newResultCache(p, cache, write, why, o.RunURL, o.log())
	if err != nil {
		return nil, err
	}
	defer rc.close()
	fmt.Fprintf(o.log(), "%s\nplan: %s\n", d.Reason, p.Reason)

	cp := decideCI(t, d, o)
	gh := &ghReporter{sha: t.HeadSHA, runURL: o.RunURL, log: o.log()}
	if gh.sha == "" {
		gh.sha = p.HeadCommit
	}
	if cp.Statuses {
		gh.gh, err = github.New(github.Options{Token: o.Secrets.GitHubToken, Owner: t.Repo.Owner, Repo: t.Repo.Name, BaseURL: o.GitHubAPI, HTTPClient: apiClient})
		gh.warn(err)
	}
	if cp.Comment {
		gh.pr = t.PRNumber
	}
	gh.planned(ctx, p)

	var buildSecrets map[string]string
	if d.Secrets { // a fork's pull request gets none
		buildSecrets = o.Secrets.Build
	}
	b := build.New(client, source, p.Workspace, p.Manifests, build.WithTrees(p.Trees), build.WithCacheScope(cacheScope(sp.repo, d.Trusted)), build.WithSecrets(buildSecrets))
	opts := BuildOptions{Concurrency: o.Concurrency, Secrets: o.Secrets.values(), Pairs: o.Secrets.pairs(), cache: rc}
	when := deploy.When{Branch: t.Branch, BaseBranch: p.Workspace.BaseBranch}
	ship := func(c plan.Component) (bool, string) {
		return shipping(t, d, when, deployOn(p.Workspace, c.Manifest))
	}
	if shipsAny(p.Components, ship) {
		sh, err := newShipper(b, p.Workspace)
		if err != nil {
			return nil, err
		}
		defer sh.close()
		sh.ship, sh.commit, sh.branch, sh.when = ship, p.HeadCommit, t.Branch, when
		sh.repoDir = sp.dir
		sh.provenance = sp.provenance
		sh.secrets, sh.dryRun = o.Secrets.Publish, o.DryRun
		if gh.gh != nil && !o.DryRun {
			sh.reporter = &ghDeployments{gh: gh.gh, runURL: o.RunURL, redact: o.Secrets.redactor(), log: o.log()}
		}
		rc.shipFrom(sh)
		opts.Steps = sh.steps()
	}
	r, err := Run(ctx, b, p, opts)
	if err != nil {
		if !d.Secrets {
			err = fmt.Errorf("%w\n(a pull request from a fork gets no secrets)", err)
		}
		return nil, err
	}
	gh.finished(ctx, p, r.Results)
	return newReport(d, r, "", append(r.Warnings, gh.warnings...), o.Secrets)
}

// repoOf is repo (owner/name) when set, else the one the origin remote of
// the repository in dir names, else "" (the "local" cache scope).
func repoOf(dir, repo string) string {
	if repo == "" {
		repo, _ = originRepo(dir)
	}
	return repo
}

// cacheScope is the cache scope of a run in repo (owner/name, see repoOf).
func cacheScope(repo string, trusted bool) build.CacheScope {
	s := build.CacheScope{Repo: repo, Trust: build.Untrusted}
	if trusted {
		s.Trust = build.Trusted
	}
	return s
}

// sourcePlan is a build run's plan, with what else the run reads from the
// repository's git folder.
type sourcePlan struct {
	plan       *plan.Plan
	decision   trigger.Decision
	repo       string // see repoOf
	provenance oci.Provenance
	// dir is the copy planned on (its .git at least), kept for the order
	// of deploys (see orderCheck); the caller removes it.
	dir string
}

// planBuildSource is planBuild on the repository in source (see
// planCopyKept); the caller removes sp.dir.
func planBuildSource(ctx context.Context, client *dagger.Client, source *dagger.Directory, t trigger.Trigger, components []string, cache CacheOptions, log io.Writer) (sp sourcePlan, err error) {
	sp.dir, err = planCopyKept(ctx, client, source, trigger.Decide(t, "").Head == "", func(dir string, u *detect.Uncommitted) (err error) {
		if sp.plan, sp.decision, err = planBuild(ctx, dir, u, t, components, cache); err != nil {
			return err
		}
		sp.repo = repoOf(dir, t.Repo.String())
		sp.provenance = provenanceOf(dir, sp.plan.HeadCommit, t.Repo.String(), log)
		return nil
	})
	return sp, err
}

// planBuild plans a build run on the repository in dir (changed as u says,
// when set: see plan.Options), then decides with the workspace's base
// branch (the revisions compared do not depend on it). With a result
// cache, it computes the digests, and a push to the base branch heals
// (see healing).
func planBuild(ctx context.Context, dir string, u *detect.Uncommitted, t trigger.Trigger, components []string, cache CacheOptions) (*plan.Plan, trigger.Decision, error) {
	d := trigger.Decide(t, "")
	var cacheErr error
	o := plan.Options{Dir: dir, Uncommitted: u, Base: d.Base, Head: d.Head, Components: components, Trees: true,
		Results: cache.planResults(&cacheErr)}
	o.Heal, o.HealBranch = healing(t, cache)
	p, err := plan.Make(ctx, o)
	if err == nil {
		err = cacheErr
	}
	if err != nil {
		return nil, d, err
	}
	return p, trigger.Decide(t, p.Workspace.BaseBranch), nil
}

// healing says whether a run's plan heals, and on which branch: a push or
// manual run (not a fork's) heals when the branch it built is the
// workspace's base branch (a trusted run), unless --no-heal.
func healing(t trigger.Trigger, cache CacheOptions) (bool, string) {
	ok := !cache.NoHeal && !t.Fork && t.Branch != "" && (t.Event == trigger.EventPush || t.Event == trigger.EventManual)
	if !ok {
		return false, ""
	}
	return true, t.Branch
}

// CIPlan is the plan a CI run with the same options builds (what the
// matrix form's plan job emits): empty when the trigger builds nothing (a
// deletion, a tag).
func CIPlan(ctx context.Context, client *dagger.Client, source *dagger.Directory, o CIOptions) (*plan.Plan, error) {
	t, none, err := buildTrigger(o)
	if err != nil || none != nil {
		return none, err
	}
	sp, err := planBuildSource(ctx, client, source, t, o.Components, o.Cache, io.Discard)
	if sp.dir != "" {
		os.RemoveAll(sp.dir)
	}
	return sp.plan, err
}

// buildTrigger is the trigger of o, with the empty plan when it builds
// nothing (a deletion, a tag).
func buildTrigger(o CIOptions) (trigger.Trigger, *plan.Plan, error) {
	t, err := ParseTrigger(o)
	if err != nil {
		return t, nil, err
	}
	if d := trigger.Decide(t, ""); d.Action != trigger.ActionBuild {
		return t, &plan.Plan{Reason: d.Reason, Components: []plan.Component{}}, nil
	}
	return t, nil, nil
}

// shipsAny says whether any component publishes.
func shipsAny(comps []plan.Component, ship func(plan.Component) (bool, string)) bool {
	for _, c := range comps {
		if ok, _ := ship(c); ok {
			return true
		}
	}
	return false
}

// deployOn is when a component deploys: its deploy.on, falling back to
// the workspace's; with environments, every "on" of the environments it
// does not skip.
func deployOn(ws *manifest.Workspace, c *manifest.Component) []string {
	if c != nil && len(ws.Environments) > 0 {
		on := []string{manifest.DeployOnManual}
		if ts, err := manifest.Targets(ws, c); err == nil {
			for _, t := range ts {
				on = append(on, t.On...)
			}
		}
		slices.Sort(on)
		return slices.Compact(on)
	}
	if c != nil && len(c.Deploy.On) > 0 {
		return c.Deploy.On
	}
	return ws.Deploy.On
}
