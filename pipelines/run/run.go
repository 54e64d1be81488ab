// Package run executes the steps of a plan's components: dependencies first,
// independent components in parallel (bounded), and keeps going when one
// fails. It knows nothing about Dagger: steps are function values, so the
// scheduling, skipping and reporting are tested with fake steps.
//
// Scheduling is by dependency rather than by wave: a component starts as
// soon as its own dependencies are done, without waiting for the whole of
// the plan's previous level, so a slow component holds back only its
// dependents.
package run

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/report"
)

// TailLines is how many lines of a step's output the results keep.
const TailLines = 40

// StepFunc runs one step of one component. It returns what the step printed
// and whether the engine answered it from its cache. A non-nil error fails
// the step; Outcome.Output should still carry the output that explains it.
type StepFunc func(ctx context.Context, c plan.Component) (Outcome, error)

// Step is a named stage of every component's pipeline (build, test, publish,
// deploy), run in the order given.
type Step struct {
	Name string
	Run  StepFunc
}

// Outcome is what a step reports back.
type Outcome struct {
	// Output is the step's combined output; the results keep its tail and
	// the component's log keeps all of it.
	Output string
	// Cached is true when the engine answered the step from its cache.
	Cached bool
	// CacheUnknown is true when the step cannot tell whether it was cached.
	CacheUnknown bool
	// Skipped, when not empty, says why the step did not run (for example
	// "no test configured"); the component is not failed by it.
	Skipped string
	// Artifacts are what the step produced (image refs, file names).
	Artifacts []string
	// Remote, when set, says the step's result was read from the shared
	// result cache (with Skipped saying so): it becomes the component's.
	Remote *report.Remote
}

// Options configure Run.
type Options struct {
	// Steps run for every component, in order.
	Steps []Step
	// Concurrency bounds how many components run at once; 0 means the
	// number of CPUs.
	Concurrency int
	// Secrets are values replaced by "***", in every form they can take
	// (see Forms), in every output, log and error.
	Secrets []string
	// Pairs are basic-authentication credentials: their password is a
	// secret, and base64 of "username:password" is redacted as well.
	Pairs []Pair
	// Base and Head are copied into the results.
	Base, Head string
}

// Run runs opts.Steps for every component, dependencies first. A component
// starts as soon as the components it depends on (among those given) have
// succeeded; dependencies that are not in comps are taken as already built.
// A failing component does not stop the others: its dependents are skipped.
// The error, when any component failed, names each failed component, its
// failing step and the tail of that step's output.
func Run(ctx context.Context, comps []plan.Component, opts Options) (*report.Results, error) {
	if err := check(comps); err != nil {
		return nil, err
	}
	n := opts.Concurrency
	if n <= 0 {
		n = runtime.NumCPU()
	}
	e := &executor{opts: opts, redact: Redactor(opts.Secrets, opts.Pairs...), sem: make(chan struct{}, n),
		done: map[string]chan struct{}{}, index: map[string]int{}, results: make([]report.Component, len(comps))}
	for i, c := range comps {
		e.done[c.Name] = make(chan struct{})
		e.index[c.Name] = i
	}
	res := &report.Results{Base: opts.Base, Head: opts.Head, Started: time.Now()}
	var wg sync.WaitGroup
	for i, c := range comps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(e.done[c.Name])
			e.results[i] = e.component(ctx, c)
		}()
	}
	wg.Wait()
	res.Duration = time.Since(res.Started)
	res.Components = e.results
	return res, failure(res)
}

type executor struct {
	opts   Options
	redact func(string) string
	sem    chan struct{}
	// done[name] is closed once results[index[name]] is final.
	done    map[string]chan struct{}
	index   map[string]int
	results []report.Component
}

// component waits for c's dependencies, then runs its steps.
func (e *executor) component(ctx context.Context, c plan.Component) report.Component {
	r := report.Component{Name: c.Name, Kind: string(c.Kind), Dir: c.Dir, Reasons: c.Reasons}
	if reason := e.waitDeps(ctx, c); reason != "" {
		return skipped(r, e.opts.Steps, reason)
	}
	select {
	case e.sem <- struct{}{}:
		defer func() { <-e.sem }()
	case <-ctx.Done():
		return skipped(r, e.opts.Steps, "cancelled: "+ctx.Err().Error())
	}
	var log strings.Builder
	start := time.Now()
	r.Status, r.Cached = report.StatusSuccess, true
	ran := false
	for i, s := range e.opts.Steps {
		if err := ctx.Err(); err != nil {
			r = skipRest(r, e.opts.Steps[i:], "cancelled: "+err.Error())
			r.Status = report.StatusFailure
			break
		}
		st := e.step(ctx, s, c, &log)
		r.Steps = append(r.Steps, st.Step)
		r.Artifacts = append(r.Artifacts, st.artifacts...)
		if st.remote != nil {
			r.Remote = st.remote
		}
		if st.Status == report.StatusSkipped {
			continue
		}
		ran = true
		r.Cached = r.Cached && st.Cached
		if st.Status == report.StatusFailure {
			r.Status = report.StatusFailure
			r = skipRest(r, e.opts.Steps[i+1:], s.Name+" failed")
			break
		}
	}
	r.Cached = r.Cached && ran
	r.Duration = time.Since(start)
	r.Log = log.String()
	return r
}

// waitDeps blocks until every dependency in the run has finished and
// returns why c must be skipped, or "" when it may run.
func (e *executor) waitDeps(ctx context.Context, c plan.Component) string {
	for _, d := range c.DependsOn {
		ch, ok := e.done[d]
		if !ok {
			continue // not selected: already built
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return "cancelled: " + ctx.Err().Error()
		}
	}
	for _, d := range c.DependsOn {
		i, ok := e.index[d]
		if !ok {
			continue
		}
		switch r := e.results[i]; r.Status { // final: done[d] is closed
		case report.StatusFailure:
			return "dependency " + d + " failed"
		case report.StatusSkipped:
			return "dependency " + d + " was skipped: " + r.Steps[0].Error
		}
	}
	return ""
}

type stepResult struct {
	report.Step
	artifacts []string
	remote    *report.Remote
}

// step runs one step and appends its output to the component's log.
func (e *executor) step(ctx context.Context, s Step, c plan.Component, log *strings.Builder) stepResult {
	start := time.Now()
	out, err := call(ctx, s.Run, c)
	st := Record(log, c.Name, s.Name, out, err, time.Since(start), e.redact)
	arts := make([]string, len(out.Artifacts))
	for i, a := range out.Artifacts {
		arts[i] = e.redact(a)
	}
	var remote *report.Remote
	if out.Remote != nil {
		rm := *out.Remote
		rm.Ref, rm.Commit, rm.Run = e.redact(rm.Ref), e.redact(rm.Commit), e.redact(rm.Run)
		remote = &rm
	}
	return stepResult{Step: st, artifacts: arts, remote: remote}
}

// Record is the report of step of component, which returned out and err
// after d, with every text passed through redact; it appends the step's
// output to the component's log.
func Record(log *strings.Builder, component, step string, out Outcome, err error, d time.Duration, redact func(string) string) report.Step {
	st := report.Step{Name: step, Duration: d, Status: report.StatusSuccess,
		Cached: out.Cached, CacheUnknown: out.CacheUnknown}
	output := redact(out.Output)
	switch {
	case err != nil:
		st.Status, st.Error, st.Cached = report.StatusFailure, redact(err.Error()), false
	case out.Skipped != "":
		st.Status, st.Error, st.Cached = report.StatusSkipped, redact(out.Skipped), false
	}
	st.Output = Tail(output, TailLines)
	fmt.Fprintf(log, "==> %s %s: %s (%s)\n", component, step, st.Status, st.Duration.Round(time.Millisecond))
	if st.Error != "" {
		fmt.Fprintf(log, "%s\n", st.Error)
	}
	if output != "" {
		log.WriteString(output)
		if !strings.HasSuffix(output, "\n") {
			log.WriteString("\n")
		}
	}
	return st
}

// call runs a step function, turning a panic into the step's failure so
// that one broken step cannot take the whole run down.
func call(ctx context.Context, f StepFunc, c plan.Component) (out Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return f(ctx, c)
}

// skipped marks every step of a component that never started as skipped.
func skipped(r report.Component, steps []Step, reason string) report.Component {
	r.Status = report.StatusSkipped
	r = skipRest(r, steps, reason)
	r.Log = fmt.Sprintf("==> %s skipped: %s\n", r.Name, reason)
	return r
}

func skipRest(r report.Component, steps []Step, reason string) report.Component {
	for _, s := range steps {
		r.Steps = append(r.Steps, report.Step{Name: s.Name, Status: report.StatusSkipped, Error: reason})
	}
	return r
}

// check rejects input the scheduler cannot run: duplicate names and
// dependencies listed after their dependents (which a plan never produces,
// and which could otherwise deadlock).
func check(comps []plan.Component) error {
	pos := map[string]int{}
	for i, c := range comps {
		if _, dup := pos[c.Name]; dup {
			return fmt.Errorf("run: component %q listed twice", c.Name)
		}
		pos[c.Name] = i
	}
	for i, c := range comps {
		for _, d := range c.DependsOn {
			if j, ok := pos[d]; ok && j >= i {
				return fmt.Errorf("run: component %q is listed before its dependency %q", c.Name, d)
			}
		}
	}
	return nil
}

// failure builds the run's error: every failed component with its failing
// step and the tail of that step's output.
func failure(r *report.Results) error {
	failed := r.Failed()
	if len(failed) == 0 {
		return nil
	}
	names := make([]string, len(failed))
	var b strings.Builder
	for i, c := range failed {
		names[i] = c.Name
		for _, s := range c.Steps {
			if s.Status != report.StatusFailure {
				continue
			}
			fmt.Fprintf(&b, "\n%s: %s failed: %s", c.Name, s.Name, s.Error)
			if s.Output != "" {
				fmt.Fprintf(&b, "\n%s", indent(s.Output))
			}
		}
	}
	return fmt.Errorf("%d component(s) failed: %s%s", len(failed), strings.Join(names, ", "), b.String())
}

// Tail returns the last n lines of s.
func Tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
