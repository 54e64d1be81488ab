package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/monopipe/monopipe/pipelines/build"
	"github.com/monopipe/monopipe/pipelines/cacherun"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/publish/oci"
	"github.com/monopipe/monopipe/pipelines/resultcache"
	"github.com/monopipe/monopipe/pipelines/run"
)

// CacheOptions say which shared result cache a build uses (see package
// resultcache and the README's "Shared result cache").
type CacheOptions struct {
	// Registry overrides monopipe.yaml's cache.registry; "-" disables the
	// cache.
	Registry string
	// Disabled disables the cache (--no-cache).
	Disabled bool
	// Username and Password log in to the registry; without them it is
	// anonymous (no docker configuration is read). Password is a secret.
	Username, Password string
	// Write asks a local build to write (--cache-write); a CI run writes
	// when it is trusted, whatever this says (cacherun.Writes).
	Write bool
	// NoHeal turns off healing on the base branch (a trusted push then
	// builds only what changed).
	NoHeal bool
	// Transport overrides the HTTP transport (tests).
	Transport http.RoundTripper
}

// registry is the cache's repository for a workspace ("" for none).
func (o CacheOptions) registry(ws *manifest.Workspace) string {
	switch {
	case o.Disabled || o.Registry == "-":
		return ""
	case o.Registry != "":
		return o.Registry
	case ws != nil:
		return ws.Cache.Registry
	}
	return ""
}

// open opens the cache of a workspace (nil, nil when there is none);
// warnings go to warn.
func (o CacheOptions) open(ws *manifest.Workspace, write bool, warn func(string)) (*resultcache.Cache, error) {
	reg := o.registry(ws)
	if reg == "" {
		return nil, nil
	}
	mode := resultcache.ReadOnly
	if write {
		mode = resultcache.ReadWrite
	}
	c, err := resultcache.New(reg, mode, o.remoteOptions()...)
	if err != nil {
		if o.Registry != "" {
			return nil, fmt.Errorf("--cache-registry: %w", err)
		}
		return nil, err
	}
	c.Warn = warn
	return c, nil
}

func (o CacheOptions) auth() authn.Authenticator {
	if o.Username == "" && o.Password == "" {
		return authn.Anonymous
	}
	return &authn.Basic{Username: o.Username, Password: o.Password}
}

func (o CacheOptions) remoteOptions() []remote.Option {
	opts := []remote.Option{remote.WithAuth(o.auth())}
	if o.Transport != nil {
		opts = append(opts, remote.WithTransport(o.Transport))
	}
	return opts
}

// SetPassword stores the value of --cache-password, as the module and
// `monopipe ci` read it (a secret file's trailing newline dropped).
func (o *CacheOptions) SetPassword(value string) { o.Password = strings.TrimSpace(value) }

// pair is the cache's login, for redaction.
func (o CacheOptions) pair() run.Pair { return run.Pair{Username: o.Username, Password: o.Password} }

// redactor scrubs every form of the cache's password.
func (o CacheOptions) redactor() func(string) string {
	return run.Redactor([]string{o.Password}, o.pair())
}

// planResults is plan.Options.Results for o: the cache of the workspace,
// read only (a plan never writes); a bad --cache-registry is kept in *err.
func (o CacheOptions) planResults(err *error) func(ws *manifest.Workspace) plan.Results {
	return func(ws *manifest.Workspace) plan.Results {
		c, e := o.open(ws, false, func(string) {})
		if e != nil {
			*err = e
		}
		if c == nil {
			return nil
		}
		return redactedResults{c: c, redact: o.redactor()}
	}
}

// redactedResults is a cache whose lookup errors, which a plan's reasons
// quote, show no form of the cache's password.
type redactedResults struct {
	c      *resultcache.Cache
	redact func(string) string
}

func (r redactedResults) Has(ctx context.Context, component, digest string) (bool, error) {
	ok, err := r.c.Has(ctx, component, digest)
	if err != nil {
		err = errors.New(r.redact(err.Error()))
	}
	return ok, err
}

// resultCache is a build's shared result cache, opened, with the Runner
// that puts it in front of the build and test steps.
type resultCache struct {
	cache  *resultcache.Cache
	opts   CacheOptions
	runner *cacherun.Runner
	tmp    string

	mu       sync.Mutex
	warnings []string
	log      io.Writer
	redact   func(string) string
}

// newResultCache opens the cache of plan p for a run (nil when there is
// none): write says whether the run may write (cacherun.Writes), why is
// said in the log.
func newResultCache(p *plan.Plan, o CacheOptions, write bool, why, runURL string, log io.Writer) (*resultCache, error) {
	rc := &resultCache{opts: o, log: logTo(log), redact: o.redactor()}
	c, err := o.open(p.Workspace, write, rc.warn)
	if err != nil || c == nil {
		return nil, err
	}
	if rc.tmp, err = os.MkdirTemp("", "monopipe-cache-"); err != nil {
		return nil, fmt.Errorf("result cache: %w", err)
	}
	rc.cache = c
	rc.runner = &cacherun.Runner{Store: c, Write: write, Commit: p.HeadCommit, RunURL: runURL, Warn: rc.warn}
	fmt.Fprintf(rc.log, "result cache %s: %s\n", c.Repository(), why)
	return rc, nil
}

func (rc *resultCache) warn(msg string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.redact != nil {
		msg = rc.redact(msg)
	}
	fmt.Fprintln(rc.log, "warning: "+msg)
	rc.warnings = append(rc.warnings, msg)
}

// Warnings are the cache's problems so far (none fails a run).
func (rc *resultCache) Warnings() []string {
	if rc == nil {
		return nil
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.warnings...)
}

func (rc *resultCache) close() {
	if rc != nil && rc.tmp != "" {
		os.RemoveAll(rc.tmp)
	}
}

// wrap puts the cache in front of the build and test steps of a run with
// b: a hit's files become its dependents' /deps/<name> (loaded from local
// disk into the engine), and a miss's outputs are exported from the engine
// to be stored.
func (rc *resultCache) wrap(b *build.Builder, steps []run.Step, redact func(string) string) []run.Step {
	r := rc.runner
	r.Redact = redact
	rc.mu.Lock()
	rc.redact = redact
	rc.mu.Unlock()
	r.Export = engineExport{rc: rc, b: b}
	r.OnHit = func(name string, hit *resultcache.Hit) {
		dir := filepath.Join(rc.tmp, "hits", name)
		if err := writeOutputs(dir, hit.Outputs); err != nil {
			rc.warn(fmt.Sprintf("outputs of %s from the cache: %v (its dependents build it)", name, err))
			return
		}
		b.UseFiles(name, dir)
	}
	return r.Wrap(steps, build.StepBuild, build.StepTest)
}

// hit is the entry a component was answered from (nil: it was built).
func (rc *resultCache) hit(name string) *resultcache.Hit {
	if rc == nil {
		return nil
	}
	return rc.runner.Hit(name)
}

// shipFrom makes the shipper take a hit's outputs from the cache: its
// files from the entry, its image copied from the cache's repository by
// digest; a built component's from the engine as before.
func (rc *resultCache) shipFrom(sh *shipper) {
	if rc == nil {
		return
	}
	image, files := sh.exportImage, sh.exportFiles
	sh.exportImage = func(ctx context.Context, name, path string) (bool, error) {
		h := rc.hit(name)
		if h == nil {
			return image(ctx, name, path)
		}
		if h.Record.Image == "" {
			return false, nil
		}
		return true, rc.cache.SaveImage(ctx, h.Record.Image, path)
	}
	sh.exportFiles = func(ctx context.Context, name, dir string) error {
		if h := rc.hit(name); h != nil {
			return writeOutputs(dir, h.Outputs)
		}
		return files(ctx, name, dir)
	}
}

// writeOutputs writes files (slash-separated relative paths) under dir.
func writeOutputs(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range files {
		if !fs.ValidPath(name) {
			return fmt.Errorf("output %q: not a relative path", name)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// readFiles reads the regular files under dir by slash-separated path.
func readFiles(dir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	files, err := listFiles(dir)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		rel, err := filepath.Rel(dir, f)
		if err != nil {
			return nil, err
		}
		if out[filepath.ToSlash(rel)], err = os.ReadFile(f); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// engineExport takes a built component's outputs out of the engine for
// the cache: its Files, and its image pushed into the cache's repository.
type engineExport struct {
	rc *resultCache
	b  *build.Builder
}

func (e engineExport) Files(ctx context.Context, name string) (map[string][]byte, error) {
	p, err := e.b.Pipeline(ctx, name)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(e.rc.tmp, "files-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if _, err := p.Files.Export(ctx, dir); err != nil {
		return nil, err
	}
	return readFiles(dir)
}

func (e engineExport) Image(ctx context.Context, name, tag string) (string, error) {
	p, err := e.b.Pipeline(ctx, name)
	if err != nil || len(p.Images) == 0 {
		return "", err
	}
	dir, err := os.MkdirTemp(e.rc.tmp, "image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "image.tar")
	if _, err := p.Images[0].Export(ctx, path, dagger.ContainerExportOpts{PlatformVariants: p.Images[1:]}); err != nil {
		return "", err
	}
	return e.rc.pushImage(ctx, path, tag)
}

// pushImage pushes the image at path (an OCI tarball or layout) into the
// cache's repository by digest, tagged tag, and returns
// repository@sha256:….
func (rc *resultCache) pushImage(ctx context.Context, path, tag string) (string, error) {
	img, err := oci.Load(path)
	if err != nil {
		return "", err
	}
	defer img.Close()
	res, err := oci.Push(ctx, img, oci.Target{Repository: rc.cache.Repository(), Auth: rc.opts.auth(), Transport: rc.opts.Transport},
		[]oci.Tag{{Name: tag}}, io.Discard)
	if err != nil {
		return "", err
	}
	return res.Ref, nil
}
