package job

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"dagger.io/dagger"

	"github.com/monopipe/monopipe/pipelines/build"
	"github.com/monopipe/monopipe/pipelines/deploy"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/publish"
	"github.com/monopipe/monopipe/pipelines/publish/oci"
	"github.com/monopipe/monopipe/pipelines/run"
)

// Step names of shipping, as they appear in results.
const (
	StepPublish = "publish"
	StepDeploy  = "deploy"
)

// shipper makes the publish and deploy steps: it exports a component's
// build outputs from the engine to local files, hands them to
// pipelines/publish, then deploys what was published with pipelines/deploy.
type shipper struct {
	b  *build.Builder
	ws *manifest.Workspace
	// ship says whether a component publishes and deploys in this run, and
	// why not (see shipping).
	ship func(c plan.Component) (bool, string)
	// commit, branch and version go to publish (version only on releases).
	commit, branch, version string
	// provenance is recorded on pushed images (see provenanceOf).
	provenance oci.Provenance
	when       deploy.When
	// noDeploy, when set, says why nothing deploys (a release whose
	// settings do not deploy).
	noDeploy string
	secrets  publish.Secrets
	dryRun   bool
	// env, when set, is the one environment this run ships to, on
	// request (the laptop loop): publish uses its publish settings and
	// deploy its deploy settings, whatever its on says.
	env string
	// repoDir is a copy of the repository (its .git) that decides the
	// order of deploys (see orderCheck); "" checks no order. force deploys
	// older commits too.
	repoDir string
	force   bool
	// reporter, when set, is told about each deploy to an environment.
	reporter deploymentReporter
	// retryDelay overrides deploy.Request.RetryDelay (tests).
	retryDelay time.Duration
	// tmp holds the exported outputs; the caller removes it.
	tmp string
	// exportImage writes a component's image as an OCI tarball at path
	// (false when it has none); exportFiles writes its files into dir.
	// Both are the engine's exports, replaced in tests.
	exportImage func(ctx context.Context, name, path string) (bool, error)
	exportFiles func(ctx context.Context, name, dir string) error

	mu        sync.Mutex
	exported  map[string]*outputs
	published map[string]*publish.Result
}

// outputs are a component's build outputs on local disk.
type outputs struct {
	image string // OCI tarball; "" when there is none
	files []string
	// imageDone and filesDone say what was exported already.
	imageDone, filesDone bool
}

func newShipper(b *build.Builder, ws *manifest.Workspace) (*shipper, error) {
	tmp, err := os.MkdirTemp("", "monopipe-ship-")
	if err != nil {
		return nil, fmt.Errorf("ship: %w", err)
	}
	s := &shipper{b: b, ws: ws, tmp: tmp, exported: map[string]*outputs{}, published: map[string]*publish.Result{}}
	s.exportImage, s.exportFiles = s.engineImage, s.engineFiles
	return s, nil
}

// engineImage exports every platform's image of a component into one OCI
// tarball.
func (s *shipper) engineImage(ctx context.Context, name, path string) (bool, error) {
	p, err := s.b.Pipeline(ctx, name)
	if err != nil || len(p.Images) == 0 {
		return false, err
	}
	_, err = p.Images[0].Export(ctx, path, dagger.ContainerExportOpts{PlatformVariants: p.Images[1:]})
	return err == nil, err
}

// engineFiles exports a component's files.
func (s *shipper) engineFiles(ctx context.Context, name, dir string) error {
	p, err := s.b.Pipeline(ctx, name)
	if err != nil {
		return err
	}
	_, err = p.Files.Export(ctx, dir)
	return err
}

func (s *shipper) close() { os.RemoveAll(s.tmp) }

// steps are the publish and deploy steps.
func (s *shipper) steps() []run.Step {
	return []run.Step{{Name: StepPublish, Run: s.publish}, {Name: StepDeploy, Run: s.deploy}}
}

// targets says which outputs a publish section wants: the image, files.
func targets(cfg manifest.Publish) (image, files bool) {
	image = cfg.Image.Registry != "" || cfg.Image.ECR.Region != "" || cfg.Image.ECR.Endpoint != ""
	files = cfg.NPM.Registry != "" || cfg.PyPI.URL != "" || cfg.Generic.URL != "" || cfg.S3.Bucket != ""
	return image, files
}

func (s *shipper) publish(ctx context.Context, c plan.Component) (run.Outcome, error) {
	if ok, why := s.ship(c); !ok {
		return run.Outcome{Skipped: why}, nil
	}
	cfg, err := s.ws.Publish.Merge(c.Manifest.Publish)
	if s.env != "" {
		var t manifest.Target
		t, err = manifest.TargetFor(s.ws, c.Manifest, s.env)
		if err == nil && t.Skip {
			return run.Outcome{Skipped: "skips environment " + s.env}, nil
		}
		cfg = t.Publish
	}
	if err != nil {
		return run.Outcome{}, err
	}
	wantImage, wantFiles := targets(cfg)
	if !wantImage && !wantFiles {
		return run.Outcome{Skipped: "no publish target configured"}, nil
	}
	out, err := s.outputs(ctx, c.Name, wantImage, wantFiles)
	if err != nil {
		return run.Outcome{}, err
	}
	var log bytes.Buffer
	res, err := publish.Run(ctx, publish.Input{
		Component: c.Name, Config: cfg, Commit: s.commit, Branch: s.branch, BaseBranch: s.ws.BaseBranch,
		Version: s.version, Provenance: s.provenance, Outputs: classify(c.Kind, out), Secrets: s.secrets,
	}, s.dryRun, &log)
	if res != nil {
		s.mu.Lock()
		s.published[c.Name] = res
		s.mu.Unlock()
	}
	if err != nil {
		return run.Outcome{Output: log.String()}, err
	}
	if len(res.Plan) == 0 {
		return run.Outcome{Output: log.String(), Skipped: "the configured publish targets match none of the build's outputs"}, nil
	}
	return run.Outcome{Output: log.String(), Artifacts: res.Artifacts()}, nil
}

func (s *shipper) deploy(ctx context.Context, c plan.Component) (run.Outcome, error) {
	if ok, why := s.ship(c); !ok {
		return run.Outcome{Skipped: why}, nil
	}
	if s.noDeploy != "" {
		return run.Outcome{Skipped: s.noDeploy}, nil
	}
	var ts []manifest.Target
	var err error
	if s.env == "" {
		ts, err = manifest.Targets(s.ws, c.Manifest)
	} else {
		var t manifest.Target
		t, err = manifest.TargetFor(s.ws, c.Manifest, s.env)
		if err == nil && t.Skip {
			return run.Outcome{Skipped: fmt.Sprintf("skips environment %s", s.env)}, nil
		}
		ts = []manifest.Target{t}
	}
	if err != nil {
		return run.Outcome{}, err
	}
	if len(ts) == 0 {
		return run.Outcome{Skipped: "skips every environment"}, nil
	}
	var log bytes.Buffer
	var artifacts, skipped []string
	for _, t := range ts {
		a, why, err := s.deployTarget(ctx, c, t, &log)
		if err != nil {
			return run.Outcome{Output: log.String()}, err
		}
		if why != "" {
			skipped = append(skipped, why)
		}
		artifacts = append(artifacts, a...)
	}
	if len(skipped) == len(ts) { // none was due
		return run.Outcome{Output: log.String(), Skipped: strings.Join(skipped, "; ")}, nil
	}
	return run.Outcome{Output: log.String(), Artifacts: artifacts}, nil
}

// deployTarget deploys c to one target (an environment, or the one deploy
// section): it returns the artifacts, or why it did not deploy.
func (s *shipper) deployTarget(ctx context.Context, c plan.Component, t manifest.Target, log *bytes.Buffer) ([]string, string, error) {
	cfg := t.Deploy
	cfg.On = t.On
	in := deploy.Input{Component: c.Name, Config: cfg, When: s.when, Credentials: s.secrets.AWS, Env: t.Env, Account: t.Account,
		Manual: s.env != "", Commit: s.commit, RetryDelay: s.retryDelay}
	if s.repoDir != "" && s.commit != "" {
		in.Allow = orderCheck(s.repoDir, s.commit, s.force, log)
	}
	s.mu.Lock()
	pub := s.published[c.Name]
	s.mu.Unlock()
	if pub != nil {
		in.Image = pub.Image
		if len(pub.S3) > 0 { // the zip, when several files went to S3
			i := max(0, slices.IndexFunc(pub.S3, func(o publish.S3Object) bool { return strings.HasSuffix(o.Key, ".zip") }))
			in.S3Bucket, in.S3Key, in.S3SHA256 = pub.S3[i].Bucket, pub.S3[i].Key, pub.S3[i].SHA256
		}
	}
	if code := cfg.Lambda.Code; cfg.Lambda.Function != "" && (code == manifest.LambdaCodeZip || code == "" && in.Image == "" && in.S3Bucket == "") {
		out, err := s.outputs(ctx, c.Name, false, true)
		if err != nil {
			return nil, "", err
		}
		in.ZipFile = zipFile(out.files)
	}
	done := func(bool, string) {}
	if p, _, err := deploy.PlanFor(in); err == nil && p.Due && !s.dryRun && t.Env != "" {
		done = startDeployment(ctx, s.reporter, c.Name, t.Env, s.commit, log)
	}
	p, res, err := deploy.Run(ctx, in, s.dryRun, log)
	switch {
	case err != nil:
		done(false, err.Error())
		return nil, "", err
	case !p.Due:
		if t.Env != "" {
			return nil, t.Env + ": " + p.Reason, nil
		}
		return nil, p.Reason, nil
	case res == nil: // dry run
		return nil, "", nil
	}
	fmt.Fprintln(log, res.Message)
	done(true, resultLine(res, s.commit))
	a := "lambda " + res.Function + " " + res.CodeSHA256
	if t.Env != "" {
		a = t.Env + ": " + a
	}
	return []string{a}, "", nil
}

// outputs exports what is asked of a component's outputs, once each.
// Steps of one component run one after the other, so only the map needs
// the lock.
func (s *shipper) outputs(ctx context.Context, name string, image, files bool) (*outputs, error) {
	s.mu.Lock()
	out := s.exported[name]
	if out == nil {
		out = &outputs{}
		s.exported[name] = out
	}
	s.mu.Unlock()
	dir := filepath.Join(s.tmp, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("export outputs of %s: %w", name, err)
	}
	if image && !out.imageDone {
		path := filepath.Join(dir, "image.tar")
		ok, err := s.exportImage(ctx, name, path)
		if err != nil {
			return nil, fmt.Errorf("export image of %s: %w", name, err)
		}
		if ok {
			out.image = path
		}
		out.imageDone = true
	}
	if files && !out.filesDone {
		fdir := filepath.Join(dir, "files")
		err := s.exportFiles(ctx, name, fdir)
		if err == nil {
			out.files, err = listFiles(fdir)
		}
		if err != nil {
			return nil, fmt.Errorf("export files of %s: %w", name, err)
		}
		out.filesDone = true
	}
	return out, nil
}

// listFiles lists the regular files under dir, sorted.
func listFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return err
	})
	return files, err
}

// classify sorts a component's exported outputs into what publish takes:
// a node component's npm tarball, a python component's wheels and sdists,
// and every other file for the generic and S3 targets.
func classify(kind manifest.Kind, out *outputs) publish.Outputs {
	res := publish.Outputs{Image: out.image}
	for _, f := range out.files {
		switch {
		case kind == manifest.KindNode && strings.HasSuffix(f, ".tgz") && res.NPMPackage == "":
			res.NPMPackage = f
		case kind == manifest.KindPython && (strings.HasSuffix(f, ".whl") || strings.HasSuffix(f, ".tar.gz")):
			res.PythonDists = append(res.PythonDists, f)
		default:
			res.Files = append(res.Files, f)
		}
	}
	return res
}

// zipFile is the first .zip among files ("" when none): the code of an
// inline Lambda deploy.
func zipFile(files []string) string {
	i := slices.IndexFunc(files, func(f string) bool { return strings.HasSuffix(f, ".zip") })
	if i < 0 {
		return ""
	}
	return files[i]
}
