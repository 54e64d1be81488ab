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
	// Log is every step's full output (secrets scrubbed); renderers write
	// it to logs/<name>.log rather than into results.json.
	Log string `json:"-"`
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
