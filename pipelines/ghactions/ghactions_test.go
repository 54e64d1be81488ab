package ghactions

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/report"
)

var testPlan = &plan.Plan{
	Base: "f95f852bd8fc", Head: "ec26c3e57ca3", Reason: "2 paths changed",
	Components: []plan.Component{
		{Name: "lib", Dir: "components/lib", Kind: "go", Reasons: []string{"components/lib/a.go changed"}},
		{Name: "web", Dir: "components/web", Kind: "node", Reasons: []string{"input a|b changed"}},
	},
}

var testResults = &report.Results{Components: []report.Component{
	{Name: "lib", Kind: "go", Dir: "components/lib", Status: report.StatusSuccess, Duration: 2340 * time.Millisecond, Cached: true,
		Steps:     []report.Step{{Name: "build", Status: report.StatusSuccess}, {Name: "publish", Status: report.StatusSuccess}},
		Artifacts: []string{"registry.example.com/team/lib@sha256:" + strings.Repeat("ab", 32), "s3://bucket/lib/1.0.0/lib.zip", "lambda lib-fn abc"}},
	{Name: "web", Kind: "node", Dir: "components/web", Status: report.StatusFailure, Duration: 5 * time.Second,
		Steps: []report.Step{{Name: "build", Status: report.StatusSuccess},
			{Name: "test", Status: report.StatusFailure, Error: "npm test exited 1", Output: "l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\nl10\nl11\nFAIL: 1, 2\n"}}},
	{Name: "svc", Kind: "docker", Dir: "svc", Status: report.StatusSkipped,
		Steps: []report.Step{{Name: "build", Status: report.StatusSkipped, Error: "dependency web failed"}}},
}}

// readOutputs parses a $GITHUB_OUTPUT file: name<<DELIMITER, value lines,
// DELIMITER, as GitHub documents for multiline values.
func readOutputs(t *testing.T, data string) map[string]string {
	t.Helper()
	out := map[string]string{}
	head := regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_-]*)<<(.+)$`)
	lines := strings.Split(data, "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] == "" {
			continue
		}
		m := head.FindStringSubmatch(lines[i])
		if m == nil {
			t.Fatalf("line %d of output file: %q is not name<<delimiter", i+1, lines[i])
		}
		var val []string
		for i++; i < len(lines) && lines[i] != m[2]; i++ {
			val = append(val, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("output %s: delimiter %q never closes", m[1], m[2])
		}
		out[m[1]] = strings.Join(val, "\n")
	}
	return out
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name        string
		plan        *plan.Plan
		res         *report.Results
		outputs     map[string]string
		annotations string
		summary     []string // substrings, in order
	}{
		{
			name: "planned, not run yet",
			plan: testPlan,
			outputs: map[string]string{
				"affected": `["lib","web"]`, "failed": `[]`, "status": "success", "images": `[]`,
				"matrix": `{"include":[{"component":"lib","dir":"components/lib"},{"component":"web","dir":"components/web"}]}`,
			},
			summary: []string{"## monopipe: planned", "Compared `f95f852bd8fc`...`ec26c3e57ca3`: 2 paths changed", "| `lib` | go | components/lib/a.go changed |", "| `web` | node | input a\\|b changed |",
				"### What the change affects\n\n```mermaid\nflowchart LR\n", `n0["lib (go)<br/>components/lib/a.go changed"]`, "```\n"},
		},
		{
			name: "finished with a failure",
			plan: testPlan, res: testResults,
			outputs: map[string]string{
				"affected": `["lib","web"]`, "failed": `["web"]`, "status": "failure",
				"images":     `["registry.example.com/team/lib@sha256:` + strings.Repeat("ab", 32) + `"]`,
				"image-name": "registry.example.com/team/lib", "image-digest": "sha256:" + strings.Repeat("ab", 32),
				"matrix": `{"include":[{"component":"lib","dir":"components/lib"},{"component":"web","dir":"components/web"}]}`,
			},
			annotations: "::error file=components/web/component.yaml,title=monopipe%3A web failed::test failed: npm test exited 1%0Al3%0Al4%0Al5%0Al6%0Al7%0Al8%0Al9%0Al10%0Al11%0AFAIL: 1, 2\n",
			// report.Summary (tested in pipelines/report), then the plan.
			summary: []string{"## monopipe: 3 component(s)", "| `web` |", "FAIL: 1, 2", "Plan: 2 paths changed", "```mermaid\n"},
		},
		{
			name:    "nothing planned",
			plan:    &plan.Plan{Reason: "no changes"},
			outputs: map[string]string{"affected": `[]`, "failed": `[]`, "status": "success", "matrix": `{"include":[]}`, "images": `[]`},
			summary: []string{"Compared `(none)`...`(none)`: no changes", "Nothing to build."},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "report")
			if err := Write(dir, tc.plan, tc.res); err != nil {
				t.Fatal(err)
			}
			read := func(name string) string {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			got := readOutputs(t, read(OutputFile))
			if len(got) != len(tc.outputs) {
				t.Errorf("outputs = %v, want %v", got, tc.outputs)
			}
			for k, v := range tc.outputs {
				if got[k] != v {
					t.Errorf("output %s = %q, want %q", k, got[k], v)
				}
			}
			if a := read(AnnotationsFile); a != tc.annotations {
				t.Errorf("annotations:\n got %q\nwant %q", a, tc.annotations)
			}
			summary, at := read(SummaryFile), 0
			for _, s := range tc.summary {
				i := strings.Index(summary[at:], s)
				if i < 0 {
					t.Fatalf("summary lacks %q after offset %d:\n%s", s, at, summary)
				}
				at += i + len(s)
			}
			if err := Write(dir, tc.plan, tc.res); err != nil { // a second run replaces, never appends
				t.Fatal(err)
			}
			if again := read(SummaryFile); again != summary {
				t.Errorf("second Write changed the summary:\n%s", again)
			}
		})
	}
}

func TestWriteUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(filepath.Join(file, "report"), testPlan, nil); err == nil || !strings.Contains(err.Error(), "github actions files") {
		t.Fatalf("error = %v", err)
	}
}

func TestGraph(t *testing.T) {
	if g := Graph(&plan.Plan{Reason: "no changes"}); g != "" {
		t.Errorf("nothing planned: %q, want no graph", g)
	}
	if g := Graph(nil); g != "" {
		t.Errorf("no plan: %q, want no graph", g)
	}
	big := &plan.Plan{}
	for i := 0; i < MaxGraphNodes+5; i++ {
		c := plan.Component{Name: fmt.Sprintf("c%02d", i), Kind: "go", Reasons: []string{"x changed"}}
		if i > 0 {
			c.DependsOn = []string{fmt.Sprintf("c%02d", i-1)}
			c.Reasons = []string{fmt.Sprintf("depends on c%02d: …", i-1)}
		}
		big.Components = append(big.Components, c)
	}
	g := Graph(big)
	if n := strings.Count(g, `["c`); n != MaxGraphNodes {
		t.Errorf("%d nodes drawn, want %d:\n%s", n, MaxGraphNodes, g)
	}
	if !strings.HasSuffix(g, "```\n\n5 more components not drawn (at most 25 are).\n") {
		t.Errorf("no note on what was cut:\n%s", g)
	}
	if !strings.Contains(g, "n1 ==>|affected by| n0") {
		t.Errorf("no reason on the edge:\n%s", g)
	}
}
