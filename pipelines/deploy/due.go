// Package deploy updates AWS Lambda functions with the code a component
// published: an image by digest, or a zip from S3 or inline. It skips the
// update when the function already runs that code, waits until an update is
// live, retries conflicts with an update in progress within a bounded time,
// and can publish a version and move an alias.
package deploy

import (
	"fmt"
	"slices"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

// DefaultOn is when components deploy unless their manifest says otherwise.
var DefaultOn = []string{manifest.DeployOnBase, manifest.DeployOnRelease}

// When describes the run: which branch, and whether it is a release.
type When struct {
	Branch, BaseBranch string
	Release            bool
}

// Due decides whether a component whose build, tests and publish succeeded
// deploys in this run, given its deploy.on list (empty means DefaultOn),
// and says why.
func Due(on []string, w When) (bool, string) {
	if len(on) == 0 {
		on = DefaultOn
	}
	switch {
	case w.Release && slices.Contains(on, manifest.DeployOnRelease):
		return true, "release build"
	case w.Branch != "" && w.Branch == w.BaseBranch && slices.Contains(on, manifest.DeployOnBase):
		return true, fmt.Sprintf("on the base branch %s", w.BaseBranch)
	case w.Branch != "" && w.Branch != w.BaseBranch && slices.Contains(on, manifest.DeployOnBranch):
		return true, fmt.Sprintf("on branch %s", w.Branch)
	}
	kind := "branch " + w.Branch
	switch {
	case w.Release:
		kind = "a release"
	case w.Branch == "":
		kind = "no branch"
	case w.Branch == w.BaseBranch:
		kind = "the base branch " + w.Branch
	}
	return false, fmt.Sprintf("deploy.on is %v and this run is on %s", on, kind)
}
