// Package trigger turns what a CI system says about a run (GitHub's event
// name and payload, CircleCI's pipeline values) into one neutral Trigger, and
// decides what the run must do with it.
package trigger

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Event is the kind of run.
type Event string

// The events monopipe acts on.
const (
	EventPush        Event = "push"
	EventPullRequest Event = "pull_request"
	EventTag         Event = "tag"
	EventManual      Event = "manual"
)

// Trigger is what started a run, independent of the CI system.
type Trigger struct {
	Event Event `json:"event"`
	// BaseSHA is the commit to compare against: the pull request's base,
	// the pushed-before commit (detect.ZeroID for a new branch), or "".
	BaseSHA string `json:"baseSha,omitempty"`
	// HeadSHA is the commit to build.
	HeadSHA string `json:"headSha,omitempty"`
	// Branch is the pushed branch, or the pull request's head branch.
	Branch string `json:"branch,omitempty"`
	// BaseBranch is the branch a pull request merges into.
	BaseBranch string `json:"baseBranch,omitempty"`
	// Tag is the pushed tag (EventTag only).
	Tag string `json:"tag,omitempty"`
	// PRNumber is the pull request number (EventPullRequest only).
	PRNumber int `json:"prNumber,omitempty"`
	// Fork is true for a pull request whose head lives in another
	// repository: it gets no secrets and never publishes.
	Fork bool `json:"fork,omitempty"`
	// Forced is true for a push that rewrote the branch: the commit it
	// had before is no longer in its history.
	Forced bool `json:"forced,omitempty"`
	// Deleted is true when a branch or tag was deleted, or a pull request
	// closed: there is nothing to build.
	Deleted bool `json:"deleted,omitempty"`
	// Repo is the repository the run belongs to.
	Repo Repo `json:"repo"`
	// DefaultBranch is the repository's default branch as the CI host
	// says (GitHub's payload; "" when unknown). A release reads what may
	// be released from that branch, which a tag cannot change.
	DefaultBranch string `json:"defaultBranch,omitempty"`
}

// Repo names a repository on its host.
type Repo struct {
	Owner string `json:"owner"`
	Name  string `json:"name"`
}

// String returns "owner/name" ("" when unknown).
func (r Repo) String() string {
	if r.Owner == "" && r.Name == "" {
		return ""
	}
	return r.Owner + "/" + r.Name
}

// ParseRepo parses "owner/name".
func ParseRepo(s string) (Repo, error) {
	owner, name, ok := strings.Cut(s, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return Repo{}, fmt.Errorf("repository %q: want owner/name", s)
	}
	return Repo{Owner: owner, Name: name}, nil
}

// Values are a trigger given as plain strings, as a wrapper passes them on
// the command line. Event may be empty: then a tag makes it EventTag, a pull
// request EventPullRequest, and anything else EventPush.
type Values struct {
	Event  string
	Base   string
	Head   string
	Branch string
	Tag    string
	// PullRequest is a pull request number or URL (…/pull/123).
	PullRequest string
	// Repo is "owner/name", or empty.
	Repo string
	Fork bool
}

var prNumberRE = regexp.MustCompile(`(?:^|/)(\d+)$`)

// FromValues builds a Trigger from plain values and checks them.
func FromValues(v Values) (Trigger, error) {
	t := Trigger{
		Event:   Event(v.Event),
		BaseSHA: v.Base,
		HeadSHA: v.Head,
		Branch:  strings.TrimPrefix(v.Branch, "refs/heads/"),
		Tag:     strings.TrimPrefix(v.Tag, "refs/tags/"),
		Fork:    v.Fork,
	}
	if v.PullRequest != "" {
		m := prNumberRE.FindStringSubmatch(strings.TrimRight(v.PullRequest, "/"))
		if m == nil {
			return Trigger{}, fmt.Errorf("pull request %q: want a number or a URL ending in /pull/NUMBER", v.PullRequest)
		}
		t.PRNumber, _ = strconv.Atoi(m[1]) // digits only: cannot fail
	}
	if v.Repo != "" {
		r, err := ParseRepo(v.Repo)
		if err != nil {
			return Trigger{}, err
		}
		t.Repo = r
	}
	if t.Event == "" {
		switch {
		case t.Tag != "":
			t.Event = EventTag
		case t.PRNumber != 0:
			t.Event = EventPullRequest
		default:
			t.Event = EventPush
		}
	}
	return t, t.Validate()
}

// Validate reports a trigger whose fields contradict its event.
func (t Trigger) Validate() error {
	switch t.Event {
	case EventPush, EventManual:
	case EventPullRequest:
		if t.PRNumber <= 0 {
			return fmt.Errorf("pull_request trigger needs a pull request number")
		}
	case EventTag:
		if t.Tag == "" {
			return fmt.Errorf("tag trigger needs a tag")
		}
	default:
		return fmt.Errorf("unknown event %q (want %s, %s, %s or %s)", t.Event, EventPush, EventPullRequest, EventTag, EventManual)
	}
	for _, s := range []struct{ name, sha string }{{"base", t.BaseSHA}, {"head", t.HeadSHA}} {
		if strings.ContainsAny(s.sha, " \t\n") {
			return fmt.Errorf("%s %q: a revision has no spaces", s.name, s.sha)
		}
	}
	return nil
}
