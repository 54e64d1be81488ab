package job

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"dagger.io/dagger"

	"github.com/monopipe/monopipe/pipelines/deploy"
	"github.com/monopipe/monopipe/pipelines/detect"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/publish"
)

// deploymentReporter is told about each deploy, promotion and rollback
// to an environment (a GitHub Deployment and its statuses, say). started
// returns an id that finished gets back; a reporter's failure never fails
// the deploy. A nil reporter reports nothing (see startDeployment).
type deploymentReporter interface {
	started(ctx context.Context, component, env, commit string) (id int64, err error)
	finished(ctx context.Context, id int64, ok bool, description string)
}

// startDeployment reports a deploy's start to r (nil: none) and returns
// the function that reports its end, exactly once.
func startDeployment(ctx context.Context, r deploymentReporter, component, env, commit string, log io.Writer) func(ok bool, description string) {
	if r == nil {
		return func(bool, string) {}
	}
	id, err := r.started(ctx, component, env, commit)
	if err != nil {
		fmt.Fprintf(log, "warning: report the deployment of %s to %s: %v\n", component, env, err)
		return func(bool, string) {}
	}
	return func(ok bool, description string) { r.finished(ctx, id, ok, description) }
}

// orderCheck is the ordering rule of deploys of commit next, decided in
// the repository in dir (see detect.Repo.Order): a commit that is an
// ancestor of the deployed one is refused, and so is one whose relation
// to the deployed commit cannot be known (not in this clone's history),
// unless force; diverged histories (two branches taking turns on a dev
// function) deploy with a note.
func orderCheck(dir, next string, force bool, log io.Writer) func(ctx context.Context, deployed string) error {
	return func(ctx context.Context, deployed string) error {
		repo, err := detect.Open(dir)
		if err != nil {
			return err
		}
		defer repo.Close()
		o, err := repo.Order(ctx, deployed, next)
		if err != nil {
			return err
		}
		var refuse string
		switch o {
		case detect.OrderOlder:
			refuse = fmt.Sprintf("refusing to deploy commit %s: the function runs commit %s, which is newer (%s is its ancestor)", detect.ShortID(next), detect.ShortID(deployed), detect.ShortID(next))
		case detect.OrderUnknown:
			refuse = fmt.Sprintf("refusing to deploy commit %s: the function runs commit %s, which is not in this clone's history (a shallow clone, another repository or a rewritten branch), so which is newer cannot be told; fetch the history", detect.ShortID(next), detect.ShortID(deployed))
		case detect.OrderDiverged:
			fmt.Fprintf(log, "note: commit %s and the deployed commit %s are on diverging branches: deploying\n", detect.ShortID(next), detect.ShortID(deployed))
		}
		switch {
		case refuse == "":
			return nil
		case force:
			fmt.Fprintf(log, "warning: --force: %s\n", strings.Replace(refuse, "refusing to deploy", "deploying", 1))
			return nil
		}
		return fmt.Errorf("%s; --force deploys it anyway", refuse)
	}
}

// envTarget resolves component's target in env among the manifests of
// p (an --all plan: the same discovery as planning, so git-ignored
// folders, nested repositories and submodules hold no components).
func envTarget(p *plan.Plan, component, env string) (manifest.Target, error) {
	c := p.Manifests[component]
	if c == nil {
		names := slices.Sorted(maps.Keys(p.Manifests))
		return manifest.Target{}, fmt.Errorf("no component %q (components: %s)", component, strings.Join(names, ", "))
	}
	t, err := manifest.TargetFor(p.Workspace, c, env)
	if err != nil {
		return manifest.Target{}, err
	}
	if t.Skip {
		return manifest.Target{}, fmt.Errorf("%s skips environment %s (%s: environments.%s.skip)", component, env, c.Path, env)
	}
	if t.Deploy.Lambda.Function == "" {
		return manifest.Target{}, fmt.Errorf("%s has no deploy.lambda.function in environment %s", component, env)
	}
	return t, nil
}

// PromoteEnvDir deploys to environment o.To exactly the artifact
// component runs in o.From (the image digest or S3 zip its function
// records), never rebuilding: the repository in dir gives the manifests
// and decides the order (the promoted commit is checked against what o.To
// runs). It returns what it did.
func PromoteEnvDir(ctx context.Context, dir string, o PromoteOptions) (string, error) {
	all, err := shipSecrets(ctx, &o.Secrets, o.GitHub, o.From, &o.reporter, logTo(o.Log))
	out := ""
	if err == nil {
		out, err = promoteEnv(ctx, dir, o)
	}
	return out, all.scrub(err)
}

// shipSecrets readies the secrets of a promotion or rollback: it
// exchanges a web identity token in *s for session credentials, sets *r
// (unless set) to gh's deployment reporter (from: where a promotion's
// artifact comes from), and returns every secret, to scrub errors with.
func shipSecrets(ctx context.Context, s *publish.Secrets, gh GitHubTarget, from string, r *deploymentReporter, log io.Writer) (Secrets, error) {
	all := Secrets{Publish: *s, GitHubToken: gh.Token}
	all.exchangeAWS(ctx, log)
	*s = all.Publish
	if *r != nil {
		return all, nil
	}
	var err error
	*r, err = gh.reporter(from, all.redactor(), log)
	return all, err
}

func promoteEnv(ctx context.Context, dir string, o PromoteOptions) (string, error) {
	log := logTo(o.Log)
	if o.From == o.To {
		return "", fmt.Errorf("promote %s: --from and --to are both %s", o.Component, o.To)
	}
	p, err := plan.Make(ctx, plan.Options{Dir: dir, All: true})
	if err != nil {
		return "", err
	}
	from, err := envTarget(p, o.Component, o.From)
	if err != nil {
		return "", fmt.Errorf("promote %s: %w", o.Component, err)
	}
	to, err := envTarget(p, o.Component, o.To)
	if err != nil {
		return "", fmt.Errorf("promote %s: %w", o.Component, err)
	}
	src, err := deploy.Client(ctx, from.Deploy.Lambda, o.Secrets.AWS, from.Account)
	if err != nil {
		return "", fmt.Errorf("promote %s: %s: %w", o.Component, o.From, err)
	}
	ran, err := deploy.ReadDeployed(ctx, src, from.Deploy.Lambda.Function)
	if err != nil {
		return "", fmt.Errorf("promote %s: %s: %w", o.Component, o.From, err)
	}
	code, err := ran.Artifact()
	if err != nil {
		return "", fmt.Errorf("promote %s: %s: lambda %s: %w", o.Component, o.From, from.Deploy.Lambda.Function, err)
	}
	if ran.Current.Commit == "" {
		return "", fmt.Errorf("promote %s: %s: lambda %s records no commit (tag %s): deploy it with monopipe first", o.Component, o.From, from.Deploy.Lambda.Function, deploy.TagCommit)
	}
	fmt.Fprintf(log, "promote %s: %s runs commit %s (%s)\n", o.Component, o.From, detect.ShortID(ran.Current.Commit), codeString(code))
	done := startDeployment(ctx, o.reporter, o.Component, o.To, ran.Current.Commit, log)
	res, err := deployTo(ctx, o.Component, o.Force, o.Secrets, o.retryDelay, dir, to, code, ran.Current.Commit, log)
	if err != nil {
		done(false, err.Error())
		return "", fmt.Errorf("promote %s: %w", o.Component, err)
	}
	msg := fmt.Sprintf("%s %s: promoted from %s: %s", o.Component, o.To, o.From, resultLine(res, ran.Current.Commit))
	done(true, msg)
	return msg + "\n", nil
}

// deployTo deploys code of commit to target t with the ordering check.
func deployTo(ctx context.Context, component string, force bool, secrets publish.Secrets, retryDelay time.Duration,
	dir string, t manifest.Target, code deploy.Code, commit string, log io.Writer) (*deploy.Result, error) {
	client, err := deploy.Client(ctx, t.Deploy.Lambda, secrets.AWS, t.Account)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.Env, err)
	}
	req := deploy.RequestFor(component, t.Env, t.Deploy.Lambda)
	req.Code, req.Commit, req.RetryDelay, req.Allow = code, commit, retryDelay, orderCheck(dir, commit, force, log)
	return deploy.Lambda(ctx, client, req, log)
}

// RollbackOptions say which component's environment goes back.
type RollbackOptions struct {
	Component string
	// Env is the environment (required).
	Env string
	// Secrets are the AWS credentials (zero: the AWS chain).
	Secrets publish.Secrets
	// GitHub, with a token, reports the rollback as a GitHub Deployment.
	GitHub GitHubTarget
	// Log receives progress (default os.Stderr).
	Log io.Writer

	// reporter, when set, is told about the rollback (tests; else the one
	// of GitHub).
	reporter deploymentReporter
	// retryDelay overrides deploy.Request.RetryDelay (tests).
	retryDelay time.Duration
}

// RollbackDir moves o.Env's function of o.Component back to the deploy
// before the last one that its tags record (see deploy.Rollback), with
// the manifests of the repository in dir. It returns what it did.
func RollbackDir(ctx context.Context, dir string, o RollbackOptions) (string, error) {
	all, err := shipSecrets(ctx, &o.Secrets, o.GitHub, "", &o.reporter, logTo(o.Log))
	out := ""
	if err == nil {
		out, err = rollback(ctx, dir, o)
	}
	return out, all.scrub(err)
}

func rollback(ctx context.Context, dir string, o RollbackOptions) (string, error) {
	log := logTo(o.Log)
	p, err := plan.Make(ctx, plan.Options{Dir: dir, All: true})
	if err != nil {
		return "", err
	}
	t, err := envTarget(p, o.Component, o.Env)
	if err != nil {
		return "", fmt.Errorf("rollback %s: %w", o.Component, err)
	}
	l := t.Deploy.Lambda
	client, err := deploy.Client(ctx, l, o.Secrets.AWS, t.Account)
	if err != nil {
		return "", fmt.Errorf("rollback %s: %s: %w", o.Component, o.Env, err)
	}
	before, err := deploy.ReadDeployed(ctx, client, l.Function)
	if err != nil {
		return "", fmt.Errorf("rollback %s: %s: %w", o.Component, o.Env, err)
	}
	done := startDeployment(ctx, o.reporter, o.Component, o.Env, before.Previous.Commit, log)
	req := deploy.RequestFor(o.Component, o.Env, l)
	req.RetryDelay = o.retryDelay
	res, err := deploy.Rollback(ctx, client, req, log)
	if err != nil {
		done(false, err.Error())
		return "", fmt.Errorf("rollback %s: %s: %w", o.Component, o.Env, err)
	}
	msg := fmt.Sprintf("%s %s: %s: %s", o.Component, o.Env, res.Message, resultLine(res, before.Previous.Commit))
	done(true, msg)
	return msg + "\n", nil
}

// resultLine says what a function runs after a deploy.
func resultLine(res *deploy.Result, commit string) string {
	s := fmt.Sprintf("lambda %s code sha256 %s, commit %s", res.Function, res.CodeSHA256, detect.ShortID(commit))
	if res.Version != "" {
		s += ", version " + res.Version
	}
	if res.Skipped {
		s += " (unchanged)"
	}
	return s
}

func codeString(c deploy.Code) string {
	switch {
	case c.ImageURI != "":
		return "image " + c.ImageURI
	case c.S3Bucket != "":
		return fmt.Sprintf("zip s3://%s/%s", c.S3Bucket, c.S3Key)
	}
	return "zip " + c.ZipFile
}

// Rollback is RollbackDir on the repository in source.
func Rollback(ctx context.Context, source *dagger.Directory, o RollbackOptions) (string, error) {
	dir, err := Checkout(ctx, source)
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	return RollbackDir(ctx, dir, o)
}
