package job

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"dagger.io/dagger"

	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/publish"
)

// PromoteOptions say which published image gets which new tag.
type PromoteOptions struct {
	Component string
	// Version is the published release version, X.Y.Z (a leading "v" is
	// dropped).
	Version string
	// To is the new tag, one of publish.PromoteTags.
	To      string
	Secrets publish.Secrets
	// Log receives progress (default os.Stderr).
	Log io.Writer
}

// Promote gives the image published for a component's release version a
// new tag (stable, prod) by digest, without rebuilding: the registry
// settings come from the manifests in source. It returns what it did.
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
