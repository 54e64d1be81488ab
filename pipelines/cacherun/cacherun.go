// Package cacherun puts the shared result cache (package resultcache) in
// front of a run's build and test steps, without an engine: before a
// component's first build or test step it reads the cache at the
// component's input digest; on a hit no build or test step runs and the
// component is reported as cached (remote) with the entry (run.Outcome's
// Remote), on a miss the steps run and, when the run may write (Writes),
// their result is stored: a success with its outputs and image, a failure
// as a failure (never read as a hit). A cache that cannot be read or
// written never fails a run: it is a warning, and the component builds.
package cacherun

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/report"
	"github.com/monopipe/monopipe/pipelines/resultcache"
	"github.com/monopipe/monopipe/pipelines/run"
	"github.com/monopipe/monopipe/pipelines/trigger"
)

// Writes says whether a run may write the shared result cache, and why
// (or why not). In CI (ci true) only trusted runs write: a push or manual
// run on the base branch, and a release (trigger.Decision.Trusted); a pull
// request, a fork's above all, and another branch's push read at most,
// whatever is asked. Off CI (a laptop's `dagger call build`) a run writes
// only when asked (--cache-write).
func Writes(ci bool, d trigger.Decision, asked bool) (bool, string) {
	switch {
	case ci && d.Trusted:
		return true, "a trusted run (the base branch or a release) writes the result cache"
	case ci:
		return false, "only the base branch and releases write the result cache: this run reads it"
	case asked:
		return true, "--cache-write: this run writes the result cache"
	}
	return false, "a local run reads the result cache; --cache-write writes it"
}

// Store is what a run needs of a result cache (a *resultcache.Cache).
type Store interface {
	Get(ctx context.Context, component, digest string) (*resultcache.Hit, error)
	Put(ctx context.Context, res resultcache.Result) (ref string, stored bool, err error)
}

// Exporter takes a built component's outputs out of the engine, for a
// success to store.
type Exporter interface {
	// Files are the component's output files by slash-separated path.
	Files(ctx context.Context, component string) (map[string][]byte, error)
	// Image pushes the component's image, when it makes one, into the
	// cache's repository by digest under tag, and returns it as
	// repository@sha256:… ("" when it makes none).
	Image(ctx context.Context, component, tag string) (string, error)
}

// Runner wraps a run's steps with the cache. Set its fields, then call
// Wrap; a Runner serves one run.
type Runner struct {
	Store Store
	// Write stores the results of the steps that ran (see Writes).
	Write bool
	// Export is needed to store successes (nil: only failures are stored).
	Export Exporter
	// Commit and RunURL say where a stored result was made.
	Commit, RunURL string
	// Redact scrubs secrets from what is stored (logs, JUnit); nil keeps
	// the text as it is.
	Redact func(string) string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Warn receives every problem with the cache (default: dropped); none
	// fails the run.
	Warn func(string)
	// OnHit, when set, is told of each hit before the component's steps
	// go on (a builder gives the entry's outputs to the dependents).
	OnHit func(component string, hit *resultcache.Hit)

	mu    sync.Mutex
	comps map[string]*state
}

// state is what the Runner knows of one component.
type state struct {
	looked bool
	hit    *resultcache.Hit
	steps  []report.Step
	log    strings.Builder
	stored string // the stored entry's ref
}

func (r *Runner) state(name string) *state {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.comps == nil {
		r.comps = map[string]*state{}
	}
	s := r.comps[name]
	if s == nil {
		s = &state{}
		r.comps[name] = s
	}
	return s
}

// Hit is the cache entry a component was answered from (nil when it was
// built): what publish and deploy ship instead of the engine's outputs.
func (r *Runner) Hit(component string) *resultcache.Hit {
	return r.state(component).hit
}

// Stored is the ref of the entry a component's result was stored as ("" when
// none was).
func (r *Runner) Stored(component string) string {
	return r.state(component).stored
}

func (r *Runner) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if r.Redact != nil {
		msg = r.Redact(msg)
	}
	if r.Warn != nil {
		r.Warn(msg)
	}
}

func (r *Runner) redact(s string) string {
	if r.Redact == nil {
		return s
	}
	return r.Redact(s)
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Wrap returns steps with the cache in front of those named cached (the
// build and test steps); the others (publish, deploy) run as they are, and
// take a hit's outputs through Hit. Steps of one component run one after
// the other (run.Run), which Wrap relies on.
func (r *Runner) Wrap(steps []run.Step, cached ...string) []run.Step {
	first, last := -1, -1
	for i, s := range steps {
		if slices.Contains(cached, s.Name) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	out := slices.Clone(steps)
	for i, s := range steps {
		if !slices.Contains(cached, s.Name) {
			continue
		}
		out[i].Run = r.step(s, i == first, i == last)
	}
	return out
}

// step is s with the cache in front: the first cached step looks the
// component up, the last one stores its success.
func (r *Runner) step(s run.Step, first, last bool) run.StepFunc {
	return func(ctx context.Context, c plan.Component) (run.Outcome, error) {
		st := r.state(c.Name)
		if first && !st.looked {
			st.looked = true
			st.hit = r.lookup(ctx, c)
			if st.hit != nil && r.OnHit != nil {
				r.OnHit(c.Name, st.hit)
			}
		}
		if h := st.hit; h != nil {
			rm := &report.Remote{Ref: h.Ref, Digest: h.Record.Digest, Created: h.Record.Created, Commit: h.Record.Commit, Run: h.Record.Run}
			return run.Outcome{Skipped: rm.String(), Remote: rm}, nil
		}
		start := r.now()
		out, err := s.Run(ctx, c)
		st.steps = append(st.steps, run.Record(&st.log, c.Name, s.Name, out, err, r.now().Sub(start), r.redact))
		switch {
		case err != nil && ctx.Err() == nil: // a cancelled run says nothing of the component
			r.store(ctx, c, st, resultcache.StatusFailure)
		case err == nil && last:
			if ref := r.store(ctx, c, st, resultcache.StatusSuccess); ref != "" {
				out.Output = strings.TrimRight(out.Output, "\n")
				if out.Output != "" {
					out.Output += "\n"
				}
				out.Output += "result stored in the cache: " + ref + "\n"
			}
		}
		return out, err
	}
}

// lookup reads the cache for c; nil for a miss, or when the cache cannot
// be read (a warning: the component builds).
func (r *Runner) lookup(ctx context.Context, c plan.Component) *resultcache.Hit {
	if c.Digest == "" {
		r.warn("result cache: %s has no input digest (a repository without a commit?): built, not looked up", c.Name)
		return nil
	}
	hit, err := r.Store.Get(ctx, c.Name, c.Digest)
	if err != nil {
		r.warn("result cache not read for %s, building it: %v", c.Name, err)
		return nil
	}
	return hit
}

// store writes c's result when the run may, and returns the entry's ref
// ("" when nothing was stored).
func (r *Runner) store(ctx context.Context, c plan.Component, st *state, status string) string {
	if !r.Write || c.Digest == "" {
		return ""
	}
	res := resultcache.Result{
		Record: resultcache.Record{Component: c.Name, Digest: c.Digest, Status: status, Created: r.now().UTC(), Commit: r.Commit, Run: r.RunURL},
		Log:    []byte(st.log.String()),
	}
	ju, err := report.JUnit(&report.Results{Components: []report.Component{{Name: c.Name, Kind: string(c.Kind), Dir: c.Dir, Status: report.Status(status), Steps: st.steps}}})
	if err == nil {
		res.JUnit = ju
	}
	if status == resultcache.StatusSuccess {
		if r.Export == nil {
			return ""
		}
		if res.Outputs, err = r.Export.Files(ctx, c.Name); err != nil {
			r.warn("result of %s not stored in the cache: its outputs: %v", c.Name, err)
			return ""
		}
		tag, err := resultcache.ImageTag(c.Digest)
		if err == nil {
			res.Record.Image, err = r.Export.Image(ctx, c.Name, tag)
		}
		if err != nil {
			r.warn("result of %s not stored in the cache: its image: %v", c.Name, err)
			return ""
		}
	}
	ref, _, err := r.Store.Put(ctx, res)
	if err != nil {
		r.warn("result of %s not stored in the cache: %v", c.Name, err)
		return ""
	}
	st.stored = ref
	return ref
}
