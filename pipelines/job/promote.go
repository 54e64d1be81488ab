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

	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/publish"
)

// PromoteOptions say what to promote: with From, the artifact one
// environment runs to another (PromoteEnvDir); else the published image
// of a release version to a new tag.
type PromoteOptions struct {
	Component string
	// Version is the published release version, X.Y.Z (a leading "v" is
	// dropped); for a retag.
	Version string
	// From is the environment whose artifact is promoted.
	From string
	// To is the environment promoted to (with From), else the new tag, one
	// of publish.PromoteTags.
	To string
	// Force promotes even an older commit than the one To runs, or one
	// whose order cannot be told (see orderCheck).
	Force   bool
	Secrets publish.Secrets
	// GitHub, with a token, reports a promotion (With From) as a GitHub
	// Deployment.
	GitHub GitHubTarget
	// Log receives progress (default os.Stderr).
	Log io.Writer

	// reporter, when set, is told about the deployment (tests; else the
	// one of GitHub).
	reporter deploymentReporter
	// retryDelay overrides deploy.Request.RetryDelay (tests).
	retryDelay time.Duration
}

// Promote gives the image published for a component's release version a
// new tag (stable, prod) by digest, or with o.From deploys the artifact
// one environment runs to another, without rebuilding: the settings come
// from the manifests in source. It returns what it did.
func Promote(ctx context.Context, source *dagger.Directory, o PromoteOptions) (string, error) {
	dir, err := Checkout(ctx, source)
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	return PromoteDir(ctx, dir, o)
}

// PromoteDir is Promote on a repository on local disk.
func PromoteDir(ctx context.Context, dir string, o PromoteOptions) (string, error) {
	if o.From != "" {
		return PromoteEnvDir(ctx, dir, o)
	}
	if o.Version == "" {
		return "", fmt.Errorf("promote %s: give --version (a retag to %s) or --from (an environment)", o.Component, o.To)
	}
	all := Secrets{Publish: o.Secrets}
	all.exchangeAWS(ctx, logTo(o.Log))
	o.Secrets = all.Publish
	out, err := promoteDir(ctx, dir, o)
	return out, all.scrub(err)
}

func promoteDir(ctx context.Context, dir string, o PromoteOptions) (string, error) {
	// The same discovery as planning: git-ignored folders, nested
	// repositories and submodules hold no components.
	p, err := plan.Make(ctx, plan.Options{Dir: dir, All: true})
	if err != nil {
		return "", err
	}
	ws, c := p.Workspace, p.Manifests[o.Component]
	if c == nil {
		names := slices.Sorted(maps.Keys(p.Manifests))
		return "", fmt.Errorf("promote: no component %q (components: %s)", o.Component, strings.Join(names, ", "))
	}
	cfg, err := ws.Publish.Merge(c.Publish)
	if err != nil {
		return "", err
	}
	version := strings.TrimPrefix(o.Version, "v")
	ref, err := publish.Promote(ctx, c.Name, cfg.Image, version, o.To, o.Secrets, logTo(o.Log))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %s promoted to %s: %s\n", c.Name, version, o.To, ref), nil
}
