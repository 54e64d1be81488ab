package trigger

import (
	"fmt"

	"github.com/monopipe/monopipe/pipelines/detect"
)

// Action is what a run does.
type Action string

// The actions Decide chooses between.
const (
	// ActionNone: nothing to build (a deletion, a closed pull request).
	ActionNone Action = "none"
	// ActionBuild: build and test what changed between Base and Head.
	ActionBuild Action = "build"
	// ActionRelease: release the component the tag names.
	ActionRelease Action = "release"
)

// Decision is what a run must do.
type Decision struct {
	Action Action `json:"action"`
	// Base and Head are the revisions change detection compares; it
	// compares head with the merge-base of Base and Head (git diff
	// base...head), which for a push is Base itself. Base may be
	// detect.ZeroID (a new branch) or "" (no base known): detection then
	// picks its default.
	Base string `json:"base,omitempty"`
	Head string `json:"head,omitempty"`
	// Tag is the tag to release (ActionRelease).
	Tag string `json:"tag,omitempty"`
	// Publish and Deploy are true for a push or manual run on the base
	// branch and for a release (whose settings then say whether it
	// deploys); never for forks.
	Publish bool `json:"publish"`
	Deploy  bool `json:"deploy"`
	// Secrets is false for forks: use no token, registry or cloud
	// credentials, and post no statuses or comments.
	Secrets bool `json:"secrets"`
	// Trusted is true for the runs whose sources were reviewed into the
	// repository: a push or manual run on the base branch, and a release
	// (whose tag must be reachable from the base branch or a release
	// branch); never for forks, pull requests or other branches. Only
	// trusted runs write the caches that trusted runs read (see
	// build.CacheVolumeName).
	Trusted bool `json:"trusted"`
	// Reason is one line saying why, for logs and summaries.
	Reason string `json:"reason"`
}

// Decide says what to do for a trigger; baseBranch is the branch that pull
// requests merge into (manifest.Workspace.BaseBranch).
//
//   - pull request: build and test what changed since the merge-base of
//     the pull request's base commit and its head (the pull request's own
//     changes, not those merged to the base branch since it forked);
//   - push to a branch: build and test what changed since the pushed-before
//     commit (a force push: as for a new branch); on baseBranch also publish
//     and deploy;
//   - manual run: like a push to its branch, with detection's default base;
//   - tag: release;
//   - a deletion or a closed pull request: nothing;
//   - a fork: never publish, deploy or use secrets.
//
// Runs on the base branch and releases are trusted (Decision.Trusted).
func Decide(t Trigger, baseBranch string) Decision {
	d := Decision{Action: ActionBuild, Base: t.BaseSHA, Head: t.HeadSHA, Secrets: !t.Fork}
	onBase := t.Branch == baseBranch && t.Branch != "" && !t.Fork
	switch {
	case t.Deleted:
		return Decision{Action: ActionNone, Reason: fmt.Sprintf("%s of a deleted ref or closed pull request: nothing to build", t.Event)}
	case t.Event == EventTag:
		d = Decision{Action: ActionRelease, Head: t.HeadSHA, Tag: t.Tag, Publish: !t.Fork, Deploy: !t.Fork, Secrets: !t.Fork, Trusted: !t.Fork,
			Reason: fmt.Sprintf("tag %s: release", t.Tag)}
	case t.Event == EventPullRequest:
		d.Reason = fmt.Sprintf("pull request #%d: build and test changes since its merge-base with base %s", t.PRNumber, detect.ShortID(t.BaseSHA))
		if t.Fork {
			d.Reason += " (from a fork: no secrets, no publish)"
		}
	case t.Event == EventManual:
		d.Base = ""
		d.Reason = fmt.Sprintf("manual run on %s: build and test changes", refName(t))
	case t.Event == EventPush && t.Forced:
		// Detection compares from the merge-base of base and head, which
		// for a rewritten branch would miss what the dropped commits
		// changed: compare as for a new branch instead (on the base branch
		// that selects everything).
		d.Base = detect.ZeroID
		d.Reason = fmt.Sprintf("force push to %s: the commit before is no longer in its history; build and test changes as for a new branch", t.Branch)
	case t.BaseSHA == "" || t.BaseSHA == detect.ZeroID:
		d.Reason = fmt.Sprintf("push to new branch %s: build and test changes against the default base", t.Branch)
	default:
		d.Reason = fmt.Sprintf("push to %s: build and test changes since %s", t.Branch, detect.ShortID(t.BaseSHA))
	}
	if onBase && (t.Event == EventPush || t.Event == EventManual) {
		d.Publish, d.Deploy, d.Trusted = true, true, true
		d.Reason += "; base branch: publish and deploy"
	}
	return d
}

func refName(t Trigger) string {
	if t.Branch != "" {
		return t.Branch
	}
	return "HEAD"
}
