// Package build defines each component's build and test on a Dagger engine,
// one builder per kind, against the published Go SDK (dagger.io/dagger), and
// exposes them as steps for the run package's executor.
//
// Sources: a component's containers see only what package sourcetree
// decides, the rule its input digest counts files by: its own folder, its
// inputs globs, and the folders of the components it depends on (directly
// or not), at their repository paths under /src, plus a go module root's
// go.mod and go.sum; a docker build its build context. A change elsewhere
// in the repository therefore leaves its cache intact. Dependencies'
// folders are included because local references between components are by
// path (a Go replace directive, a pip or npm path dependency), and a change
// in a dependency rebuilds its dependents anyway.
//
// Outputs: every component produces Files (binaries, wheels and sdists, npm
// tarballs, custom outputs) and, for go and docker, Images. A component's
// containers get the Files of each component it depends on, directly or not,
// at /deps/<name> (PIP_FIND_LINKS lists them for python); a docker build
// gets them in its context under .monopipe/deps/<name>.
//
// Test services (test.services) are bound to the container a component's
// test command runs in, whatever its kind, in one place (define).
//
// Pipelines are lazy: defining one runs nothing (but for kind dagger,
// whose module is loaded and served when its pipeline is defined); a step
// runs on the engine only when the executor calls it, and the engine
// caches each exec by its inputs.
package build

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"dagger.io/dagger"

	"github.com/monopipe/monopipe/pipelines/buildsecret"
	"github.com/monopipe/monopipe/pipelines/graph"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/run"
	"github.com/monopipe/monopipe/pipelines/sourcetree"
)

// Pinned Debian-based default images; monopipe.yaml's images section and a
// component's build.image override them (to use a mirror, for example).
// They are manifest's, which the input digest also names. A change to a
// builder bumps its kind's manifest.RecipeVersions (see there).
const (
	DefaultGoImage      = manifest.DefaultGoImage
	DefaultPythonImage  = manifest.DefaultPythonImage
	DefaultNodeImage    = manifest.DefaultNodeImage
	DefaultRuntimeImage = manifest.DefaultRuntimeImage
)

// Step names, as they appear in results.
const (
	StepBuild = "build"
	StepTest  = "test"
)

// Paths inside build containers.
const (
	srcPath  = "/src"
	outPath  = "/out"
	depsPath = "/deps"
)

// Builder defines the pipelines of one repository's components.
type Builder struct {
	client *dagger.Client
	source *dagger.Directory
	images manifest.Images
	comps  map[string]*manifest.Component
	scope  CacheScope
	ws     *manifest.Workspace
	// secrets are the build secrets' values by name (--secret).
	secrets map[string]string
	// trees are the source trees the planner decided, by name.
	trees map[string]sourcetree.Tree

	mu   sync.Mutex
	memo map[string]*memo
	// files are Files given for components not built here (UseFiles).
	files map[string]*dagger.Directory
	graph struct {
		once sync.Once
		g    *graph.Graph
		err  error
	}
	goMod struct {
		once  sync.Once
		files []string // the engine's go.mod files, sorted
		err   error
	}
	// modules are the components whose Dagger modules this session
	// serves, by module name.
	modules map[string]string
}

type memo struct {
	once sync.Once
	p    *Pipeline
	err  error
}

// New returns a Builder for the repository in source (its root), with the
// workspace's images and every component's manifest by name (plan.Plan's
// Workspace and Manifests).
//
// Pass source as the engine loaded it (a module's +defaultPath argument,
// Host.Directory, a git tree): the engine hashes such a directory by
// content, and the filtered trees the builders cut from it keep that
// hashing, so a component's cache survives changes elsewhere. A directory
// changed afterwards (WithNewFile, WithDirectory) is keyed by how it was
// made instead, and every component then runs again.
func New(client *dagger.Client, source *dagger.Directory, ws *manifest.Workspace, comps map[string]*manifest.Component, opts ...Option) *Builder {
	images := manifest.Images{}
	if ws != nil {
		images = ws.Images
	}
	images = images.WithDefaults()
	b := &Builder{client: client, source: source, images: images, comps: comps, ws: ws, memo: map[string]*memo{}}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Option configures a Builder.
type Option func(*Builder)

// WithSecrets gives the values of build secrets by name (what --secret
// gives): a component's build and test steps get those its build.secrets
// (and the workspace's) name, as Dagger secrets; see package buildsecret.
func WithSecrets(values map[string]string) Option { return func(b *Builder) { b.secrets = values } }

// Secrets resolves the build secrets of the named components and of every
// component they depend on (whose builds they need), and reports every
// secret that was not given, naming component and secret, before anything
// runs.
func (b *Builder) Secrets(names []string) error {
	need := map[string]bool{}
	for _, n := range names {
		need[n] = true
		deps, err := b.closure(n)
		if err != nil {
			return err
		}
		for _, d := range deps {
			need[d] = true
		}
	}
	var errs []error
	for _, n := range sortedKeys(need) {
		c, ok := b.comps[n]
		if !ok {
			return fmt.Errorf("build: unknown component %q", n)
		}
		if _, err := b.secretSet(c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// secretSet is what c's containers get of the build secrets.
func (b *Builder) secretSet(c *manifest.Component) (buildsecret.Set, error) {
	return buildsecret.Resolve(c.Name, manifest.BuildSecrets(b.ws, c), b.secrets)
}

// WithTrees gives the source trees the planner decided from head's files
// (plan.Plan.Trees): what each component's containers receive, exactly
// the files its input digest counts. A component without one gets the
// tree sourcetree decides from the engine's view of the source (its
// go.mod files), which can differ from git's by files git ignores.
func WithTrees(trees map[string]sourcetree.Tree) Option { return func(b *Builder) { b.trees = trees } }

// WithCacheScope names the repository and trust level whose cache volumes
// the containers mount (see CacheVolumeName); without it they are the
// untrusted volumes of an unknown ("local") repository.
func WithCacheScope(s CacheScope) Option { return func(b *Builder) { b.scope = s } }

// Pipeline is one component's build and test, defined but not run.
type Pipeline struct {
	Component *manifest.Component
	// Files are the component's artifacts; nothing runs until they are read.
	Files *dagger.Directory
	// Images are the component's runtime images, one per platform (go and
	// docker; empty for other kinds).
	Images []*dagger.Container

	build    action
	test     action
	testSkip string // why there is no test, when test is nil
}

// action is what a step evaluates: an exec whose output carries the stamp
// of when it ran, a script to run as such an exec in base (a test: define
// binds its services to base first), containers to sync (a Dockerfile
// build), or a call.
type action struct {
	exec   *dagger.Container
	base   *dagger.Container
	script string
	sync   []*dagger.Container
	// call runs a step that is not an exec of ours (a function of a
	// component's Dagger module); its answer is the step's output.
	call func(ctx context.Context) (string, error)
	// note describes a sync action in the step's output.
	note string
}

// Pipeline returns the named component's pipeline, defining it (and its
// dependencies') on first use.
func (b *Builder) Pipeline(ctx context.Context, name string) (*Pipeline, error) {
	b.mu.Lock()
	m, ok := b.memo[name]
	if !ok {
		m = &memo{}
		b.memo[name] = m
	}
	b.mu.Unlock()
	m.once.Do(func() { m.p, m.err = b.define(ctx, name) })
	return m.p, m.err
}

// UseFiles gives a component's Files as a folder on local disk (a result
// read from the shared result cache): the components depending on it get
// these at /deps/<name> instead of building it. Call it before their
// pipelines are defined (run.Run starts them after their dependencies'
// steps), and keep the folder until the run ends.
func (b *Builder) UseFiles(name, dir string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.files == nil {
		b.files = map[string]*dagger.Directory{}
	}
	b.files[name] = b.client.Host().Directory(dir)
}

func (b *Builder) given(name string) *dagger.Directory {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.files[name]
}

func (b *Builder) define(ctx context.Context, name string) (*Pipeline, error) {
	c, ok := b.comps[name]
	if !ok {
		return nil, fmt.Errorf("build: unknown component %q", name)
	}
	deps, err := b.closure(name)
	if err != nil {
		return nil, err
	}
	set, err := b.secretSet(c)
	if err != nil {
		return nil, err
	}
	in := inputs{c: c, deps: map[string]*dagger.Directory{}, secrets: set}
	for _, d := range deps {
		if f := b.given(d); f != nil {
			in.deps[d] = f
			continue
		}
		dp, err := b.Pipeline(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("build %s: dependency %s: %w", name, d, err)
		}
		in.deps[d] = dp.Files
	}
	if in.tree, err = b.sourceTree(ctx, c, deps); err != nil {
		return nil, fmt.Errorf("build %s: %w", name, err) // the error names c.Path
	}
	var p *Pipeline
	switch c.Kind {
	case manifest.KindGo:
		p, err = b.golang(in)
	case manifest.KindPython:
		p, err = b.python(in)
	case manifest.KindNode:
		p, err = b.node(in)
	case manifest.KindDocker:
		p, err = b.docker(in)
	case manifest.KindCustom:
		p, err = b.custom(in)
	case manifest.KindDagger:
		p, err = b.daggerModule(ctx, in)
	default:
		err = fmt.Errorf("unknown kind %q", c.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("build %s (%s): %w", name, c.Path, err)
	}
	p.Component = c
	if c.Test.Skip {
		p.testSkip = "test.skip is set"
	}
	if len(c.Test.Services) > 0 {
		if p.test.base == nil && p.testSkip == "" {
			return nil, fmt.Errorf("build %s (%s): test.services: the test step runs no command in a container the services could be bound to", name, c.Path)
		}
		if p.test.base != nil {
			p.test.base = b.withServices(p.test.base, c.Test.Services)
		}
	}
	return p, nil
}

// withServices binds c's test services to ctr, each under its name as a
// hostname. The engine starts a service when an exec that binds it runs
// (after the service's ports accept connections) and stops it when no
// exec needs it any more; an exec answered from its cache starts none.
func (b *Builder) withServices(ctr *dagger.Container, services []manifest.Service) *dagger.Container {
	for _, s := range services {
		ctr = ctr.WithServiceBinding(s.Name, b.service(s))
	}
	return ctr
}

// service is a test service: its image with its environment and exposed
// ports, running its command (with the image's entrypoint) or else the
// image's default one.
func (b *Builder) service(s manifest.Service) *dagger.Service {
	ctr := b.client.Container().From(s.Image)
	for _, k := range sortedKeys(s.Env) {
		ctr = ctr.WithEnvVariable(k, s.Env[k])
	}
	for _, p := range s.Ports {
		ctr = ctr.WithExposedPort(p)
	}
	if len(s.Command) == 0 {
		return ctr.AsService()
	}
	return ctr.AsService(dagger.ContainerAsServiceOpts{Args: s.Command, UseEntrypoint: true})
}

// inputs are what a kind's builder starts from.
type inputs struct {
	c *manifest.Component
	// deps are the Files of every component c depends on, by name.
	deps map[string]*dagger.Directory
	// tree is what c's containers receive of the repository.
	tree sourcetree.Tree
	// secrets are the component's build secrets.
	secrets buildsecret.Set
}

// closure lists every component name depends on, directly or not, sorted.
// The dependency graph, and with it the check for unknown dependencies and
// cycles, is graph's: built once, on first use.
func (b *Builder) closure(name string) ([]string, error) {
	b.graph.once.Do(func() {
		comps := make([]*manifest.Component, 0, len(b.comps))
		for _, n := range slices.Sorted(maps.Keys(b.comps)) {
			comps = append(comps, b.comps[n])
		}
		b.graph.g, b.graph.err = graph.New(comps)
	})
	if b.graph.err != nil {
		return nil, fmt.Errorf("build: %w", b.graph.err)
	}
	return b.graph.g.Dependencies(name), nil
}

// sourceTree is c's tree (deps are the names of the components it depends
// on, sorted): the planner's, else decided from the engine's go.mod files.
func (b *Builder) sourceTree(ctx context.Context, c *manifest.Component, deps []string) (sourcetree.Tree, error) {
	if t, ok := b.trees[c.Name]; ok {
		return t, nil
	}
	comps := make([]*manifest.Component, len(deps))
	for i, d := range deps {
		comps[i] = b.comps[d]
	}
	var globErr error
	exists := func(p string) bool {
		b.goMod.once.Do(func() {
			mods, err := b.source.Glob(ctx, "**/go.mod")
			if err != nil {
				b.goMod.err = fmt.Errorf("find go.mod files: %w", err)
			}
			b.goMod.files = slices.Sorted(slices.Values(mods))
		})
		globErr = b.goMod.err
		return sourcetree.ListExists(b.goMod.files)(p)
	}
	t, err := sourcetree.Of(c, comps, exists)
	if err == nil {
		err = globErr
	}
	return t, err
}

// dir returns the source filtered to tree: what a container receives.
func (b *Builder) dir(tree sourcetree.Tree) *dagger.Directory {
	src := b.source
	if tree.Root != "." && tree.Root != "" {
		src = src.Directory(tree.Root)
	}
	return src.Filter(dagger.DirectoryFilterOpts{Include: tree.Include, Exclude: tree.Exclude})
}

// prepare returns a container of image with the filtered tree at /src, the
// working directory at the component's folder, the dependencies' Files at
// /deps/<name>, the component's env and the given cache volumes (in the
// Builder's cache scope).
func (b *Builder) prepare(in inputs, image string, tree *dagger.Directory, caches map[string]string) *dagger.Container {
	ctr := b.client.Container().From(image)
	for _, p := range sortedKeys(caches) {
		ctr = ctr.WithMountedCache(p, b.client.CacheVolume(CacheVolumeName(b.scope, caches[p])))
	}
	for _, d := range sortedKeys(in.deps) {
		ctr = ctr.WithMountedDirectory(path.Join(depsPath, d), in.deps[d])
	}
	for _, k := range sortedKeys(in.c.Build.Env) {
		ctr = ctr.WithEnvVariable(k, in.c.Build.Env[k])
	}
	ctr = b.withSecrets(ctr, in.secrets)
	return ctr.WithDirectory(srcPath, tree).WithWorkdir(path.Join(srcPath, in.c.Dir))
}

// withSecrets gives ctr a component's build secrets: each as a Dagger
// secret (a variable or a file, never WithEnvVariable: a secret's value
// enters no cache key or log), named by buildsecret (no value in the name),
// and the plain variables that point tools at them.
func (b *Builder) withSecrets(ctr *dagger.Container, set buildsecret.Set) *dagger.Container {
	for _, m := range set.Mounts {
		sec := b.client.SetSecret(m.Name, m.Value)
		if m.Env != "" {
			ctr = ctr.WithSecretVariable(m.Env, sec)
		} else {
			ctr = ctr.WithMountedSecret(m.Path, sec)
		}
	}
	for _, k := range sortedKeys(set.Env) {
		ctr = ctr.WithEnvVariable(k, set.Env[k])
	}
	return ctr
}

// dockerSecrets are a docker component's build secrets for its Dockerfile:
// each by its build.secrets name, the raw value (RUN
// --mount=type=secret,id=NAME mounts it at /run/secrets/NAME); the
// helpers' files are for the other kinds.
func (b *Builder) dockerSecrets(c *manifest.Component) []*dagger.Secret {
	var out []*dagger.Secret
	for _, d := range manifest.BuildSecrets(b.ws, c) {
		out = append(out, b.client.SetSecret(d.Name, b.secrets[d.Name]))
	}
	return out
}

// stampScript makes an exec print, as its first line, the engine's clock
// when it started, with stderr merged into stdout. An exec answered from
// the engine's cache replays the output of the run that made it, so its
// stamp is older than the step's start: that is how a step knows it was
// cached. The script is part of the exec's cache key, and never changes.
const stampScript = `exec 2>&1; echo "` + stampPrefix + `$(date +%s%N)"; exec "$@"`

const stampPrefix = "monopipe-exec-start "

// withStep adds the exec of a step: a shell script run with set -e.
func withStep(ctr *dagger.Container, script string) *dagger.Container {
	return ctr.WithExec([]string{"sh", "-c", stampScript, "monopipe", "sh", "-ec", script})
}

// Steps returns the build and test steps for run.Run, followed by extra
// steps (publish, deploy) that callers provide.
func (b *Builder) Steps(extra ...run.Step) []run.Step {
	return append([]run.Step{b.BuildStep(), b.TestStep()}, extra...)
}

// BuildStep builds a component: its build exec (or Dockerfile build) and
// its runtime images.
func (b *Builder) BuildStep() run.Step { return run.Step{Name: StepBuild, Run: b.buildStep} }

// TestStep tests a component. Used alone (a test-only run), it still
// builds first where the kind tests what it built (python, node, custom,
// docker test.command); go and docker test stages test the sources alone.
func (b *Builder) TestStep() run.Step { return run.Step{Name: StepTest, Run: b.testStep} }

func (b *Builder) buildStep(ctx context.Context, c plan.Component) (run.Outcome, error) {
	p, err := b.Pipeline(ctx, c.Name)
	if err != nil {
		return run.Outcome{}, err
	}
	out, err := evaluate(ctx, p.build)
	if err != nil {
		return out, err
	}
	// The runtime images are part of the build: assemble them now, so that
	// a missing base image fails here rather than at publish.
	for _, img := range p.Images {
		if _, err := img.Sync(ctx); err != nil {
			return out, fmt.Errorf("runtime image: %w", err)
		}
	}
	return out, nil
}

func (b *Builder) testStep(ctx context.Context, c plan.Component) (run.Outcome, error) {
	p, err := b.Pipeline(ctx, c.Name)
	if err != nil {
		return run.Outcome{}, err
	}
	if p.testSkip != "" {
		return run.Outcome{Skipped: p.testSkip}, nil
	}
	return evaluate(ctx, p.test)
}

// evaluate runs an action on the engine and reports its output and whether
// it was cached.
func evaluate(ctx context.Context, a action) (run.Outcome, error) {
	started := time.Now()
	if a.base != nil {
		a.exec = withStep(a.base, a.script)
	}
	if a.call != nil {
		// The module's function decides what runs: whether it ran or
		// was cached is not known.
		out, err := a.call(ctx)
		return run.Outcome{Output: out + execOutput(err), CacheUnknown: true}, errMessage(err)
	}
	if a.exec == nil {
		for _, c := range a.sync {
			if _, err := c.Sync(ctx); err != nil {
				return run.Outcome{Output: execOutput(err)}, errMessage(err)
			}
		}
		// A Dockerfile build does not say whether its RUN lines ran.
		return run.Outcome{Output: a.note, CacheUnknown: true}, nil
	}
	stdout, err := a.exec.Stdout(ctx)
	if err != nil {
		out, _, _ := unstamp(execOutput(err), started)
		return run.Outcome{Output: out}, errMessage(err)
	}
	out, cached, ok := unstamp(stdout, started)
	return run.Outcome{Output: out, Cached: cached, CacheUnknown: !ok}, nil
}

// unstamp removes the stamp line from an exec's output and says whether the
// exec started before the step did (was cached); ok is false without a
// readable stamp.
func unstamp(out string, started time.Time) (rest string, cached, ok bool) {
	first, rest, _ := strings.Cut(out, "\n")
	ts, found := strings.CutPrefix(first, stampPrefix)
	if !found {
		return out, false, false
	}
	ns, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return rest, false, false
	}
	return rest, ns < started.UnixNano(), true
}

// execOutput is what a failed exec printed (stdout carries stderr too,
// through the stamp script; stderr is added for execs without it).
func execOutput(err error) string {
	var ee *dagger.ExecError
	if !errors.As(err, &ee) {
		return ""
	}
	return ee.Stdout + ee.Stderr
}

// errMessage shortens an exec failure to its exit code: the output, kept
// apart, says the rest.
func errMessage(err error) error {
	var ee *dagger.ExecError
	if errors.As(err, &ee) {
		return fmt.Errorf("exit code %d", ee.ExitCode)
	}
	return err
}

// script joins shell commands, one per line.
func script(lines ...string) string { return strings.Join(lines, "\n") }

// shellQuote quotes argv for a POSIX shell.
func shellQuote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// testScript is the test command: the component's test.command when set,
// else def.
func testScript(t manifest.Test, def string) string {
	if len(t.Command) > 0 {
		return shellQuote(t.Command)
	}
	return def
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
