package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jstemmer/go-junit-report/v2/junit"
)

// File names that Files and WriteDir produce.
const (
	SummaryFile = "summary.md"
	JSONFile    = "results.json"
	JUnitFile   = "junit.xml"
	LogDir      = "logs"
)

// Markdown renders the results as a markdown table with one row per
// component: component, kind, status, duration, cached.
func Markdown(r *Results) string {
	var b strings.Builder
	b.WriteString("| Component | Kind | Status | Duration | Cached |\n")
	b.WriteString("| --- | --- | --- | --- | --- |\n")
	for _, c := range r.Components {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", c.Name, c.Kind, statusCell(c.Status), duration(c), CacheLabel(c))
	}
	return b.String()
}

// Summary renders summary.md: a heading with the counts, the table of
// Markdown, and the failing steps' output tails and skip reasons.
func Summary(r *Results) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## monopipe: %s\n\n", Counts(r))
	if r.Base != "" || r.Head != "" {
		fmt.Fprintf(&b, "Compared `%s`...`%s`.\n\n", orNone(r.Base), orNone(r.Head))
	}
	if len(r.Components) == 0 {
		b.WriteString("No component was selected.\n")
		return b.String()
	}
	b.WriteString(Markdown(r))
	for _, c := range r.Components {
		if c.Remote != nil {
			fmt.Fprintf(&b, "\n`%s` %s\n", c.Name, c.Remote)
		}
		if c.Status == StatusSkipped && len(c.Steps) > 0 {
			fmt.Fprintf(&b, "\n`%s` skipped: %s\n", c.Name, c.Steps[0].Error)
			continue
		}
		for _, s := range c.Steps {
			if s.Status != StatusFailure {
				continue
			}
			fmt.Fprintf(&b, "\n### `%s` %s failed\n\n%s\n", c.Name, s.Name, s.Error)
			if s.Output != "" {
				fmt.Fprintf(&b, "\n```\n%s\n```\n", plain(s.Output))
			}
		}
	}
	return b.String()
}

// Text renders the summary printed to a terminal: an aligned table, the
// failing and skipped steps with their reasons, and a closing count.
func Text(r *Results) string {
	var b bytes.Buffer
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "COMPONENT\tKIND\tSTATUS\tDURATION\tCACHED")
	for _, c := range r.Components {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", c.Name, c.Kind, c.Status, duration(c), CacheLabel(c))
	}
	w.Flush()
	for _, c := range r.Components {
		if c.Remote != nil {
			fmt.Fprintf(&b, "%s: %s\n", c.Name, c.Remote)
		}
		for _, s := range c.Steps {
			if s.Status == StatusFailure || (c.Status == StatusSkipped && s.Error != "") {
				fmt.Fprintf(&b, "%s: %s %s: %s\n", c.Name, s.Name, s.Status, s.Error)
				break
			}
		}
	}
	fmt.Fprintf(&b, "%s in %s\n", Counts(r), r.Duration.Round(100*time.Millisecond))
	return b.String()
}

// Counts says how many components succeeded, failed and were skipped.
func Counts(r *Results) string {
	n := map[Status]int{}
	for _, c := range r.Components {
		n[c.Status]++
	}
	return fmt.Sprintf("%d component(s): %d succeeded, %d failed, %d skipped",
		len(r.Components), n[StatusSuccess], n[StatusFailure], n[StatusSkipped])
}

// CacheLabel says whether a component was answered from a cache:
// CachedRemote (the shared result cache; no build or test step ran), or
// the engine's: "yes", "no", "unknown" (a step could not tell and every
// other step was cached) or "-" (nothing ran).
func CacheLabel(c Component) string {
	if c.Remote != nil {
		return CachedRemote
	}
	ran, unknown := false, false
	for _, s := range c.Steps {
		if s.Status == StatusSkipped {
			continue
		}
		ran = true
		if s.CacheUnknown {
			unknown = true
		} else if !s.Cached {
			return "no"
		}
	}
	switch {
	case !ran:
		return "-"
	case unknown:
		return "unknown"
	}
	return "yes"
}

// JSON renders results.json.
func JSON(r *Results) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode results: %w", err)
	}
	return append(b, '\n'), nil
}

// JUnit renders junit.xml: one test suite per component and one test case
// per step; failures carry the step's output tail and skips their reason.
func JUnit(r *Results) ([]byte, error) {
	suites := junit.Testsuites{Name: "monopipe", Time: seconds(r.Duration)}
	for i, c := range r.Components {
		suite := junit.Testsuite{Name: c.Name, ID: i, Package: c.Dir, Time: seconds(c.Duration)}
		if !r.Started.IsZero() {
			suite.SetTimestamp(r.Started)
		}
		for _, s := range c.Steps {
			tc := junit.Testcase{Name: s.Name, Classname: c.Name, Time: seconds(s.Duration)}
			switch s.Status {
			case StatusFailure:
				tc.Failure = &junit.Result{Message: xmlText(s.Error), Type: "failure", Data: xmlText(s.Output)}
			case StatusSkipped:
				tc.Skipped = &junit.Result{Message: xmlText(s.Error)}
			default:
				if s.Output != "" {
					tc.SystemOut = &junit.Output{Data: xmlText(s.Output)}
				}
			}
			suite.AddTestcase(tc)
		}
		suites.AddSuite(suite)
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	if err := suites.WriteXML(&b); err != nil {
		return nil, fmt.Errorf("encode junit: %w", err)
	}
	return b.Bytes(), nil
}

// Files renders every report as a map from relative path to content:
// summary.md, results.json, junit.xml and logs/<component>.log.
func Files(r *Results) (map[string][]byte, error) {
	js, err := JSON(r)
	if err != nil {
		return nil, err
	}
	ju, err := JUnit(r)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{SummaryFile: []byte(Summary(r)), JSONFile: js, JUnitFile: ju}
	for _, c := range r.Components {
		files[LogDir+"/"+c.Name+".log"] = []byte(c.Log)
	}
	return files, nil
}

// WriteDir writes every report of Files into dir, creating it.
func WriteDir(dir string, r *Results) error {
	files, err := Files(r)
	if err != nil {
		return err
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("write reports: %w", err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return fmt.Errorf("write reports: %w", err)
		}
	}
	return nil
}

var ansiRE = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)

// xmlText removes terminal colour codes and replaces the characters that
// XML 1.0 forbids, which tools' output often carries, so junit.xml parses.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || r >= 0x10000 {
			return r
		}
		return '\uFFFD'
	}, plain(s))
}

// plain removes terminal colour codes.
func plain(s string) string { return ansiRE.ReplaceAllString(s, "") }

func statusCell(s Status) string {
	switch s {
	case StatusSuccess:
		return "✅ success"
	case StatusFailure:
		return "❌ failure"
	case StatusSkipped:
		return "⏭️ skipped"
	}
	return string(s)
}

func duration(c Component) string {
	if c.Status == StatusSkipped {
		return "-"
	}
	return c.Duration.Round(100 * time.Millisecond).String()
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
