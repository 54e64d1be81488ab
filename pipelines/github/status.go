package github

import (
	"context"
	"errors"
	"strings"
	"time"

	gh "github.com/google/go-github/v60/github"
	"github.com/monopipe/monopipe/pipelines/report"
)

// ContextPrefix starts every status context: "monopipe/<component>".
const ContextPrefix = "monopipe/"

// MaxDescription is GitHub's limit on a status description.
const MaxDescription = 140

// The commit status states GitHub accepts.
const (
	StatePending = "pending"
	StateSuccess = "success"
	StateFailure = "failure"
	StateError   = "error"
)

// Status is one commit status to set.
type Status struct {
	Component string
	// State is one of the State constants. GitHub has no "skipped": a
	// skipped component reports success with a description saying so, so
	// required checks never hang.
	State       string
	Description string
	// TargetURL links the status to the run (optional).
	TargetURL string
}

// Planned is a pending status for each planned component.
func Planned(names []string, targetURL string) []Status {
	out := make([]Status, len(names))
	for i, n := range names {
		out[i] = Status{Component: n, State: StatePending, Description: "planned: waiting to build", TargetURL: targetURL}
	}
	return out
}

// Finished is the final status of each component of a run.
func Finished(res *report.Results, targetURL string) []Status {
	out := make([]Status, 0, len(res.Components))
	for _, c := range res.Components {
		s := Status{Component: c.Name, TargetURL: targetURL}
		switch c.Status {
		case report.StatusSuccess:
			s.State, s.Description = StateSuccess, "passed in "+c.Duration.Round(100*time.Millisecond).String()
			if report.CacheLabel(c) == "yes" {
				s.Description += " (cached)"
			}
			if c.Remote != nil {
				s.Description = report.CachedRemote + ": made " + c.Remote.Created.UTC().Format(time.RFC3339)
			}
		case report.StatusSkipped:
			s.State, s.Description = StateSuccess, "skipped: "+stepNote(c)
		default:
			s.State, s.Description = StateFailure, "failed: "+stepNote(c)
		}
		out = append(out, s)
	}
	return out
}

// stepNote names the first failed or skipped step and its one-line reason.
func stepNote(c report.Component) string {
	for _, st := range c.Steps {
		if st.Status != report.StatusSuccess {
			if st.Error != "" {
				return st.Name + ": " + st.Error
			}
			return st.Name + " " + string(st.Status)
		}
	}
	return string(c.Status)
}

// OneLine makes s a status description: one line, at most MaxDescription
// characters (cut with "…").
func OneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > MaxDescription {
		s = string(r[:MaxDescription-1]) + "…"
	}
	return s
}

// SetStatuses sets each status on commit sha. It tries every status and
// returns the errors joined, so one failure does not hide the others.
func (c *Client) SetStatuses(ctx context.Context, sha string, statuses []Status) error {
	var errs []error
	for _, s := range statuses {
		st := &gh.RepoStatus{
			State:       gh.String(s.State),
			Context:     gh.String(ContextPrefix + s.Component),
			Description: gh.String(OneLine(s.Description)),
		}
		if s.TargetURL != "" {
			st.TargetURL = gh.String(s.TargetURL)
		}
		if _, resp, err := c.gh.Repositories.CreateStatus(ctx, c.owner, c.repo, sha, st); err != nil {
			errs = append(errs, c.fail("set status "+ContextPrefix+s.Component, resp, err))
		}
	}
	return errors.Join(errs...)
}
