package trigger

import (
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/monopipe/monopipe/pipelines/detect"
)

// FromGitHub parses a GitHub Actions event: its name ($GITHUB_EVENT_NAME) and
// its payload (the file at $GITHUB_EVENT_PATH). sha ($GITHUB_SHA) is the
// head for events whose payload carries no commit (workflow_dispatch,
// create, release); it may be empty for the others.
//
// Handled: push (branch, new branch, tag, deletion), pull_request and
// pull_request_target, workflow_dispatch, create (a tag) and release.
func FromGitHub(eventName string, payload []byte, sha string) (Trigger, error) {
	ev, err := github.ParseWebHook(eventName, payload)
	if err != nil {
		return Trigger{}, fmt.Errorf("parse GitHub %q event: %w", eventName, err)
	}
	var t Trigger
	switch e := ev.(type) {
	case *github.PushEvent:
		t = fromPush(e)
		t.Repo, err = ParseRepo(e.GetRepo().GetFullName())
		t.DefaultBranch = e.GetRepo().GetDefaultBranch()
	case *github.PullRequestEvent:
		t = fromPullRequest(e.GetAction(), e.GetNumber(), e.GetPullRequest())
		t.Repo, err = ParseRepo(e.GetRepo().GetFullName())
		t.DefaultBranch = e.GetRepo().GetDefaultBranch()
	case *github.PullRequestTargetEvent:
		t = fromPullRequest(e.GetAction(), e.GetNumber(), e.GetPullRequest())
		t.Repo, err = ParseRepo(e.GetRepo().GetFullName())
		t.DefaultBranch = e.GetRepo().GetDefaultBranch()
	case *github.WorkflowDispatchEvent:
		t = Trigger{Event: EventManual, HeadSHA: sha}
		setRef(&t, e.GetRef())
		t.Repo, err = ParseRepo(e.GetRepo().GetFullName())
		t.DefaultBranch = e.GetRepo().GetDefaultBranch()
	case *github.CreateEvent:
		// create carries a short ref: a new tag, or a new branch (no base).
		t = Trigger{Event: EventTag, HeadSHA: sha, Tag: e.GetRef()}
		if e.GetRefType() != "tag" {
			t = Trigger{Event: EventPush, BaseSHA: detect.ZeroID, HeadSHA: sha, Branch: e.GetRef()}
		}
		t.Repo, err = ParseRepo(e.GetRepo().GetFullName())
		t.DefaultBranch = e.GetRepo().GetDefaultBranch()
	case *github.ReleaseEvent:
		t = Trigger{Event: EventTag, HeadSHA: sha, Tag: e.GetRelease().GetTagName()}
		t.Repo, err = ParseRepo(e.GetRepo().GetFullName())
		t.DefaultBranch = e.GetRepo().GetDefaultBranch()
	default:
		return Trigger{}, fmt.Errorf("GitHub event %q: not one monopipe acts on (push, pull_request, workflow_dispatch, create, release)", eventName)
	}
	if err != nil {
		return Trigger{}, fmt.Errorf("GitHub %q event: %w", eventName, err)
	}
	if err := t.Validate(); err != nil {
		return Trigger{}, fmt.Errorf("GitHub %q event: %w", eventName, err)
	}
	return t, nil
}

func fromPush(e *github.PushEvent) Trigger {
	t := Trigger{Event: EventPush, BaseSHA: e.GetBefore(), HeadSHA: e.GetAfter(), Forced: e.GetForced(), Deleted: e.GetDeleted() || e.GetAfter() == detect.ZeroID}
	setRef(&t, e.GetRef())
	return t
}

// setRef files a full ref under Branch or Tag; a tag makes the event EventTag.
func setRef(t *Trigger, ref string) {
	switch {
	case strings.HasPrefix(ref, "refs/tags/"):
		t.Tag = strings.TrimPrefix(ref, "refs/tags/")
		if t.Event == EventPush {
			t.Event = EventTag
			t.BaseSHA = ""
		}
	default:
		t.Branch = strings.TrimPrefix(ref, "refs/heads/")
	}
}

func fromPullRequest(action string, number int, pr *github.PullRequest) Trigger {
	base, head := pr.GetBase(), pr.GetHead()
	return Trigger{
		Event:      EventPullRequest,
		BaseSHA:    base.GetSHA(),
		HeadSHA:    head.GetSHA(),
		Branch:     head.GetRef(),
		BaseBranch: base.GetRef(),
		PRNumber:   number,
		// A deleted head repository arrives as null: treat it as a fork.
		Fork:    head.GetRepo() == nil || head.GetRepo().GetFullName() != base.GetRepo().GetFullName(),
		Deleted: action == "closed",
	}
}
