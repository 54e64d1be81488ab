// Package release turns a tag into a release: which component and version
// it names, whether the component's recorded version agrees, and the notes
// (the commits that touched the component since its previous tag).
package release

import (
	"fmt"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/monopipe/monopipe/pipelines/manifest"
)

// Target is what a tag releases.
type Target struct {
	Tag       string
	Component *manifest.Component
	Version   *semver.Version
	// Prefix is the component's tag prefix ("api/v", or "v").
	Prefix string
}

// Prefix is the text before the version in c's release tags: its
// release.tagPrefix, or "<name>/v".
func Prefix(c *manifest.Component) string {
	if c.Release.TagPrefix != "" {
		return c.Release.TagPrefix
	}
	return c.Name + "/v"
}

// ParseTag finds the component and version a tag names among comps. The
// longest matching prefix wins, so "v" (a plain-tag component) never
// shadows "api/v".
func ParseTag(tag string, comps []*manifest.Component) (Target, error) {
	owner := map[string]*manifest.Component{}
	var best *manifest.Component
	for _, c := range comps {
		p := Prefix(c)
		if o, dup := owner[p]; dup {
			return Target{}, fmt.Errorf("tag prefix %q is claimed by both %s (%s) and %s (%s)", p, o.Name, o.Path, c.Name, c.Path)
		}
		owner[p] = c
		if strings.HasPrefix(tag, p) && (best == nil || len(p) > len(Prefix(best))) {
			best = c
		}
	}
	if best == nil {
		return Target{}, noComponent(tag, comps)
	}
	p := Prefix(best)
	raw := strings.TrimPrefix(tag, p)
	v, err := semver.StrictNewVersion(raw)
	if err != nil {
		return Target{}, fmt.Errorf("tag %s: %q is not a semantic version X.Y.Z (component %s, prefix %q): %w", tag, raw, best.Name, p, err)
	}
	return Target{Tag: tag, Component: best, Version: v, Prefix: p}, nil
}

func noComponent(tag string, comps []*manifest.Component) error {
	names := make([]string, len(comps))
	for i, c := range comps {
		names[i] = c.Name
	}
	sort.Strings(names)
	known := strings.Join(names, ", ")
	if name, _, ok := strings.Cut(tag, "/v"); ok {
		return fmt.Errorf("tag %s: no component %q, or none with tag prefix %q (components: %s)", tag, name, name+"/v", known)
	}
	if strings.HasPrefix(tag, "v") {
		return fmt.Errorf("tag %s: no component declares release.tagPrefix \"v\" for plain version tags (components: %s)", tag, known)
	}
	return fmt.Errorf("tag %s is not a release tag: want <component>/vX.Y.Z (components: %s)", tag, known)
}
