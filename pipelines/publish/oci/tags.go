package oci

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

// Tag is one tag to set on the pushed image.
type Tag struct {
	Name string
	// Immutable tags (release versions X.Y.Z) are never moved: an existing
	// tag on another digest is an error.
	Immutable bool
	// Alias, on a semver alias (X.Y, X) or a release's "latest", is the
	// release version it would point at: the tag moves only when no
	// released version it covers is newer (see Covers), so a backport
	// never takes it back.
	Alias *semver.Version
}

// Covers says whether the alias tag stands for release v: "latest" for
// every release, "X" for X.*.*, "X.Y" for X.Y.*. Pre-releases are covered
// by none.
func Covers(alias string, v *semver.Version) bool {
	if v.Prerelease() != "" {
		return false
	}
	if alias == "latest" {
		return true
	}
	major, minor, hasMinor := strings.Cut(alias, ".")
	if major != fmt.Sprint(v.Major()) {
		return false
	}
	return !hasMinor || minor == fmt.Sprint(v.Minor())
}

// TagInput says what is being published.
type TagInput struct {
	// Commit is the full or short commit id; its first 7 characters are
	// always a tag.
	Commit string
	// Branch and BaseBranch: a branch other than the base gets a sanitised
	// branch tag.
	Branch, BaseBranch string
	// Version is the release version (X.Y.Z, an optional "v" prefix is
	// dropped); empty when this is not a release.
	Version string
	// SemverAliases adds X.Y and X to a release that is not a pre-release.
	SemverAliases bool
	// Latest is manifest.ImagePublish.Latest.
	Latest string
	// Suffix is appended to the commit and branch tags
	// (manifest.ImagePublish.TagSuffix), e.g. "-dev".
	Suffix string
}

// Tags computes the tags for one push: the short commit always, the
// sanitised branch off the base branch, the version (and aliases) on a
// release, and "latest" where configured (never for a pre-release).
func Tags(in TagInput) ([]Tag, error) {
	if len(in.Commit) < 7 {
		return nil, fmt.Errorf("image tags: commit id %q is too short", in.Commit)
	}
	tags := []Tag{{Name: in.Commit[:7] + in.Suffix}}
	onBase := in.Branch == in.BaseBranch
	if in.Branch != "" && !onBase {
		if b := SanitizeTag(in.Branch); b != "" {
			tags = append(tags, Tag{Name: b[:min(len(b), 128-len(in.Suffix))] + in.Suffix})
		}
	}
	var v *semver.Version
	if in.Version != "" {
		var err error
		if v, err = semver.StrictNewVersion(strings.TrimPrefix(in.Version, "v")); err != nil {
			return nil, fmt.Errorf("image tags: release version %q: %w", in.Version, err)
		}
		tags = append(tags, Tag{Name: v.String(), Immutable: true})
		if in.SemverAliases && v.Prerelease() == "" {
			tags = append(tags, Tag{Name: fmt.Sprintf("%d.%d", v.Major(), v.Minor()), Alias: v}, Tag{Name: fmt.Sprint(v.Major()), Alias: v})
		}
	}
	switch {
	case in.Latest == manifest.LatestBase && onBase && v == nil:
		tags = append(tags, Tag{Name: "latest"})
	case in.Latest == manifest.LatestRelease && v != nil && v.Prerelease() == "":
		tags = append(tags, Tag{Name: "latest", Alias: v})
	}
	return tags, nil
}

var badTagChars = regexp.MustCompile(`[^a-z0-9_.-]+`)

// SanitizeTag turns a branch name into a valid tag: lower case, runs of
// other characters become "-", no leading "." or "-", at most 128 bytes.
func SanitizeTag(s string) string {
	s = badTagChars.ReplaceAllString(strings.ToLower(s), "-")
	s = strings.TrimLeft(s, ".-")
	if len(s) > 128 {
		s = s[:128]
	}
	return strings.TrimRight(s, ".-")
}
