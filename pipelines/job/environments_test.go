package job

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/internal/mototest"
	"github.com/monopipe/monopipe/internal/ocitest"
	"github.com/monopipe/monopipe/pipelines/deploy"
	"github.com/monopipe/monopipe/pipelines/detect"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/publish"
	"github.com/monopipe/monopipe/pipelines/publish/oci"
	"github.com/monopipe/monopipe/pipelines/run"
)

// envWorld is moto (with RevisionId, see mototest.LambdaRevisions), a
// registry, a repository with dev, staging, prod and qa environments, and
// an image function per environment.
type envWorld struct {
	t       testing.TB
	repo    *gittest.Repo
	reg     *ocitest.Registry
	lambda  *lambda.Client
	secrets publish.Secrets
	// builds and exports count the build steps and image exports: a
	// promotion makes neither.
	builds, exports int
	// image is the OCI tarball the next build "produces".
	image string
}

func newEnvWorld(t testing.TB) *envWorld {
	endpoint := mototest.Start(t)
	role := mototest.CreateLambdaRole(t, endpoint, "lambda-exec")
	proxy := mototest.NewProxy(t, endpoint)
	proxy.Intercept(mototest.LambdaRevisions(endpoint))
	w := &envWorld{t: t, repo: gittest.New(t), reg: ocitest.NewRegistry(t, "ci", regPassword), lambda: lambda.NewFromConfig(mototest.Config(t, endpoint))}
	w.secrets = publish.Secrets{RegistryUsername: "ci", RegistryPassword: regPassword, AWS: mototest.Credentials}
	for _, env := range []string{"dev", "staging", "prod"} {
		_, err := w.lambda.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
			FunctionName: aws.String("api-" + env), Role: aws.String(role), PackageType: types.PackageTypeImage,
			Code: &types.FunctionCode{ImageUri: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:" + strings.Repeat("0", 64))},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	w.repo.Commit("init", map[string]string{
		"monopipe.yaml": `publish:
  image: {registry: ` + w.reg.Host + `, repository: "team/{name}"}
deploy:
  lambda: {region: us-east-1, endpoint: "` + proxy.URL + `", timeout: 1m}
environments:
  - name: dev
    on: [branch]
    publish: {image: {tagSuffix: "-dev"}}
    deploy: {lambda: {function: "{component}-dev"}}
  - name: staging
    on: [base]
    aws: {account: "123456789012"}
    deploy: {lambda: {function: "{component}-staging"}}
  - name: prod
    deploy: {lambda: {function: "{component}-prod", publishVersion: true, alias: live}}
  - name: qa
    aws: {account: "999999999999"}
    deploy: {lambda: {function: "{component}-staging"}}
`,
		"api/component.yaml": "name: api\nkind: go\n",
		"api/main.go":        "package main\n\nfunc main() {}\n",
		"lib/component.yaml": "name: lib\nkind: go\nenvironments:\n  prod: {skip: true}\n",
	})
	return w
}

// deployDev is the laptop loop after planning (deployLoop): a fake build,
// the shipper's publish with dev's settings, the update of api-dev.
func (w *envWorld) deployDev(force bool) *DeployReport {
	w.t.Helper()
	ctx := context.Background()
	p, err := plan.Make(ctx, plan.Options{Dir: w.repo.Dir, All: true, Components: []string{"api"}})
	if err != nil {
		w.t.Fatal(err)
	}
	sh, err := newShipper(nil, p.Workspace)
	if err != nil {
		w.t.Fatal(err)
	}
	defer sh.close()
	sh.repoDir, sh.retryDelay = w.repo.Dir, 10*time.Millisecond
	sh.exportImage = func(_ context.Context, name, path string) (bool, error) {
		w.exports++
		data, err := os.ReadFile(w.image)
		if err != nil {
			return false, err
		}
		return true, os.WriteFile(path, data, 0o644)
	}
	sh.exportFiles = func(context.Context, string, string) error { return nil }
	build := run.Step{Name: "build", Run: func(context.Context, plan.Component) (run.Outcome, error) { w.builds++; return run.Outcome{}, nil }}
	var log bytes.Buffer
	rep, err := deployLoop(ctx, p, sh, build, time.Now(), DeployOptions{Env: "dev", Force: force, Secrets: Secrets{Publish: w.secrets}, Log: &log})
	if err != nil {
		w.t.Fatal(err)
	}
	return rep
}

// newImage makes the next build's image and returns its digest.
func (w *envWorld) newImage() string {
	w.image = ocitest.RandomImage(w.t)
	img, err := oci.Load(w.image)
	if err != nil {
		w.t.Fatal(err)
	}
	defer img.Close()
	return img.Digest.String()
}

// runs checks what a function runs: image digest, recorded commit and
// environment; it returns its code hash.
func (w *envWorld) runs(function, digest, commit, env string) string {
	w.t.Helper()
	ctx := context.Background()
	fn, err := w.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: &function})
	if err != nil {
		w.t.Fatal(err)
	}
	want := w.reg.Host + "/team/api@" + digest
	if got := aws.ToString(fn.Code.ImageUri); got != want {
		w.t.Errorf("%s runs %s, want %s", function, got, want)
	}
	tags := fn.Tags
	if tags[deploy.TagCommit] != commit || tags[deploy.TagEnv] != env || tags[deploy.TagComponent] != "api" || tags[deploy.TagCode] != want {
		w.t.Errorf("%s tags %v, want commit %s, env %s, code %s", function, tags, commit, env, want)
	}
	return aws.ToString(fn.Configuration.CodeSha256)
}

// recorder is a deploymentReporter that remembers its calls.
type recorder struct{ calls []string }

func (r *recorder) started(_ context.Context, component, env, commit string) (int64, error) {
	r.calls = append(r.calls, "start "+component+" "+env+" "+detect.ShortID(commit))
	return int64(len(r.calls)), nil
}

func (r *recorder) finished(_ context.Context, id int64, ok bool, description string) {
	status := "failure"
	if ok {
		status = "success"
	}
	r.calls = append(r.calls, status+" "+description)
}

// TestEnvironments deploys to dev with the laptop loop, promotes to
// staging and prod by digest with no build in between, refuses an older
// commit and a commit missing from history unless forced, rolls back with
// code and with an alias, and checks the environment's account.
func TestEnvironments(t *testing.T) {
	w := newEnvWorld(t)
	ctx := context.Background()
	c1 := w.repo.Git("rev-parse", "HEAD")
	d1 := w.newImage()
	rep := w.deployDev(false)
	if rep.Err != nil || w.builds != 1 {
		t.Fatalf("deploy dev: %v (%d builds)\n%s", rep.Err, w.builds, rep.Summary())
	}
	devHash := w.runs("api-dev", d1, c1, "dev")
	if sum := rep.Summary(); !strings.Contains(sum, "dev: lambda api-dev "+devHash) || !strings.Contains(sum, "update ") {
		t.Errorf("summary lacks the new code hash or the phases:\n%s", sum)
	}
	if rep.Phases.Update == 0 || rep.Phases.Push == 0 || rep.Phases.Build == 0 {
		t.Errorf("phases %+v", rep.Phases)
	}
	w.reg.AssertTags(t, "team/api", mustHash(t, d1), c1[:7]+"-dev")

	rec := &recorder{}
	promote := func(from, to string, force bool) (string, error) {
		var log bytes.Buffer
		return PromoteDir(ctx, w.repo.Dir, PromoteOptions{Component: "api", From: from, To: to, Force: force, Secrets: w.secrets, Log: &log,
			reporter: rec, retryDelay: 10 * time.Millisecond})
	}
	for _, step := range [][2]string{{"dev", "staging"}, {"staging", "prod"}} {
		out, err := promote(step[0], step[1], false)
		if err != nil {
			t.Fatalf("promote %s to %s: %v", step[0], step[1], err)
		}
		if !strings.Contains(out, "promoted from "+step[0]) {
			t.Errorf("promote says %q", out)
		}
		if got := w.runs("api-"+step[1], d1, c1, step[1]); got != devHash {
			t.Errorf("%s code sha256 %s, dev's %s: not the same artifact", step[1], got, devHash)
		}
	}
	if w.builds != 1 || w.exports != 1 {
		t.Errorf("promotion built (%d builds, %d exports)", w.builds, w.exports)
	}
	alias, err := w.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("api-prod"), Name: aws.String("live")})
	if err != nil || aws.ToString(alias.FunctionVersion) != "1" {
		t.Fatalf("prod alias %v, %v", alias, err)
	}

	// A second commit goes through dev and staging.
	c2 := w.repo.Commit("two", map[string]string{"api/main.go": "package main\n\nfunc main() { println() }\n"})
	d2 := w.newImage()
	if rep := w.deployDev(false); rep.Err != nil {
		t.Fatal(rep.Err)
	}
	w.runs("api-dev", d2, c2, "dev")
	for _, step := range [][2]string{{"dev", "staging"}, {"staging", "prod"}} {
		if _, err := promote(step[0], step[1], false); err != nil {
			t.Fatal(err)
		}
		w.runs("api-"+step[1], d2, c2, step[1])
	}

	// dev goes back to c1 (forced: it is older), then promoting it over
	// staging's c2 is refused, and forced goes.
	w.repo.Git("checkout", "-q", c1)
	w.newImage() // the loop builds c1 again
	rep = w.deployDev(false)
	if rep.Err == nil || !strings.Contains(rep.Summary(), "refusing to deploy commit "+c1[:12]) {
		t.Fatalf("an older commit deployed to dev:\n%s", rep.Summary())
	}
	rep = w.deployDev(true)
	if rep.Err != nil {
		t.Fatal(rep.Err)
	}
	w.repo.Git("checkout", "-q", "main")
	dOld := mustDevDigest(t, w)
	_, err = promote("dev", "staging", false)
	if err == nil || !strings.Contains(err.Error(), "refusing to deploy commit "+c1[:12]+": the function runs commit "+c2[:12]+", which is newer") ||
		!strings.Contains(err.Error(), "--force") {
		t.Fatalf("promote of an older commit: %v", err)
	}
	w.runs("api-staging", d2, c2, "staging")
	if _, err := promote("dev", "staging", true); err != nil {
		t.Fatal(err)
	}
	w.runs("api-staging", dOld, c1, "staging")

	// Rollback: staging redeploys its previous image (c2); prod's alias
	// goes back to version 1 (c1).
	var log bytes.Buffer
	out, err := RollbackDir(ctx, w.repo.Dir, RollbackOptions{Component: "api", Env: "staging", Secrets: w.secrets, Log: &log, reporter: rec, retryDelay: 10 * time.Millisecond})
	if err != nil || !strings.Contains(out, "rolled back to commit "+detect.ShortID(c2)) {
		t.Fatalf("rollback staging: %q, %v", out, err)
	}
	w.runs("api-staging", d2, c2, "staging")
	out, err = RollbackDir(ctx, w.repo.Dir, RollbackOptions{Component: "api", Env: "prod", Secrets: w.secrets, Log: &log, reporter: rec})
	if err != nil || !strings.Contains(out, "alias live on version 1") {
		t.Fatalf("rollback prod: %q, %v", out, err)
	}
	alias, _ = w.lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("api-prod"), Name: aws.String("live")})
	if aws.ToString(alias.FunctionVersion) != "1" {
		t.Errorf("prod alias on %s after rollback", aws.ToString(alias.FunctionVersion))
	}
	fn, _ := w.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("api-prod")})
	if fn.Tags[deploy.TagCommit] != c1 || fn.Tags[deploy.TagVersion] != "1" || fn.Tags[deploy.TagPrevCommit] != c2 {
		t.Errorf("prod tags after rollback: %v", fn.Tags)
	}

	// A deployed commit this clone does not have: refused, forced goes.
	if _, err := w.lambda.TagResource(ctx, &lambda.TagResourceInput{Resource: fn.Configuration.FunctionArn,
		Tags: map[string]string{deploy.TagCommit: strings.Repeat("f", 40)}}); err != nil {
		t.Fatal(err)
	}
	_, err = promote("staging", "prod", false)
	if err == nil || !strings.Contains(err.Error(), "which is not in this clone's history") {
		t.Fatalf("unknown deployed commit: %v", err)
	}
	if _, err := promote("staging", "prod", true); err != nil {
		t.Fatal(err)
	}

	// The environment's account is checked before anything is read.
	_, err = promote("dev", "qa", false)
	if err == nil || !strings.Contains(err.Error(), "the credentials are for AWS account 123456789012, the environment's aws.account is 999999999999") {
		t.Errorf("qa: %v", err)
	}
	// lib skips prod.
	_, err = PromoteDir(ctx, w.repo.Dir, PromoteOptions{Component: "lib", From: "staging", To: "prod", Secrets: w.secrets})
	if err == nil || !strings.Contains(err.Error(), "lib skips environment prod (lib/component.yaml: environments.prod.skip)") {
		t.Errorf("lib to prod: %v", err)
	}

	want := []string{"start api staging " + detect.ShortID(c1), "success api staging: promoted from dev", "start api prod " + detect.ShortID(c1), "success api prod: promoted from staging"}
	for i, w := range want {
		if i >= len(rec.calls) || !strings.HasPrefix(rec.calls[i], w) {
			t.Errorf("reporter call %d: got %q, want %q...", i, rec.calls[min(i, len(rec.calls)-1)], w)
		}
	}
	if n := strings.Count(strings.Join(rec.calls, "\n"), "failure deploy api: lambda api-staging: refusing"); n != 1 {
		t.Errorf("the refused promotion is reported as failed %d times:\n%s", n, strings.Join(rec.calls, "\n"))
	}
	if strings.Contains(log.String(), regPassword) {
		t.Error("the log shows the registry password")
	}
}

func mustHash(t *testing.T, digest string) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(digest)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// mustDevDigest is the digest api-dev runs.
func mustDevDigest(t *testing.T, w *envWorld) string {
	t.Helper()
	fn, err := w.lambda.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("api-dev")})
	if err != nil {
		t.Fatal(err)
	}
	_, d, _ := strings.Cut(aws.ToString(fn.Code.ImageUri), "@")
	return d
}

// TestCIDeploysByEnvironmentOn ships a push to the base branch as CI
// does: staging (on: base) gets the build, dev (on: branch) and prod
// (manual) do not, and the commit is recorded.
func TestCIDeploysByEnvironmentOn(t *testing.T) {
	w := newEnvWorld(t)
	ctx := context.Background()
	head := w.repo.Git("rev-parse", "HEAD")
	digest := w.newImage()
	p, err := plan.Make(ctx, plan.Options{Dir: w.repo.Dir, All: true, Components: []string{"api"}})
	if err != nil {
		t.Fatal(err)
	}
	sh, err := newShipper(nil, p.Workspace)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.close()
	sh.exportImage = func(_ context.Context, _, path string) (bool, error) {
		data, err := os.ReadFile(w.image)
		if err != nil {
			return false, err
		}
		return true, os.WriteFile(path, data, 0o644)
	}
	when := deploy.When{Branch: "main", BaseBranch: "main"}
	sh.ship = func(c plan.Component) (bool, string) {
		if due, _ := deploy.Due(deployOn(p.Workspace, c.Manifest), when); !due {
			return false, "not due"
		}
		return true, ""
	}
	sh.commit, sh.branch, sh.when, sh.secrets, sh.repoDir = head, "main", when, w.secrets, w.repo.Dir
	res, _ := run.Run(ctx, p.Components, run.Options{Steps: sh.steps()})
	api := res.Components[0]
	if api.Status != "success" || len(api.Artifacts) != 2 || !strings.HasPrefix(api.Artifacts[1], "staging: lambda api-staging ") {
		t.Fatalf("api: %s, artifacts %v\n%s", api.Status, api.Artifacts, api.Log)
	}
	for _, want := range []string{"api in dev: no deploy: deploy.on is [branch] and this run is on the base branch main", "api in prod: no deploy: deploy.on is [manual]"} {
		if !strings.Contains(api.Log, want) {
			t.Errorf("log lacks %q:\n%s", want, api.Log)
		}
	}
	w.runs("api-staging", digest, head, "staging")
	for _, fn := range []string{"api-dev", "api-prod"} {
		out, err := w.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
		if err != nil || out.Tags[deploy.TagCommit] != "" {
			t.Errorf("%s was deployed: %v %v", fn, out.Tags, err)
		}
	}
}

// BenchmarkDeployLoop is the engine-free part of the laptop loop, per
// one-line change: plan, a build that costs nothing, the push of a new
// image to the in-process registry, the ordering check in the repository's
// history and the update of the dev function in moto, with the record.
func BenchmarkDeployLoop(b *testing.B) {
	w := newEnvWorld(b)
	for b.Loop() {
		b.StopTimer()
		w.newImage()
		b.StartTimer()
		if rep := w.deployDev(false); rep.Err != nil {
			b.Fatal(rep.Err)
		}
	}
}

// TestOrderCheck is the ordering rule over a real history: older and
// unknown commits are refused unless forced, diverged ones deploy with a
// note.
func TestOrderCheck(t *testing.T) {
	r := gittest.New(t)
	c1 := r.Commit("one", map[string]string{"a": "1"})
	c2 := r.Commit("two", map[string]string{"a": "2"})
	r.Git("checkout", "-q", "-b", "side", c1)
	side := r.Commit("side", map[string]string{"b": "1"})
	missing := strings.Repeat("e", 40)
	for _, tc := range []struct {
		name, deployed, next string
		force                bool
		wantErr, wantLog     string
	}{
		{name: "newer", deployed: c1, next: c2},
		{name: "same", deployed: c2, next: c2},
		{name: "older", deployed: c2, next: c1, wantErr: "refusing to deploy commit " + detect.ShortID(c1) + ": the function runs commit " + detect.ShortID(c2) + ", which is newer (" + detect.ShortID(c1) + " is its ancestor); --force deploys it anyway"},
		{name: "older, forced", deployed: c2, next: c1, force: true, wantLog: "warning: --force: deploying commit " + detect.ShortID(c1)},
		{name: "unknown", deployed: missing, next: c2, wantErr: "which is not in this clone's history"},
		{name: "unknown, forced", deployed: missing, next: c2, force: true, wantLog: "warning: --force: deploying commit"},
		{name: "diverged", deployed: side, next: c2, wantLog: "are on diverging branches: deploying"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			err := orderCheck(r.Dir, tc.next, tc.force, &log)(context.Background(), tc.deployed)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("err %v, want %q", err, tc.wantErr)
			}
			if !strings.Contains(log.String(), tc.wantLog) || tc.wantLog == "" && log.Len() > 0 {
				t.Errorf("log %q, want %q", log.String(), tc.wantLog)
			}
		})
	}
}
