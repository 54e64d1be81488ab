package build

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"

	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/report"
	"github.com/monopipe/monopipe/pipelines/run"
)

// The tests below build the repository's own example components on a real
// Dagger engine. They run when _EXPERIMENTAL_DAGGER_RUNNER_HOST names a
// reachable engine and skip otherwise.

const repoRoot = "../.."

func connect(t *testing.T) (context.Context, *dagger.Client) {
	t.Helper()
	host := os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST")
	if host == "" {
		t.Skip("no Dagger engine: set _EXPERIMENTAL_DAGGER_RUNNER_HOST (e.g. unix:///run/dagger/engine.sock) and _EXPERIMENTAL_DAGGER_CLI_BIN to run the engine tests")
	}
	if sock, ok := strings.CutPrefix(host, "unix://"); ok {
		conn, err := net.DialTimeout("unix", sock, 5*time.Second)
		if err != nil {
			t.Skipf("no Dagger engine: %s is not reachable: %v", host, err)
		}
		conn.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	t.Cleanup(cancel)
	var logw strings.Builder
	client, err := dagger.Connect(ctx, dagger.WithLogOutput(&logw))
	if err != nil {
		t.Fatalf("connect to %s: %v\n%s", host, err, logw.String())
	}
	t.Cleanup(func() { client.Close() })
	return ctx, client
}

// examples plans every component of the repository and loads the
// repository as the Dagger module would (git-ignored files left out).
func examples(ctx context.Context, t *testing.T, client *dagger.Client) (*plan.Plan, *dagger.Directory) {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Make(ctx, plan.Options{Dir: root, All: true})
	if err != nil {
		t.Fatal(err)
	}
	return p, client.Host().Directory(root, dagger.HostDirectoryOpts{Gitignore: true, Exclude: []string{".git"}})
}

// indexReachable says whether containers on the engine reach the Python
// package index (pip's default, or PIP_INDEX_URL from the environment).
func indexReachable(ctx context.Context, client *dagger.Client) error {
	_, err := client.Container().From(DefaultPythonImage).
		WithEnvVariable("PROBE", time.Now().String()). // never cached
		WithEnvVariable("PIP_INDEX_URL", os.Getenv("PIP_INDEX_URL")).
		WithExec([]string{"python3", "-c", `import os, urllib.request
urllib.request.urlopen((os.environ["PIP_INDEX_URL"] or "https://pypi.org/simple").rstrip("/") + "/pip/", timeout=20)`}).
		Sync(ctx)
	return err
}

// selectable drops the python components when the engine's containers
// cannot reach the package index, and says why.
func selectable(ctx context.Context, client *dagger.Client, p *plan.Plan) ([]plan.Component, map[string]string) {
	skipped := map[string]string{}
	var comps []plan.Component
	idxErr := indexReachable(ctx, client)
	for _, c := range p.Components {
		if c.Kind == "python" && idxErr != nil {
			skipped[c.Name] = fmt.Sprintf("the engine's containers cannot reach the Python package index (set PIP_INDEX_URL to a mirror): %v", firstLine(idxErr.Error()))
			continue
		}
		comps = append(comps, c)
	}
	return comps, skipped
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

func runAll(ctx context.Context, t *testing.T, b *Builder, comps []plan.Component) *report.Results {
	t.Helper()
	start := time.Now()
	res, err := run.Run(ctx, comps, run.Options{Steps: b.Steps(), Concurrency: 2})
	t.Logf("run of %d components took %s (err %v)\n%s", len(comps), time.Since(start).Round(10*time.Millisecond), err, report.Text(res))
	return res
}

// TestEngineExamples builds and tests every example component, then builds
// again with nothing changed (every exec step must be cached), then with
// one file of one component changed (only that component runs again).
func TestEngineExamples(t *testing.T) {
	ctx, client := connect(t)
	p, src := examples(ctx, t, client)
	comps, skipped := selectable(ctx, client, p)

	cold := runAll(ctx, t, New(client, src, p.Workspace, p.Manifests), comps)
	for _, c := range p.Components {
		t.Run(c.Name, func(t *testing.T) {
			if why, ok := skipped[c.Name]; ok {
				t.Skip(why)
			}
			r := find(t, cold, c.Name)
			if r.Status != report.StatusSuccess {
				t.Fatalf("%s: %s\n%s", c.Name, r.Status, r.Log)
			}
			for _, s := range r.Steps {
				if s.Status != report.StatusSuccess {
					t.Errorf("%s %s: %s (%s)", c.Name, s.Name, s.Status, s.Error)
				}
			}
		})
	}

	warm := runAll(ctx, t, New(client, src, p.Workspace, p.Manifests), comps)
	for _, r := range warm.Components {
		for _, s := range r.Steps {
			if s.Status != report.StatusSuccess || (!s.Cached && !s.CacheUnknown) {
				t.Errorf("warm run: %s %s = %s cached=%v unknown=%v\n%s", r.Name, s.Name, s.Status, s.Cached, s.CacheUnknown, s.Output)
			}
		}
	}

	// Change webfmt only: webfmt runs again, the others stay cached.
	changed := src.WithNewFile("components/webfmt/index.js", readFile(t, "components/webfmt/index.js")+"\n// changed by TestEngineExamples\n")
	one := runAll(ctx, t, New(client, changed, p.Workspace, p.Manifests), comps)
	for _, r := range one.Components {
		for _, s := range r.Steps {
			if r.Name == "webfmt" && s.Cached {
				t.Errorf("webfmt %s was cached after webfmt changed", s.Name)
			}
			if r.Name != "webfmt" && !s.Cached && !s.CacheUnknown {
				t.Errorf("%s %s ran again after only webfmt changed", r.Name, s.Name)
			}
		}
	}
}

// TestEngineOutputs checks what the go, node, custom and docker builders
// produce: the service binary and its image answering HTTP, the npm
// tarball, the custom tarball, and the Lambda image's handler.
func TestEngineOutputs(t *testing.T) {
	ctx, client := connect(t)
	p, src := examples(ctx, t, client)
	b := New(client, src, p.Workspace, p.Manifests)

	api, err := b.Pipeline(ctx, "hello-api")
	if err != nil {
		t.Fatal(err)
	}
	if entries, err := api.Files.Entries(ctx); err != nil || strings.Join(entries, ",") != "hello-api" {
		t.Errorf("hello-api files = %v, %v", entries, err)
	}
	if ep, err := api.Images[0].Entrypoint(ctx); err != nil || strings.Join(ep, " ") != "/usr/local/bin/hello-api" {
		t.Errorf("hello-api entrypoint = %v, %v", ep, err)
	}
	svc := api.Images[0].WithEnvVariable("PORT", "8080").WithExposedPort(8080).AsService(dagger.ContainerAsServiceOpts{UseEntrypoint: true})
	out, err := client.Container().From(DefaultPythonImage).WithServiceBinding("api", svc).
		WithExec([]string{"python3", "-c", `import urllib.request
print(urllib.request.urlopen("http://api:8080/hello?name=ada&lang=fr", timeout=30).read().decode())`}).Stdout(ctx)
	if err != nil || strings.TrimSpace(out) != `{"message":"Bonjour, Ada !"}` {
		t.Errorf("GET /hello on the hello-api image = %q, %v", out, err)
	}

	web, err := b.Pipeline(ctx, "webfmt")
	if err != nil {
		t.Fatal(err)
	}
	if entries, err := web.Files.Entries(ctx); err != nil || strings.Join(entries, ",") != "monopipe-webfmt-0.1.0.tgz" {
		t.Errorf("webfmt files = %v, %v", entries, err)
	}

	tool, err := b.Pipeline(ctx, "semver-bump")
	if err != nil {
		t.Fatal(err)
	}
	out, err = client.Container().From(DefaultRuntimeImage).WithMountedDirectory("/dist", tool.Files).
		WithExec([]string{"sh", "-c", "tar -xzf /dist/semver-bump.tar.gz -C /usr/local/bin && semver-bump minor v1.4.2"}).Stdout(ctx)
	if err != nil || out != "v1.5.0\n" {
		t.Errorf("semver-bump from its tarball = %q, %v", out, err)
	}

	lambda, err := b.Pipeline(ctx, "lambda-image")
	if err != nil {
		t.Fatal(err)
	}
	out, err = lambda.Images[0].WithExec([]string{"python3", "-c", "import handler, json; print(json.loads(handler.handle({'text': 'a b c'}, None)['body']))"}).Stdout(ctx)
	if err != nil || strings.TrimSpace(out) != "{'words': 3, 'characters': 5}" {
		t.Errorf("lambda-image handler = %q, %v", out, err)
	}
}

// TestEngineKeepsGoing breaks greet's tests: greet fails with the failing
// test in its output, hello-api (which depends on it) is skipped, and the
// independent webfmt still succeeds.
func TestEngineKeepsGoing(t *testing.T) {
	ctx, client := connect(t)
	p, src := examples(ctx, t, client)
	broken := src.WithNewFile("components/greet/broken_test.go", `package greet

import "testing"

func TestBroken(t *testing.T) { t.Fatal("deliberately broken by TestEngineKeepsGoing") }
`)
	var comps []plan.Component
	for _, c := range p.Components {
		if c.Name == "greet" || c.Name == "hello-api" || c.Name == "webfmt" {
			comps = append(comps, c)
		}
	}
	res, err := run.Run(ctx, comps, run.Options{Steps: New(client, broken, p.Workspace, p.Manifests).Steps(), Concurrency: 2})
	if err == nil || !strings.Contains(err.Error(), "greet: test failed: exit code 1") || !strings.Contains(err.Error(), "deliberately broken") {
		t.Errorf("err = %v", err)
	}
	want := map[string]report.Status{"greet": report.StatusFailure, "hello-api": report.StatusSkipped, "webfmt": report.StatusSuccess}
	for name, st := range want {
		if r := find(t, res, name); r.Status != st {
			t.Errorf("%s = %s, want %s\n%s", name, r.Status, st, r.Log)
		}
	}
	if s := find(t, res, "hello-api").Steps[0]; s.Error != "dependency greet failed" {
		t.Errorf("hello-api build = %+v", s)
	}
}

func find(t *testing.T, r *report.Results, name string) report.Component {
	t.Helper()
	for _, c := range r.Components {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no result for %s", name)
	return report.Component{}
}

func readFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
