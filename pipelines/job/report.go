package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"dagger.io/dagger"

	"github.com/monopipe/monopipe/pipelines/ghactions"
	"github.com/monopipe/monopipe/pipelines/github"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/publish"
	"github.com/monopipe/monopipe/pipelines/report"
	"github.com/monopipe/monopipe/pipelines/run"
	"github.com/monopipe/monopipe/pipelines/trigger"
)

// Secrets are the credentials a job may use, handed in as values from
// Dagger secrets. String names which are set, never their values.
type Secrets struct {
	GitHubToken string
	// Publish holds the registry, package index and AWS credentials.
	Publish publish.Secrets
	// Build are the build secrets by name (--secret), which components'
	// build.secrets hand to their build and test steps.
	Build map[string]string
	// redact holds values no longer in use that must still never show:
	// an OIDC token exchanged for session credentials.
	redact []string
	// cache is the result cache's login (CIOptions.Cache).
	cache run.Pair
}

// String names which secrets are set.
func (s Secrets) String() string {
	gh := ""
	if s.GitHubToken != "" {
		gh = "github "
	}
	out := gh + s.Publish.String()
	if s.cache.Password != "" {
		out += " cache"
	}
	if len(s.Build) > 0 {
		out += fmt.Sprintf(" build%v", slices.Sorted(maps.Keys(s.Build)))
	}
	return out
}

// GoString is String.
func (s Secrets) GoString() string { return s.String() }

// values lists every secret value, for scrubbing.
func (s Secrets) values() []string {
	p := s.Publish
	out := append([]string{s.GitHubToken, p.RegistryPassword, p.NPMToken, p.PyPIPassword, p.HTTPToken, p.HTTPPassword,
		p.AWS.SecretAccessKey, p.AWS.SessionToken, p.AWS.WebIdentityToken, s.cache.Password}, s.redact...)
	for _, name := range slices.Sorted(maps.Keys(s.Build)) {
		out = append(out, s.Build[name])
	}
	return out
}

// pairs lists the basic-authentication pairs among the secrets, whose
// base64 "user:password" is scrubbed too (git sends a GitHub token as the
// password of x-access-token).
func (s Secrets) pairs() []run.Pair {
	p := s.Publish
	return []run.Pair{{Username: p.RegistryUsername, Password: p.RegistryPassword}, {Username: p.PyPIUsername, Password: p.PyPIPassword},
		{Username: p.HTTPUsername, Password: p.HTTPPassword}, {Username: "x-access-token", Password: s.GitHubToken},
		{Username: "__token__", Password: p.PyPIPassword}, s.cache}
}

// redactor replaces every form of every secret with "***".
func (s Secrets) redactor() func(string) string { return run.Redactor(s.values(), s.pairs()...) }

// scrub returns err with every secret value replaced by "***" (nil for nil).
func (s Secrets) scrub(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(s.redactor()(err.Error()))
}

// Report is a finished ci or release run.
type Report struct {
	Decision trigger.Decision
	// Result is the build; nil when nothing was built.
	Result *Result
	// Warnings are problems that did not fail the run (GitHub reporting
	// failures); they are in the summaries and annotations too.
	Warnings []string
	// Files are the report files by relative path: report.Files' summary.md,
	// results.json, junit.xml and logs/, and ghactions.Write's files.
	Files map[string][]byte
}

// Directory returns the report files as a directory, for a function to
// return and a wrapper to export.
func (r *Report) Directory(client *dagger.Client) *dagger.Directory {
	dir := client.Directory()
	for _, name := range slices.Sorted(maps.Keys(r.Files)) {
		dir = dir.WithNewFile(name, string(r.Files[name]))
	}
	return dir
}

// newReport renders a run's report files, with every secret scrubbed. r
// may be nil (nothing was built); info is markdown added to the summaries.
func newReport(d trigger.Decision, r *Result, info string, warnings []string, secrets Secrets) (*Report, error) {
	var p *plan.Plan
	res := &report.Results{Components: []report.Component{}}
	if r != nil {
		p, res = r.Plan, r.Results
	}
	files, err := report.Files(res)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "monopipe-ghactions-")
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := ghactions.Write(tmp, p, res); err != nil {
		return nil, err
	}
	for _, name := range []string{ghactions.SummaryFile, ghactions.OutputFile, ghactions.AnnotationsFile} {
		if files[name], err = os.ReadFile(filepath.Join(tmp, name)); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	extra := "\n**Trigger:** " + d.Reason + "\n" + info
	if len(warnings) > 0 {
		extra += "\n### Warnings\n\n- " + strings.Join(warnings, "\n- ") + "\n"
	}
	for _, name := range []string{report.SummaryFile, ghactions.SummaryFile} {
		files[name] = append(files[name], extra...)
	}
	for _, n := range warnings {
		files[ghactions.AnnotationsFile] = append(files[ghactions.AnnotationsFile], "::warning title=monopipe::"+escapeCommand(n)+"\n"...)
	}
	redact := secrets.redactor()
	for name, data := range files {
		files[name] = []byte(redact(string(data)))
	}
	return &Report{Decision: d, Result: r, Warnings: warnings, Files: files}, nil
}

// escapeCommand escapes a workflow command's message.
func escapeCommand(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// apiClient bounds each GitHub API call, so that an unreachable API
// cannot hang a run.
var apiClient = &http.Client{Timeout: 30 * time.Second}

// ghReporter sets commit statuses and the pull request comment. Failures
// become warnings: they never fail a build.
type ghReporter struct {
	gh       *github.Client // nil: no GitHub reporting
	sha      string
	pr       int // 0: no comment
	runURL   string
	log      io.Writer
	warnings []string
}

func (g *ghReporter) warn(err error) {
	if err == nil {
		return
	}
	msg := "GitHub reporting failed (the build result stands): " + strings.ReplaceAll(err.Error(), "\n", "; ")
	fmt.Fprintln(g.log, "warning: "+msg)
	g.warnings = append(g.warnings, msg)
}

// planned sets a pending status for each planned component.
func (g *ghReporter) planned(ctx context.Context, p *plan.Plan) {
	if g.gh == nil || len(p.Components) == 0 {
		return
	}
	names := make([]string, len(p.Components))
	for i, c := range p.Components {
		names[i] = c.Name
	}
	g.warn(g.gh.SetStatuses(ctx, g.sha, github.Planned(names, g.runURL)))
}

// finished sets each component's final status and updates the comment.
func (g *ghReporter) finished(ctx context.Context, p *plan.Plan, res *report.Results) {
	if g.gh == nil {
		return
	}
	g.warn(g.gh.SetStatuses(ctx, g.sha, github.Finished(res, g.runURL)))
	if g.pr == 0 {
		return
	}
	body := ghactions.Summary(p, res)
	if g.runURL != "" {
		body += "\n[Run](" + g.runURL + ")\n"
	}
	_, err := g.gh.UpsertComment(ctx, g.pr, body)
	g.warn(err)
}
