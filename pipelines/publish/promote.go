package publish

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/Masterminds/semver/v3"

	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/publish/oci"
)

// PromoteTags are the tags Promote may set.
var PromoteTags = []string{"stable", "prod"}

// Promote gives the image published as release version X.Y.Z of component
// the tag to (one of PromoteTags), by digest and without rebuilding, in the
// registry that c configures. It returns repository@digest.
func Promote(ctx context.Context, component string, c manifest.ImagePublish, version, to string, s Secrets, log io.Writer) (string, error) {
	v, err := semver.StrictNewVersion(version)
	if err != nil {
		return "", fmt.Errorf("promote %s: version %q: want X.Y.Z: %w", component, version, err)
	}
	if !slices.Contains(PromoteTags, to) {
		return "", fmt.Errorf("promote %s: tag %q: want one of %v", component, to, PromoteTags)
	}
	if c.Registry == "" && !useECR(c) {
		return "", fmt.Errorf("promote %s: no publish.image registry configured", component)
	}
	tgt, err := ImageTarget(ctx, component, c, s, log)
	if err != nil {
		return "", fmt.Errorf("promote %s: %w", component, err)
	}
	res, err := oci.Retag(ctx, tgt, v.String(), to, log)
	if err != nil {
		return "", fmt.Errorf("promote %s %s: %w", component, v, err)
	}
	return res.Ref, nil
}
