package report

import (
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sample is a run with every status: a cached success, a success whose
// Dockerfile build cannot tell its cache state, a failure and a skip.
func sample() *Results {
	return &Results{
		Base: "1111111", Head: "worktree",
		Started:  time.Date(2026, 11, 22, 23, 0, 0, 0, time.UTC),
		Duration: 12345 * time.Millisecond,
		Components: []Component{
			{Name: "greet", Kind: "go", Dir: "components/greet", Status: StatusSuccess, Duration: 1200 * time.Millisecond, Cached: true,
				Reasons: []string{"changed: components/greet/greet.go"},
				Steps: []Step{
					{Name: "build", Status: StatusSuccess, Duration: 700 * time.Millisecond, Cached: true, Output: "ok"},
					{Name: "test", Status: StatusSuccess, Duration: 500 * time.Millisecond, Cached: true, Output: "ok  greet 0.01s"},
				},
				Log: "==> greet build: success (700ms)\nok\n"},
			{Name: "lambda-image", Kind: "docker", Dir: "components/lambda-image", Status: StatusSuccess, Duration: 3 * time.Second,
				Steps: []Step{
					{Name: "build", Status: StatusSuccess, Duration: 2 * time.Second, CacheUnknown: true},
					{Name: "test", Status: StatusSuccess, Duration: time.Second, Cached: true},
				}},
			{Name: "pyslug", Kind: "python", Dir: "components/pyslug", Status: StatusFailure, Duration: 8 * time.Second,
				Steps: []Step{
					{Name: "build", Status: StatusSuccess, Duration: 5 * time.Second},
					{Name: "test", Status: StatusFailure, Duration: 3 * time.Second, Error: "exit code 1", Output: "\x1b[31mFAILED\x1b[0m tests/test_slug.py::test_x - assert ']]>' == 'b\x00'\n1 failed in 0.02s"},
				},
				Log: "==> pyslug test: failure (3s)\nexit code 1\n"},
			{Name: "hello-api", Kind: "go", Dir: "components/hello-api", Status: StatusSkipped,
				Steps: []Step{
					{Name: "build", Status: StatusSkipped, Error: "dependency pyslug failed"},
					{Name: "test", Status: StatusSkipped, Error: "dependency pyslug failed"},
				}},
		},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestRenderGolden(t *testing.T) {
	r := sample()
	js, err := JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	ju, err := JUnit(r)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file string
		got  []byte
	}{
		{"summary.md", []byte(Summary(r))},
		{"table.md", []byte(Markdown(r))},
		{"summary.txt", []byte(Text(r))},
		{"results.json", js},
		{"junit.xml", ju},
		{"empty.md", []byte(Summary(&Results{}))},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) { golden(t, tt.file, tt.got) })
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := sample()
	js, err := JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Results
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	for i := range r.Components {
		r.Components[i].Log = "" // logs go to their own files
	}
	if !reflect.DeepEqual(&back, r) {
		t.Errorf("round trip differs:\n%+v\n%+v", back, *r)
	}
}

// TestJUnitParses reads junit.xml back with a minimal schema of what CI
// systems read: counts, and failure and skip elements per test case.
func TestJUnitParses(t *testing.T) {
	ju, err := JUnit(sample())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Data    string `xml:",chardata"`
				} `xml:"failure"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(ju, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 8 || doc.Failures != 1 || doc.Skipped != 2 || len(doc.Suites) != 4 {
		t.Fatalf("counts = %d tests, %d failures, %d skipped, %d suites", doc.Tests, doc.Failures, doc.Skipped, len(doc.Suites))
	}
	f := doc.Suites[2].Cases[1].Failure
	if doc.Suites[2].Name != "pyslug" || f == nil || f.Message != "exit code 1" || !strings.Contains(f.Data, "1 failed in 0.02s") {
		t.Errorf("pyslug test failure = %+v", f)
	}
	if s := doc.Suites[3].Cases[0].Skipped; s == nil || s.Message != "dependency pyslug failed" {
		t.Errorf("hello-api build skip = %+v", s)
	}
}

func TestCacheLabel(t *testing.T) {
	ok := func(cached, unknown bool) Step {
		return Step{Status: StatusSuccess, Cached: cached, CacheUnknown: unknown}
	}
	skip := Step{Status: StatusSkipped}
	tests := []struct {
		steps []Step
		want  string
	}{
		{[]Step{ok(true, false), ok(true, false)}, "yes"},
		{[]Step{ok(true, false), ok(false, false)}, "no"},
		{[]Step{ok(false, true), ok(true, false)}, "unknown"},
		{[]Step{ok(false, true), ok(false, false)}, "no"},
		{[]Step{ok(true, false), skip}, "yes"},
		{[]Step{skip, skip}, "-"},
		{[]Step{{Status: StatusFailure}}, "no"},
	}
	for _, tt := range tests {
		if got := CacheLabel(Component{Steps: tt.steps}); got != tt.want {
			t.Errorf("CacheLabel(%+v) = %q, want %q", tt.steps, got, tt.want)
		}
	}
}

func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	r := sample()
	if err := WriteDir(dir, r); err != nil {
		t.Fatal(err)
	}
	files, err := Files(r)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"junit.xml", "logs/greet.log", "logs/hello-api.log", "logs/lambda-image.log", "logs/pyslug.log", "results.json", "summary.md"}
	var got []string
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		got = append(got, filepath.ToSlash(rel))
		data, err := os.ReadFile(p)
		if string(data) != string(files[filepath.ToSlash(rel)]) {
			t.Errorf("%s differs from Files", rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
	if log := string(files["logs/pyslug.log"]); log != r.Components[2].Log {
		t.Errorf("pyslug log = %q", log)
	}
	if err := WriteDir(filepath.Join(dir, "junit.xml", "x"), r); err == nil {
		t.Error("writing under a file succeeded")
	}
}
