package job

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"dagger.io/dagger"

	"github.com/monopipe/monopipe/pipelines/manifest"
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
	out, err := promoteDir(ctx, dir, o)
	return out, Secrets{Publish: o.Secrets}.scrub(err)
}

func promoteDir(ctx context.Context, dir string, o PromoteOptions) (string, error) {
	ws, comps, err := manifest.Load(os.DirFS(dir))
	if err != nil {
		return "", err
	}
	var c *manifest.Component
	names := make([]string, 0, len(comps))
	for _, cc := range comps {
		names = append(names, cc.Name)
		if cc.Name == o.Component {
			c = cc
		}
	}
	if c == nil {
		slices.Sort(names)
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
