package release

import (
	"fmt"

	"github.com/monopipe/monopipe/pipelines/detect"
	"github.com/monopipe/monopipe/pipelines/manifest"
)

// Release is everything the release pipeline needs to know about a tag.
type Release struct {
	Target
	// Commit is the commit id the tag points at: build, test and publish it.
	Commit string
	// Branch is the branch whose history holds Commit: the base branch or
	// a release branch.
	Branch string
	// Settings are the workspace's release defaults merged with the
	// component's own section.
	Settings manifest.Release
	Notes    Notes
}

// Deploy says whether the release deploys to production.
func (r *Release) Deploy() bool { return r.Settings.Deploy != nil && *r.Settings.Deploy }

// GitHubRelease says whether a GitHub release is created (default yes).
func (r *Release) GitHubRelease() bool {
	return r.Settings.GitHubRelease == nil || *r.Settings.GitHubRelease
}

// Name is the GitHub release title, e.g. "api 1.2.3".
func (r *Release) Name() string { return r.Component.Name + " " + r.Version.String() }

// PrepareFrom reads the manifests of the repository at dir as they are at
// tag, finds the component and version the tag names, checks the
// component's recorded version, checks that the tag is on the base branch
// or a release branch (see CheckReachable), and computes the release notes.
// defaultBranch is the repository's default branch as the CI host names it
// (GitHub's payload; "" when unknown), whose monopipe.yaml then says which
// branches a tag may be on. Every failure is an error that names the tag
// and what is wrong.
func PrepareFrom(dir, tag, defaultBranch string) (*Release, error) {
	r, err := detect.Open(dir)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	repo := r.Git()
	commit, err := tagCommit(repo, tag)
	if err != nil {
		return nil, err
	}
	tree, err := commit.Tree()
	if err != nil {
		return nil, fmt.Errorf("tag %s: read tree: %w", tag, err)
	}
	fsys := detect.TreeFS(tree)
	ws, comps, err := manifest.Load(fsys)
	if err != nil {
		return nil, fmt.Errorf("tag %s: %w", tag, err)
	}
	branch, err := CheckReachable(repo, tag, commit, ws.BaseBranch, defaultBranch)
	if err != nil {
		return nil, err
	}
	t, err := ParseTag(tag, comps)
	if err != nil {
		return nil, err
	}
	if err := CheckVersion(fsys, t); err != nil {
		return nil, err
	}
	settings, err := ws.Release.Merge(t.Component.Release)
	if err != nil {
		return nil, fmt.Errorf("tag %s: %w", tag, err)
	}
	notes, err := ReleaseNotes(repo, ws, t, comps)
	if err != nil {
		return nil, err
	}
	return &Release{Target: t, Commit: commit.Hash.String(), Branch: branch, Settings: settings, Notes: notes}, nil
}
