// Package report holds the results of a monopipe run and renders them for
// people and CI systems: summary.md, results.json and junit.xml.
package report

import "time"

// Status is the outcome of a component or one of its steps.
type Status string

// The outcomes a component or step can have.
const (
	StatusSuccess Status = "success"
	StatusFailure Status = "failure"
	// StatusSkipped means the step did not run: a dependency failed, or the
	// step is not configured or not due (deploy off the base branch).
	StatusSkipped Status = "skipped"
)

// Step is one stage of a component's pipeline: build, test, publish, deploy.
type Step struct {
	Name     string        `json:"name"`
	Status   Status        `json:"status"`
	Duration time.Duration `json:"duration"`
	// Cached is true when the engine answered the step from its cache.
	Cached bool `json:"cached"`
	// CacheUnknown is true when the step could not tell whether it was
	// cached (a Dockerfile build gives no sign); Cached is then false.
	CacheUnknown bool `json:"cacheUnknown,omitempty"`
	// Output is the tail of the step's combined output (secrets scrubbed).
	Output string `json:"output,omitempty"`
	// Error is a one-line description of the failure or skip reason.
	Error string `json:"error,omitempty"`
}

// Component is the result of one component.
type Component struct {
	Name     string        `json:"name"`
	Kind     string        `json:"kind"`
	Dir      string        `json:"dir"`
	Status   Status        `json:"status"`
	Duration time.Duration `json:"duration"`
	Cached   bool          `json:"cached"`
	// Reasons say why the plan selected the component.
	Reasons []string `json:"reasons,omitempty"`
	Steps   []Step   `json:"steps"`
	// Artifacts are what the component produced or published (image refs
	// with digests, package names, S3 keys), for people and for later steps.
	Artifacts []string `json:"artifacts,omitempty"`
	// Remote, when set, says the component's build and test did not run:
	// their result was read from the shared result cache.
	Remote *Remote `json:"remote,omitempty"`
	// Log is every step's full output (secrets scrubbed); renderers write
	// it to logs/<name>.log rather than into results.json.
	Log string `json:"-"`
}

// Remote is a result read from the shared result cache (see package
// resultcache): which entry, and when and where it was made.
type Remote struct {
	// Ref is the entry, repository@sha256:….
	Ref string `json:"ref"`
	// Digest is the component's input digest the entry is for.
	Digest string `json:"digest"`
	// Created is when the result was made.
	Created time.Time `json:"created"`
	// Commit is the commit it was made from, when known.
	Commit string `json:"commit,omitempty"`
	// Run is the address of the run that made it, when known.
	Run string `json:"run,omitempty"`
}

// CachedRemote is what reports say of a component answered by the shared
// result cache.
const CachedRemote = "cached (remote)"

// String says what the entry is and when and where it was made.
func (r *Remote) String() string {
	s := CachedRemote + " " + r.Ref + ", made " + r.Created.UTC().Format(time.RFC3339)
	if r.Commit != "" {
		s += " from commit " + r.Commit
	}
	if r.Run != "" {
		s += " by " + r.Run
	}
	return s
}

// Results is a whole run.
type Results struct {
	// Base and Head are the revisions the plan compared.
	Base       string        `json:"base"`
	Head       string        `json:"head"`
	Started    time.Time     `json:"started"`
	Duration   time.Duration `json:"duration"`
	Components []Component   `json:"components"`
}

// Failed lists the components that failed.
func (r *Results) Failed() []Component {
	var out []Component
	for _, c := range r.Components {
		if c.Status == StatusFailure {
			out = append(out, c)
		}
	}
	return out
}
