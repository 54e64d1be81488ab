package build

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"

	"github.com/monopipe/monopipe/internal/enginetest"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/report"
	"github.com/monopipe/monopipe/pipelines/run"
)

// The tests below build the repository's own example components on a real
// Dagger engine. They run when _EXPERIMENTAL_DAGGER_RUNNER_HOST names a
// reachable engine and skip otherwise.

const repoRoot = "../.."

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

// selectable drops the python components when the engine's containers
// cannot reach the package index, and says why.
func selectable(ctx context.Context, client *dagger.Client, p *plan.Plan) ([]plan.Component, map[string]string) {
	skipped := map[string]string{}
	var comps []plan.Component
	idxErr := enginetest.PythonIndex(ctx, client)
	for _, c := range p.Components {
		if c.Kind == "python" && idxErr != nil {
			skipped[c.Name] = idxErr.Error()
			continue
		}
		comps = append(comps, c)
	}
	return comps, skipped
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
	ctx, client := enginetest.Connect(t, 30*time.Minute)
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

	// Change webfmt only: webfmt runs again, the others stay cached. The
	// changed tree is loaded from the host, like the module's source, so the
	// engine hashes its content; the change is new on every run, so the
	// engine cannot have seen it.
	changed := t.TempDir()
	if err := os.CopyFS(filepath.Join(changed, "components"), os.DirFS(filepath.Join(repoRoot, "components"))); err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(changed, "components/webfmt/index.js")
	if err := os.WriteFile(index, []byte(fmt.Sprintf("%s\n// changed by TestEngineExamples at %d\n", readFile(t, "components/webfmt/index.js"), time.Now().UnixNano())), 0o644); err != nil {
		t.Fatal(err)
	}
	one := runAll(ctx, t, New(client, client.Host().Directory(changed), p.Workspace, p.Manifests), comps)
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
	ctx, client := enginetest.Connect(t, 30*time.Minute)
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

	// The same image as an AWS Lambda function: a fake Runtime API hands it
	// one Function URL event and keeps the response for the test to read.
	runtimeAPI := client.Container().From(DefaultPythonImage).
		WithNewFile("/api.py", fakeRuntimeAPI).WithExposedPort(9001).
		AsService(dagger.ContainerAsServiceOpts{Args: []string{"python3", "/api.py"}})
	fn := api.Images[0].WithServiceBinding("runtime", runtimeAPI).
		WithEnvVariable("AWS_LAMBDA_RUNTIME_API", "runtime:9001").
		AsService(dagger.ContainerAsServiceOpts{UseEntrypoint: true})
	out, err = client.Container().From(DefaultPythonImage).
		WithServiceBinding("runtime", runtimeAPI).WithServiceBinding("fn", fn).
		WithExec([]string{"python3", "-c", `import time, urllib.request
for _ in range(120):
    try:
        print(urllib.request.urlopen("http://runtime:9001/result", timeout=5).read().decode()); break
    except Exception:
        time.sleep(0.5)`}).Stdout(ctx)
	if err != nil || !strings.Contains(out, `"statusCode":200`) || !strings.Contains(out, `Hallo, Ada!`) {
		t.Errorf("hello-api as a Lambda function answered %q, %v", out, err)
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
	ctx, client := enginetest.Connect(t, 30*time.Minute)
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

// fakeRuntimeAPI is the Lambda Runtime API's invocation protocol, enough
// for one Function URL event: GET .../next hands it out once, POST
// .../response keeps the answer (aws-lambda-go sends it chunked), GET
// /result returns it.
const fakeRuntimeAPI = `import json, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
event = json.dumps({"version": "2.0", "rawPath": "/hello", "rawQueryString": "name=ada&lang=de",
    "requestContext": {"domainName": "x.lambda-url.eu-west-1.on.aws", "http": {"method": "GET", "path": "/hello"}}}).encode()
state = {"given": False, "result": None}
lock = threading.Lock()
class H(BaseHTTPRequestHandler):
    def reply(self, code, body=b"", headers={}):
        self.send_response(code)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == "/result":
            return self.reply(200, state["result"]) if state["result"] else self.reply(404)
        with lock:
            first, state["given"] = not state["given"], True
        if not first:
            time.sleep(3600)
        self.reply(200, event, {"Lambda-Runtime-Aws-Request-Id": "r1", "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + 60000),
            "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:eu-west-1:123456789012:function:hello-api"})
    def do_POST(self):
        if self.headers.get("Transfer-Encoding") == "chunked":
            body = b""
            while size := int(self.rfile.readline().split(b";")[0], 16):
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        state["result"] = self.path.encode() + b" " + body
        self.reply(202)
ThreadingHTTPServer(("0.0.0.0", 9001), H).serve_forever()
`

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

// TestEngineKinds builds a small repository made by the test: a go package
// of a module rooted above it (root go.mod comes along), a custom component
// whose output a docker component copies from its build context, build
// args, and docker test commands that pass and fail.
func TestEngineKinds(t *testing.T) {
	ctx, client := enginetest.Connect(t, 30*time.Minute)
	root := t.TempDir()
	files := map[string]string{
		"go.mod":                  "module example.com/mono\n\ngo 1.26\n",
		"svc/main.go":             "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"svc\") }\n",
		"svc/main_test.go":        "package main\n\nimport \"testing\"\n\nfunc TestMain(t *testing.T) {}\n",
		"svc/component.yaml":      "name: svc\nkind: go\nbuild:\n  main: .\n",
		"tool/component.yaml":     "name: tool\nkind: custom\nbuild:\n  commands: [\"echo made by tool > out.txt\"]\n  outputs: [out.txt]\ntest:\n  commands: [\"grep -q tool out.txt\"]\n",
		"image/Dockerfile":        "FROM debian:bookworm-slim\nARG GREETING\nCOPY .monopipe/deps/tool/out.txt /app/out.txt\nRUN echo \"$GREETING\" > /app/greeting\n",
		"image/component.yaml":    "name: image\nkind: docker\ndependsOn: [tool]\nbuild:\n  args: {GREETING: hi there}\ntest:\n  command: [sh, -c, \"cat /app/greeting /app/out.txt\"]\n",
		"broken/Dockerfile":       "FROM debian:bookworm-slim\n",
		"broken/component.yaml":   "name: broken\nkind: docker\ntest:\n  command: [sh, -c, \"echo checking; echo 'no such thing' >&2; exit 4\"]\n",
		"badbuild/Dockerfile":     "FROM debian:bookworm-slim\nRUN echo compiling; exit 3\n",
		"badbuild/component.yaml": "name: badbuild\nkind: docker\n",
		"unrelated/README.md":     "not a component\n",
		"svc/testdata/input.txt":  "fixture\n",
	}
	comps := map[string]*plan.Component{}
	var order []plan.Component
	for _, name := range []string{"svc", "tool", "image", "broken", "badbuild"} {
		for p, content := range files {
			if strings.HasPrefix(p, name+"/") || !strings.Contains(p, "/") {
				writeFile(t, filepath.Join(root, p), content)
			}
		}
	}
	writeFile(t, filepath.Join(root, "unrelated/README.md"), files["unrelated/README.md"])
	manifests := map[string]*manifest.Component{}
	for _, name := range []string{"svc", "tool", "image", "broken", "badbuild"} {
		m, err := manifest.ParseComponent(name+"/component.yaml", []byte(files[name+"/component.yaml"]))
		if err != nil {
			t.Fatal(err)
		}
		manifests[name] = m
		comps[name] = &plan.Component{Name: name, Dir: m.Dir, Kind: m.Kind, DependsOn: m.DependsOn, Manifest: m}
	}
	for _, name := range []string{"svc", "tool", "image", "broken", "badbuild"} {
		order = append(order, *comps[name])
	}
	b := New(client, client.Host().Directory(root), nil, manifests)
	res, err := run.Run(ctx, order, run.Options{Steps: b.Steps(), Concurrency: 2})
	t.Logf("%s", report.Text(res))
	if err == nil || !strings.Contains(err.Error(), "2 component(s) failed: broken, badbuild") || !strings.Contains(err.Error(), "broken: test failed: exit code 4") {
		t.Errorf("err = %v", err)
	}
	for name, want := range map[string]report.Status{"svc": "success", "tool": "success", "image": "success", "broken": "failure", "badbuild": "failure"} {
		if r := find(t, res, name); r.Status != want {
			t.Errorf("%s = %s, want %s\n%s", name, r.Status, want, r.Log)
		}
	}
	if out := find(t, res, "image").Steps[1].Output; out != "hi there\nmade by tool" {
		t.Errorf("image test output = %q", out)
	}
	if out := find(t, res, "broken").Steps[1].Output; out != "checking\nno such thing" {
		t.Errorf("broken test output = %q", out)
	}
	if s := find(t, res, "badbuild").Steps[0]; s.Error != "exit code 3" || !strings.Contains(s.Output, "compiling") {
		t.Errorf("badbuild build = %+v", s)
	}
	reports, err := Reports(client, res)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := reports.Glob(ctx, "**/*.*")
	if want := "junit.xml logs/badbuild.log logs/broken.log logs/image.log logs/svc.log logs/tool.log results.json summary.md"; err != nil || strings.Join(entries, " ") != want {
		t.Errorf("reports = %v, %v; want %s", entries, err, want)
	}
	if md, err := reports.File("summary.md").Contents(ctx); err != nil || md != report.Summary(res) {
		t.Errorf("summary.md = %q, %v", md, err)
	}

	svc, err := b.Pipeline(ctx, "svc")
	if err != nil {
		t.Fatal(err)
	}
	out, err := svc.Images[0].WithExec(nil, dagger.ContainerWithExecOpts{UseEntrypoint: true}).Stdout(ctx)
	if err != nil || out != "svc\n" {
		t.Errorf("svc image = %q, %v", out, err)
	}
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
