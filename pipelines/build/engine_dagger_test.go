package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monopipe/monopipe/internal/enginetest"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/report"
	"github.com/monopipe/monopipe/pipelines/run"
)

// TestEngineDaggerModule builds and tests, on a real engine, a kind
// dagger component: its own module (testdata/hellomod, Go) is loaded from
// its folder and served, build.function returns a Container (the
// component's image, with build.args typed as the function takes them)
// or a Directory (its files), and test.function passes or fails the step
// by what it returns.
func TestEngineDaggerModule(t *testing.T) {
	ctx, client := enginetest.Connect(t, 30*time.Minute)
	const imageYAML = "name: hello\nkind: dagger\nbuild:\n  args: {greeting: hi, times: \"2\"}\ntest:\n  function: test\n"
	const filesYAML = "name: hello\nkind: dagger\nbuild:\n  function: docs\ntest:\n  function: test\n"
	tests := []struct {
		name, yaml, greeting string
		check                func(t *testing.T, p *Pipeline)
		testOK               bool
	}{
		{"image", imageYAML, "hello\n", func(t *testing.T, p *Pipeline) {
			if len(p.Images) != 1 {
				t.Fatalf("%d images, want the Container build returned", len(p.Images))
			}
			if got, err := p.Images[0].File("/greeting").Contents(ctx); err != nil || got != "hi\nhi\n" {
				t.Errorf("/greeting = %q, %v; want build.args' greeting twice", got, err)
			}
			if got, err := p.Images[0].File("/app/greeting.txt").Contents(ctx); err != nil || got != "hello\n" {
				t.Errorf("/app/greeting.txt = %q, %v; want the component's folder as source", got, err)
			}
		}, true},
		{"files", filesYAML, "bye\n", func(t *testing.T, p *Pipeline) {
			if len(p.Images) != 0 {
				t.Errorf("%d images from a function returning a Directory", len(p.Images))
			}
			if got, err := p.Files.Entries(ctx); err != nil || strings.Join(got, " ") != "greeting.txt" {
				t.Errorf("files = %v, %v; want the Directory docs returned", got, err)
			}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "svc/hello")
			if err := os.CopyFS(dir, os.DirFS("testdata/hellomod")); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, "component.yaml"), tt.yaml)
			writeFile(t, filepath.Join(dir, "greeting.txt"), tt.greeting)
			m, err := manifest.ParseComponent("svc/hello/component.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			b := New(client, client.Host().Directory(root), nil, map[string]*manifest.Component{"hello": m})
			res, _ := run.Run(ctx, []plan.Component{{Name: "hello", Dir: m.Dir, Kind: m.Kind, Manifest: m}}, run.Options{Steps: b.Steps(), Concurrency: 1})
			t.Logf("%s", report.Text(res))
			r := find(t, res, "hello")
			steps := map[string]report.Step{}
			for _, s := range r.Steps {
				steps[s.Name] = s
			}
			if s := steps[StepBuild]; s.Status != report.StatusSuccess {
				t.Fatalf("build: %s %s\n%s", s.Status, s.Error, r.Log)
			}
			p, err := b.Pipeline(ctx, "hello")
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
			s := steps[StepTest]
			if tt.testOK && (s.Status != report.StatusSuccess || !strings.Contains(s.Output, "greeting.txt says hello")) {
				t.Errorf("test: %s %q, want success with the function's answer", s.Status, s.Output)
			}
			if !tt.testOK && (s.Status != report.StatusFailure || !strings.Contains(s.Error+s.Output, `greeting.txt says "bye"`)) {
				t.Errorf("test: %s %q %q, want a failure with the function's error", s.Status, s.Error, s.Output)
			}
		})
	}
}
