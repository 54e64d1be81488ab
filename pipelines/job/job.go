// Package job runs monopipe's jobs on a Dagger engine: it plans with the
// same code as `monopipe plan`, builds and tests the selected components
// with pipelines/build and pipelines/run, and renders the results with
// pipelines/report. The Dagger module in ci/ is a thin shim over it; a plain
// Go program under `dagger run` can call it just the same.
package job

import (
	"context"
	"errors"
	"maps"
	"slices"

	"dagger.io/dagger"

	"github.com/monopipe/monopipe/pipelines/build"
	"github.com/monopipe/monopipe/pipelines/cacherun"
	"github.com/monopipe/monopipe/pipelines/detect"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/report"
	"github.com/monopipe/monopipe/pipelines/run"
	"github.com/monopipe/monopipe/pipelines/trigger"
)

// Plan plans on the repository in source; opts.Dir and opts.Uncommitted
// are ignored. It copies out of the engine only what planning reads (see
// planCopy).
func Plan(ctx context.Context, source *dagger.Directory, opts plan.Options) (*plan.Plan, error) {
	var p *plan.Plan
	err := planCopy(ctx, source, opts.Head == "", func(dir string, u *detect.Uncommitted) (err error) {
		opts.Dir, opts.Uncommitted = dir, u
		p, err = plan.Make(ctx, opts)
		return err
	})
	return p, err
}

// BuildOptions say what to build.
type BuildOptions struct {
	Plan plan.Options
	// TestOnly runs only the test step (which still builds first where a
	// kind tests what it built).
	TestOnly bool
	// Concurrency bounds how many components run at once; 0 means one per
	// CPU.
	Concurrency int
	// Steps run after build and test (publish, deploy).
	Steps []run.Step
	// Secrets are values (tokens, keys, passwords) replaced by "***" in
	// every output, log, error and report of the run.
	Secrets []string
	// Pairs are basic-authentication credentials, redacted in their
	// base64 "user:password" form too.
	Pairs []run.Pair
	// BuildSecrets are the build secrets' values by name (--secret), for
	// the components whose build.secrets name them (Build only, which
	// redacts them too; Run takes them from its Builder).
	BuildSecrets map[string]string
	// Cache is the shared result cache: read before building, written
	// when the run may (Build: with Cache.Write).
	Cache CacheOptions

	// cache is the opened cache (Build and CI set it; nil: none).
	cache *resultCache
}

// Result is a finished build.
type Result struct {
	Plan    *plan.Plan
	Results *report.Results
	// Err names the failed components and steps, with the tail of their
	// output; nil when everything passed.
	Err error
	// Warnings are problems that did not fail the run (a result cache
	// that could not be read or written).
	Warnings []string
}

// Build plans, then builds and tests the selected components: dependencies
// first, independent ones in parallel, carrying on past failures (a failed
// component's dependents are skipped). The returned error is for failures
// to plan or to talk to the engine; component failures are in Result.Err.
//
// Its caches are the untrusted ones (see build.CacheVolumeName) of the
// repository the origin remote names: a laptop's or another branch's build
// never writes the caches a base-branch build reads.
func Build(ctx context.Context, client *dagger.Client, source *dagger.Directory, opts BuildOptions) (*Result, error) {
	var p *plan.Plan
	var origin string
	var cacheErr error
	err := planCopy(ctx, source, opts.Plan.Head == "", func(dir string, u *detect.Uncommitted) (err error) {
		o := opts.Plan
		o.Dir, o.Uncommitted, o.Trees = dir, u, true
		o.Results = opts.Cache.planResults(&cacheErr)
		p, err = plan.Make(ctx, o)
		origin = repoOf(dir, "")
		return err
	})
	if err == nil {
		err = cacheErr
	}
	if err != nil {
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(opts.BuildSecrets)) {
		opts.Secrets = append(opts.Secrets, opts.BuildSecrets[name])
	}
	opts.Secrets = append(opts.Secrets, opts.Cache.Password)
	opts.Pairs = append(opts.Pairs, opts.Cache.pair())
	write, why := cacherun.Writes(false, trigger.Decision{}, opts.Cache.Write)
	if opts.cache, err = newResultCache(p, opts.Cache, write, why, "", nil); err != nil {
		return nil, scrub(err, opts)
	}
	defer opts.cache.close()
	scope := cacheScope(origin, false)
	b := build.New(client, source, p.Workspace, p.Manifests, build.WithTrees(p.Trees), build.WithCacheScope(scope), build.WithSecrets(opts.BuildSecrets))
	return Run(ctx, b, p, opts)
}

// scrub is err with every secret of opts replaced by "***".
func scrub(err error, opts BuildOptions) error {
	if err == nil {
		return nil
	}
	return errors.New(run.Redactor(opts.Secrets, opts.Pairs...)(err.Error()))
}

// Run builds and tests the components of a plan made beforehand with b, the
// Builder of the same repository, like Build; opts.Plan is ignored. Extra
// steps that need the components' outputs take them from b. A build secret
// that a component (or one it depends on) needs and b was not given fails
// it before any step runs, naming every such component and secret.
func Run(ctx context.Context, b *build.Builder, p *plan.Plan, opts BuildOptions) (*Result, error) {
	names := make([]string, len(p.Components))
	for i, c := range p.Components {
		names[i] = c.Name
	}
	if err := b.Secrets(names); err != nil {
		return nil, err // before any step runs
	}
	steps := b.Steps(opts.Steps...)
	if opts.TestOnly {
		steps = append([]run.Step{b.TestStep()}, opts.Steps...)
	}
	if opts.cache != nil {
		steps = opts.cache.wrap(b, steps, run.Redactor(opts.Secrets, opts.Pairs...))
	}
	res, runErr := run.Run(ctx, p.Components, run.Options{
		Steps:       steps,
		Concurrency: opts.Concurrency,
		Secrets:     opts.Secrets,
		Pairs:       opts.Pairs,
		Base:        p.Base,
		Head:        p.Head,
	})
	if res == nil {
		return nil, runErr
	}
	return &Result{Plan: p, Results: res, Err: runErr, Warnings: opts.cache.Warnings()}, nil
}

// Summary is what a person reads at the end of a run: the plan's reason and
// the results table.
func (r *Result) Summary() string {
	s := r.Plan.Reason + "\n\n" + report.Text(r.Results)
	for _, w := range r.Warnings {
		s += "warning: " + w + "\n"
	}
	if r.Err != nil {
		s += "\n" + r.Err.Error() + "\n"
	}
	return s
}

// Reports is the report directory: summary.md, results.json, junit.xml and
// a log per component.
func (r *Result) Reports(client *dagger.Client) (*dagger.Directory, error) {
	return build.Reports(client, r.Results)
}
