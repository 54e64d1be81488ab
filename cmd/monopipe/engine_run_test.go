package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/monopipe/monopipe/internal/enginetest"
	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/pipelines/job"
)

// repoRoot is this repository's top folder.
var repoRoot = filepath.Join("..", "..")

// exampleRepo is a repository with this repository's example monorepo
// (monopipe.yaml and components/, as committed, modes included) added by
// its second commit; it returns the repository and both commits.
func exampleRepo(t *testing.T) (*gittest.Repo, string, string) {
	t.Helper()
	out, err := exec.Command("git", "-C", repoRoot, "ls-files", "-s", "-z", "monopipe.yaml", "components").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	files := map[string]string{}
	var executable []string
	for _, entry := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		meta, name, _ := strings.Cut(entry, "\t")
		b, err := os.ReadFile(filepath.Join(repoRoot, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
		if strings.HasPrefix(meta, "100755 ") {
			executable = append(executable, name)
		}
	}
	r := gittest.New(t)
	first := r.Commit("workspace", map[string]string{"monopipe.yaml": files["monopipe.yaml"]})
	r.Write(files)
	r.Git("add", "-A")
	for _, name := range executable {
		r.Git("update-index", "--chmod=+x", name)
	}
	r.Git("commit", "-q", "-m", "the example components")
	return r, first, r.Git("rev-parse", "HEAD")
}

// TestEngineCIExample runs `monopipe ci` as a wrapper does (a push to the
// base branch, dry run) on the example monorepo against a real engine: the
// CLI path, not the module, builds and tests every component and writes
// the report. It skips without an engine (see internal/enginetest).
func TestEngineCIExample(t *testing.T) {
	ctx, client := enginetest.Connect(t, 45*time.Minute) // skips without an engine
	// Without a Python package index the python components cannot build:
	// their failure is then said, not counted.
	idxErr := enginetest.PythonIndex(ctx, client)
	r, first, head := exampleRepo(t)
	report := filepath.Join(t.TempDir(), "report")
	var out bytes.Buffer
	start := time.Now()
	errb := &firstLine{prefix: "plan: ", start: start}
	code := run(context.Background(), []string{"ci", "--source", r.Dir, "--base", first, "--head", head, "--branch", "main",
		"--repo", "o/r", "--dry-run", "--output", report}, &out, errb)
	// The plan line is printed when component work starts: the figure to
	// compare with `dagger call ci` from the same engine state.
	t.Logf("monopipe ci: component work started after %s, whole run %s", errb.at.Round(time.Millisecond), time.Since(start).Round(time.Second))
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out.String(), errb.String())
	}
	var res struct {
		Components []struct{ Name, Kind, Status string }
	}
	b, err := os.ReadFile(filepath.Join(report, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range res.Components {
		names = append(names, c.Name)
		switch {
		case c.Status == "success":
		case c.Kind == "python" && idxErr != nil:
			t.Logf("%s: %s, not counted: %v", c.Name, c.Status, idxErr)
		default:
			t.Errorf("%s: %s", c.Name, c.Status)
		}
	}
	slices.Sort(names)
	if want := []string{"banner", "greet", "hello-api", "lambda-image", "pgcount", "pyslug", "semver-bump", "webfmt"}; !slices.Equal(names, want) {
		t.Errorf("components %v, want %v", names, want)
	}
	for _, f := range []string{"summary.md", "junit.xml", "github-output", "step-summary.md", "annotations.txt"} {
		if _, err := os.Stat(filepath.Join(report, f)); err != nil {
			t.Errorf("report: %v", err)
		}
	}
}

// firstLine is a log that records when a line starting with prefix is
// first written, after start.
type firstLine struct {
	bytes.Buffer
	prefix string
	start  time.Time
	at     time.Duration
}

func (w *firstLine) Write(p []byte) (int, error) {
	if w.at == 0 && (bytes.HasPrefix(p, []byte(w.prefix)) || bytes.Contains(p, []byte("\n"+w.prefix))) {
		w.at = time.Since(w.start)
	}
	return w.Buffer.Write(p)
}

// TestSourceIgnoreMatchesModule: `monopipe ci` loads the repository with
// job.SourceIgnore, so the module's source arguments must ignore exactly
// that (today nothing: no +ignore).
func TestSourceIgnoreMatchesModule(t *testing.T) {
	ignoreRE := regexp.MustCompile(`//\s*\+ignore=(.*)`)
	files, err := filepath.Glob(filepath.Join(repoRoot, "ci", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no module sources: %v", err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "dagger.gen.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ignoreRE.FindAllStringSubmatch(string(b), -1) {
			var patterns []string
			if err := json.Unmarshal([]byte(m[1]), &patterns); err != nil {
				t.Fatalf("%s: +ignore=%s: %v", f, m[1], err)
			}
			if !slices.Equal(patterns, job.SourceIgnore) {
				t.Errorf("%s: +ignore=%v, but monopipe ci loads the source with job.SourceIgnore %v", f, patterns, job.SourceIgnore)
			}
		}
	}
	if len(job.SourceIgnore) > 0 {
		t.Errorf("job.SourceIgnore %v: the module has no +ignore", job.SourceIgnore)
	}
}

// TestExampleRepo: the engine test's repository selects every example
// component between its two commits (so that test builds them all).
func TestExampleRepo(t *testing.T) {
	r, first, head := exampleRepo(t)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"plan", "--dir", r.Dir, "--base", first, "--head", head, "--format", "json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var p struct{ Components []struct{ Name string } }
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range p.Components {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	if want := []string{"banner", "greet", "hello-api", "lambda-image", "pgcount", "pyslug", "semver-bump", "webfmt"}; !slices.Equal(names, want) {
		t.Errorf("selected %v, want %v", names, want)
	}
	if mode := r.Git("ls-files", "-s", "components/semver-bump/semver-bump"); !strings.HasPrefix(mode, "100755 ") {
		t.Errorf("semver-bump lost its executable bit: %s", mode)
	}
}

// TestFirstLine: the engine test's timer notes the plan line, not others.
func TestFirstLine(t *testing.T) {
	w := &firstLine{prefix: "plan: ", start: time.Now().Add(-time.Second)}
	w.Write([]byte("push to main: build\n"))
	if w.at != 0 {
		t.Fatal("noted a line without the prefix")
	}
	w.Write([]byte("build on main\nplan: 6 components\n"))
	if w.at < time.Second {
		t.Errorf("at = %s", w.at)
	}
}
