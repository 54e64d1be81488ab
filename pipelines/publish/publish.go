// Package publish ships a component's build outputs to every target its
// merged publish section configures: the image to an OCI registry (ECR
// included), the npm tarball, Python dists, and files over HTTP and to S3.
// Every target is idempotent, so re-running after a partial failure
// finishes the job; a dry run returns the plan and changes nothing.
package publish

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/monopipe/monopipe/pipelines/awsconf"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/publish/ecr"
	"github.com/monopipe/monopipe/pipelines/publish/generic"
	"github.com/monopipe/monopipe/pipelines/publish/npm"
	"github.com/monopipe/monopipe/pipelines/publish/oci"
	"github.com/monopipe/monopipe/pipelines/publish/pypi"
	"github.com/monopipe/monopipe/pipelines/publish/s3put"
)

// Outputs are the build's files that can be published.
type Outputs struct {
	// Image is an OCI tarball or layout folder (Dagger's Container.Export).
	Image string
	// NPMPackage is an npm pack tarball.
	NPMPackage string
	// PythonDists are wheels and sdists.
	PythonDists []string
	// Files go to the generic HTTP target and to S3 (a Lambda zip, say).
	Files []string
}

// Secrets are the credentials, handed in as values (from CI secrets). They
// never appear in output or errors; String hides them.
type Secrets struct {
	RegistryUsername, RegistryPassword string
	NPMToken                           string
	PyPIUsername, PyPIPassword         string
	// HTTPToken (Bearer) or HTTPUsername/HTTPPassword (basic) authenticate
	// generic uploads.
	HTTPToken, HTTPUsername, HTTPPassword string
	// AWS are the AWS credentials (static keys, a session token, or an OIDC
	// token for a role); zero means the standard AWS chain.
	AWS awsconf.Credentials
}

// String names which secrets are set, never their values.
func (s Secrets) String() string {
	var set []string
	for _, v := range []struct{ name, value string }{{"registry", s.RegistryPassword}, {"npm", s.NPMToken},
		{"pypi", s.PyPIPassword}, {"http", s.HTTPToken + s.HTTPPassword}, {"aws", s.AWS.SecretAccessKey + s.AWS.WebIdentityToken}} {
		if v.value != "" {
			set = append(set, v.name)
		}
	}
	return fmt.Sprintf("secrets%v", set)
}

// GoString is String.
func (s Secrets) GoString() string { return s.String() }

// Input is one component's publish.
type Input struct {
	Component string
	// Config is the workspace's publish section merged with the
	// component's.
	Config manifest.Publish
	// Commit is the full commit id; Branch and BaseBranch decide the
	// branch tag.
	Commit, Branch, BaseBranch string
	// Version is the release version; "" when this is not a release.
	Version string
	// Provenance is recorded on the image (OCI annotations and labels:
	// source, revision, created); zero records nothing.
	Provenance oci.Provenance
	Outputs    Outputs
	Secrets    Secrets
	// HTTPClient is used for package and file uploads (nil: default).
	HTTPClient *http.Client
}

// Step is one thing to push somewhere, as a dry run shows it.
type Step struct {
	// Kind is image, npm, pypi, generic or s3.
	Kind string `json:"kind"`
	// Source is the local file or folder.
	Source string `json:"source"`
	// Target is where it goes: repository, registry URL, upload URL, S3 URI.
	Target string `json:"target"`
	// Detail says what: the image digest and tags, the package version, the
	// file's sha256.
	Detail string `json:"detail"`
}

func (s Step) String() string {
	return fmt.Sprintf("%-7s %s -> %s (%s)", s.Kind, s.Source, s.Target, s.Detail)
}

// Published is a step that ran.
type Published struct {
	Step
	// Ref names what is published: repository@digest, name@version, URL or
	// S3 URI.
	Ref string `json:"ref"`
	// Changed is false when the target already had it.
	Changed bool `json:"changed"`
}

// S3Object is a file published to S3, for a Lambda deploy from S3.
type S3Object struct {
	Bucket, Key, SHA256 string
}

// Result is a component's publish.
type Result struct {
	DryRun bool `json:"dryRun"`
	// Plan lists every step, in order.
	Plan []Step `json:"plan"`
	// Published lists the steps that ran (none on a dry run).
	Published []Published `json:"published"`
	// Image is the image as repository@digest ("" when none), known on a
	// dry run too.
	Image string `json:"image,omitempty"`
	// S3 lists the S3 objects, known on a dry run too.
	S3 []S3Object `json:"s3,omitempty"`
}

// Artifacts are the published references, for the run report.
func (r *Result) Artifacts() []string {
	out := make([]string, 0, len(r.Published))
	for _, p := range r.Published {
		out = append(out, p.Ref)
	}
	return out
}

// job is a step and how to run it.
type job struct {
	Step
	run func(ctx context.Context, log io.Writer) (Published, error)
}

// Run publishes in. With dryRun it only plans: it reads the local outputs
// (image digest, package versions, file hashes) and makes no request.
// Steps run in order and stop at the first failure; the result lists what
// was published before it.
func Run(ctx context.Context, in Input, dryRun bool, log io.Writer) (*Result, error) {
	p := &planner{in: in, res: &Result{DryRun: dryRun}}
	defer p.close()
	if err := p.plan(); err != nil {
		return nil, fmt.Errorf("publish %s: %w", in.Component, err)
	}
	for _, j := range p.jobs {
		p.res.Plan = append(p.res.Plan, j.Step)
		if dryRun {
			fmt.Fprintf(log, "dry run: would publish %s\n", j.Step)
		}
	}
	if dryRun {
		return p.res, nil
	}
	for _, j := range p.jobs {
		pub, err := j.run(ctx, log)
		if err != nil {
			return p.res, fmt.Errorf("publish %s: %w", in.Component, err)
		}
		pub.Step = j.Step
		p.res.Published = append(p.res.Published, pub)
	}
	return p.res, nil
}

type planner struct {
	in      Input
	res     *Result
	jobs    []job
	closers []func()
}

func (p *planner) close() {
	for _, c := range p.closers {
		c()
	}
}

func (p *planner) add(step Step, run func(ctx context.Context, log io.Writer) (Published, error)) {
	p.jobs = append(p.jobs, job{Step: step, run: run})
}

func (p *planner) plan() error {
	cfg := p.in.Config
	if err := cfg.Validate(); err != nil {
		return err
	}
	out := p.in.Outputs
	if out.Image != "" && (cfg.Image.Registry != "" || useECR(cfg.Image)) {
		if err := p.planImage(); err != nil {
			return err
		}
	}
	if out.NPMPackage != "" && cfg.NPM.Registry != "" {
		if err := p.planNPM(); err != nil {
			return err
		}
	}
	if cfg.PyPI.URL != "" {
		for _, f := range out.PythonDists {
			if err := p.planPyPI(f); err != nil {
				return err
			}
		}
	}
	for _, f := range out.Files {
		if err := p.planFile(f); err != nil {
			return err
		}
	}
	return nil
}

// version is the release version, or the short commit off releases.
func (p *planner) version() string {
	if p.in.Version != "" {
		return strings.TrimPrefix(p.in.Version, "v")
	}
	if len(p.in.Commit) >= 7 {
		return p.in.Commit[:7]
	}
	return p.in.Commit
}

// expand fills a URL or key template.
func (p *planner) expand(tmpl, file, sha string) string {
	return strings.NewReplacer("{name}", p.in.Component, "{version}", p.version(), "{file}", filepath.Base(file),
		"{sha}", sha, "{commit}", p.in.Commit, "{branch}", oci.SanitizeTag(p.in.Branch)).Replace(tmpl)
}

func useECR(c manifest.ImagePublish) bool {
	_, _, isECR := ecr.ParseHost(c.Registry)
	return isECR || c.ECR.Region != "" || c.ECR.Endpoint != ""
}

func (p *planner) planImage() error {
	c := p.in.Config.Image
	img, err := oci.Load(p.in.Outputs.Image)
	if err != nil {
		return err
	}
	p.closers = append(p.closers, img.Close)
	if err := img.Annotate(p.in.Provenance); err != nil {
		return err
	}
	tags, err := oci.Tags(oci.TagInput{Commit: p.in.Commit, Branch: p.in.Branch, BaseBranch: p.in.BaseBranch,
		Version: p.in.Version, SemverAliases: c.SemverAliases, Latest: c.Latest, Suffix: c.TagSuffix})
	if err != nil {
		return err
	}
	repoPath := RepositoryPath(p.in.Component, c)
	registry := c.Registry
	if registry == "" {
		registry = "<ECR registry>"
	}
	names := make([]string, len(tags))
	for i, t := range tags {
		names[i] = t.Name
	}
	p.res.Image = registry + "/" + repoPath + "@" + img.Digest.String()
	step := Step{Kind: "image", Source: p.in.Outputs.Image, Target: registry + "/" + repoPath,
		Detail: img.Digest.String() + " tags " + strings.Join(names, ",")}
	p.add(step, func(ctx context.Context, log io.Writer) (Published, error) {
		tgt, err := ImageTarget(ctx, p.in.Component, c, p.in.Secrets, log)
		if err != nil {
			return Published{}, err
		}
		res, err := oci.Push(ctx, img, tgt, tags, log)
		if err != nil {
			return Published{}, err
		}
		p.res.Image = res.Ref
		fmt.Fprintf(log, "image %s (tags %s)\n", res.Ref, strings.Join(res.Tags, ", "))
		if len(res.Kept) > 0 {
			fmt.Fprintf(log, "image %s: %s left on a newer release (aliases move only forward)\n", res.Ref, strings.Join(res.Kept, ", "))
		}
		return Published{Ref: res.Ref, Changed: len(res.Changed) > 0}, nil
	})
	return nil
}

// RepositoryPath is component's image path in the registry: c.Repository
// with {name} replaced, default the component name.
func RepositoryPath(component string, c manifest.ImagePublish) string {
	repoPath := c.Repository
	if repoPath == "" {
		repoPath = "{name}"
	}
	return strings.ReplaceAll(repoPath, "{name}", component)
}

// ImageTarget is where component's image goes: the configured registry
// with the registry login from secrets or, for ECR, from
// GetAuthorizationToken (creating the repository when configured).
func ImageTarget(ctx context.Context, component string, c manifest.ImagePublish, s Secrets, log io.Writer) (oci.Target, error) {
	repoPath := RepositoryPath(component, c)
	tgt := oci.Target{Repository: c.Registry + "/" + repoPath, Insecure: c.Insecure}
	if s.RegistryPassword != "" {
		tgt.Auth = &authn.Basic{Username: s.RegistryUsername, Password: s.RegistryPassword}
	}
	if useECR(c) {
		host, auth, err := ecrLogin(ctx, c, s.AWS, repoPath, log)
		if err != nil {
			return oci.Target{}, err
		}
		if c.Registry == "" {
			tgt.Repository = host + "/" + repoPath
		}
		tgt.Auth = auth
	}
	return tgt, nil
}

// ecrLogin gets registry credentials from ECR and makes sure the
// repository exists.
func ecrLogin(ctx context.Context, c manifest.ImagePublish, creds awsconf.Credentials, repoPath string, log io.Writer) (string, *authn.Basic, error) {
	region := c.ECR.Region
	if _, r, ok := ecr.ParseHost(c.Registry); ok && region == "" {
		region = r
	}
	cfg, err := awsconf.Load(ctx, awsconf.Options{Region: region, Endpoint: c.ECR.Endpoint, Credentials: creds, RoleARN: c.ECR.RoleARN})
	if err != nil {
		return "", nil, err
	}
	host, auth, err := ecr.Login(ctx, cfg)
	if err != nil {
		return "", nil, err
	}
	created, err := ecr.EnsureRepository(ctx, cfg, c.ECR.RegistryID, repoPath, c.ECR.CreateRepository)
	if err != nil {
		return "", nil, err
	}
	if created {
		fmt.Fprintf(log, "ECR: created repository %s\n", repoPath)
	}
	return host, auth, nil
}

func (p *planner) planNPM() error {
	c := p.in.Config.NPM
	pkg, err := npm.ReadPackage(p.in.Outputs.NPMPackage)
	if err != nil {
		return err
	}
	tag := c.Tag
	if tag == "" {
		tag = "latest"
	}
	step := Step{Kind: "npm", Source: p.in.Outputs.NPMPackage, Target: c.Registry, Detail: pkg.Name + "@" + pkg.Version + " dist-tag " + tag}
	p.add(step, func(ctx context.Context, log io.Writer) (Published, error) {
		res, err := npm.Publish(ctx, npm.Registry{URL: c.Registry, Token: p.in.Secrets.NPMToken, Client: p.in.HTTPClient}, pkg, tag, log)
		if err != nil {
			return Published{}, err
		}
		return Published{Ref: res.ID, Changed: res.Changed}, nil
	})
	return nil
}

func (p *planner) planPyPI(file string) error {
	c := p.in.Config.PyPI
	d, err := pypi.ReadDist(file)
	if err != nil {
		return err
	}
	step := Step{Kind: "pypi", Source: file, Target: c.URL, Detail: d.Name + " " + d.Version + " sha256 " + d.SHA256}
	p.add(step, func(ctx context.Context, log io.Writer) (Published, error) {
		idx := pypi.Index{UploadURL: c.URL, SimpleURL: c.SimpleURL, Username: p.in.Secrets.PyPIUsername, Password: p.in.Secrets.PyPIPassword, Client: p.in.HTTPClient}
		if idx.Username == "" {
			idx.Username = "__token__"
		}
		res, err := pypi.Upload(ctx, idx, d, log)
		if err != nil {
			return Published{}, err
		}
		return Published{Ref: d.Name + "==" + d.Version + " " + res.File, Changed: res.Changed}, nil
	})
	return nil
}

func (p *planner) planFile(file string) error {
	c := p.in.Config
	if c.Generic.URL == "" && c.S3.Bucket == "" {
		return nil
	}
	sha, err := s3put.FileSHA256(file)
	if err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	if g := c.Generic; g.URL != "" {
		tgt := generic.Target{URL: p.expand(g.URL, file, sha), Method: strings.ToUpper(g.Method), Overwrite: g.Overwrite,
			Token: p.in.Secrets.HTTPToken, Username: p.in.Secrets.HTTPUsername, Password: p.in.Secrets.HTTPPassword, Client: p.in.HTTPClient}
		switch {
		case g.CheckURL != "":
			tgt.CheckURL = p.expand(g.CheckURL, file, sha)
		case tgt.Method != http.MethodPost:
			tgt.CheckURL = tgt.URL
		}
		p.add(Step{Kind: "generic", Source: file, Target: tgt.URL, Detail: "sha256 " + sha}, func(ctx context.Context, log io.Writer) (Published, error) {
			res, err := generic.Upload(ctx, file, tgt, log)
			if err != nil {
				return Published{}, err
			}
			return Published{Ref: res.URL, Changed: res.Changed}, nil
		})
	}
	if s := c.S3; s.Bucket != "" {
		key := s.Key
		if key == "" {
			key = "{name}/{version}/{file}"
		}
		obj := s3put.Object{Bucket: s.Bucket, Key: p.expand(key, file, sha), Overwrite: s.Overwrite}
		p.res.S3 = append(p.res.S3, S3Object{Bucket: obj.Bucket, Key: obj.Key, SHA256: sha})
		p.add(Step{Kind: "s3", Source: file, Target: obj.URI(), Detail: "sha256 " + sha}, func(ctx context.Context, log io.Writer) (Published, error) {
			cfg, err := awsconf.Load(ctx, awsconf.Options{Region: s.Region, Endpoint: s.Endpoint, Credentials: p.in.Secrets.AWS, RoleARN: s.RoleARN})
			if err != nil {
				return Published{}, err
			}
			res, err := s3put.Upload(ctx, s3put.NewClient(cfg), file, obj, log)
			if err != nil {
				return Published{}, err
			}
			return Published{Ref: res.URI, Changed: res.Changed}, nil
		})
	}
	return nil
}
