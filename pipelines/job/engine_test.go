package job

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monopipe/monopipe/internal/enginetest"
	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/internal/httpfake"
	"github.com/monopipe/monopipe/pipelines/ghactions"
	"github.com/monopipe/monopipe/pipelines/publish"
	"github.com/monopipe/monopipe/pipelines/trigger"
)

// The tests below run the jobs on a real Dagger engine. They run when
// _EXPERIMENTAL_DAGGER_RUNNER_HOST names a reachable engine and skip
// otherwise.

// engineRepo is a repository with two custom components on Debian: ok
// builds hello.txt and tests it; bad fails its test. Both are published
// to files over HTTP. It returns the repository and the two commits.
func engineRepo(t *testing.T, filesURL string) (*gittest.Repo, string, string) {
	r := gittest.New(t)
	first := r.Commit("workspace", map[string]string{
		"monopipe.yaml": "baseBranch: main\npublish:\n  generic:\n    url: " + filesURL + "/files/{name}/{version}/{file}\n",
	})
	head := r.Commit("two components", map[string]string{
		"ok/component.yaml": `name: ok
kind: custom
build:
  image: debian:bookworm-slim
  commands: ["echo hello from ok > hello.txt"]
  outputs: [hello.txt]
test:
  commands: ["grep -q hello hello.txt"]
`,
		"ok/VERSION": "1.0.0\n",
		"bad/component.yaml": `name: bad
kind: custom
build:
  image: debian:bookworm-slim
  commands: ["true"]
test:
  commands: ["echo boom; exit 3"]
`,
	})
	r.Git("remote", "add", "origin", "https://github.com/o/r.git")
	return r, first, head
}

// TestEngineCI runs ci for a push to the base branch: ok is built, tested
// and published; bad fails its test and is not published; ci itself does
// not fail; the statuses reach GitHub; the report directory exports.
func TestEngineCI(t *testing.T) {
	ctx, client := enginetest.Connect(t, 20*time.Minute)
	files := httpfake.NewStore(t, "http-SECRET-token")

	fake := &fakeGitHub{}
	ghSrv := httptest.NewServer(fake)
	t.Cleanup(ghSrv.Close)
	r, first, head := engineRepo(t, files.URL)
	var log bytes.Buffer
	secrets := Secrets{GitHubToken: token, Publish: publish.Secrets{HTTPToken: "http-SECRET-token"}}

	start := time.Now()
	rep, err := CI(ctx, client, client.Host().Directory(r.Dir), CIOptions{
		Values:    trigger.Values{Base: first, Head: head, Branch: "main", Repo: "o/r"},
		RunURL:    "https://ci.example/1",
		Secrets:   secrets,
		GitHubAPI: ghSrv.URL,
		Log:       &log,
	})
	if err != nil {
		t.Fatalf("ci: %v\n%s", err, log.String())
	}
	t.Logf("ci took %s\n%s", time.Since(start).Round(10*time.Millisecond), rep.Files["summary.md"])
	res := rep.Result.Results
	if len(res.Components) != 2 {
		t.Fatalf("components %+v", res.Components)
	}
	steps := map[string]string{}
	for _, c := range res.Components {
		for _, s := range c.Steps {
			steps[c.Name+" "+s.Name] = string(s.Status)
		}
	}
	want := map[string]string{"ok build": "success", "ok test": "success", "ok publish": "success", "ok deploy": "skipped",
		"bad build": "success", "bad test": "failure", "bad publish": "skipped", "bad deploy": "skipped"}
	for k, v := range want {
		if steps[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, steps[k], v, steps)
		}
	}
	if got := files.File("/files/ok/" + head[:7] + "/hello.txt"); got != "hello from ok\n" {
		t.Errorf("published file holds %q", got)
	}
	if !strings.Contains(string(rep.Files[ghactions.OutputFile]), "\nfailure\n") {
		t.Errorf("github-output:\n%s", rep.Files[ghactions.OutputFile])
	}
	var states []string
	for _, q := range fake.take() {
		states = append(states, q.Body["context"].(string)+"="+q.Body["state"].(string))
	}
	if strings.Join(states, " ") != "monopipe/bad=pending monopipe/ok=pending monopipe/bad=failure monopipe/ok=success" &&
		strings.Join(states, " ") != "monopipe/ok=pending monopipe/bad=pending monopipe/ok=success monopipe/bad=failure" {
		t.Errorf("statuses %v", states)
	}

	out := t.TempDir()
	if _, err := rep.Directory(client).Export(ctx, out); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"summary.md", "results.json", "junit.xml", "logs/ok.log", "logs/bad.log", "step-summary.md", "github-output", "annotations.txt"} {
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Errorf("exported report: %v", err)
		}
		for _, s := range secrets.values() {
			if s != "" && bytes.Contains(data, []byte(s)) {
				t.Errorf("%s shows a secret", name)
			}
		}
	}
	if strings.Contains(log.String(), token) {
		t.Error("the log shows the token")
	}
}

// TestEngineRelease releases ok/v1.0.0: built and tested at the tag,
// published under its version, and the GitHub release created with notes.
func TestEngineRelease(t *testing.T) {
	ctx, client := enginetest.Connect(t, 20*time.Minute)
	files := httpfake.NewStore(t, "") // the release publishes without a token

	var releases []map[string]any
	ghSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch {
		case req.Method == http.MethodGet && req.URL.EscapedPath() == "/repos/o/r/releases/tags/ok%2Fv1.0.0":
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		case req.Method == http.MethodPost && req.URL.Path == "/repos/o/r/releases":
			var body map[string]any
			json.NewDecoder(req.Body).Decode(&body)
			releases = append(releases, body)
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(map[string]any{"id": 1, "html_url": "https://github.com/o/r/releases/tag/ok/v1.0.0"})
		default:
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(ghSrv.Close)
	r, _, _ := engineRepo(t, files.URL)
	r.Git("tag", "ok/v1.0.0")
	r.Git("tag", "ok/v2.0.0") // the VERSION file says 1.0.0
	var log bytes.Buffer
	rep, err := Release(ctx, client, client.Host().Directory(r.Dir), ReleaseOptions{Tag: "ok/v1.0.0", Secrets: Secrets{GitHubToken: token},
		GitHubAPI: ghSrv.URL, Log: &log})
	if err != nil {
		t.Fatalf("release: %v\n%s", err, log.String())
	}
	if got := files.File("/files/ok/1.0.0/hello.txt"); got != "hello from ok\n" {
		t.Errorf("published file holds %q", got)
	}
	if len(releases) != 1 || releases[0]["tag_name"] != "ok/v1.0.0" || releases[0]["name"] != "ok 1.0.0" {
		t.Errorf("releases %v", releases)
	}
	if s := string(rep.Files["summary.md"]); !strings.Contains(s, "### Release notes") || !strings.Contains(s, "GitHub release: https://github.com/o/r/releases/tag/ok/v1.0.0") {
		t.Errorf("summary:\n%s", s)
	}

	// A version mismatch fails before anything is built.
	_, err = Release(ctx, client, client.Host().Directory(r.Dir), ReleaseOptions{Tag: "ok/v2.0.0", Secrets: Secrets{GitHubToken: token}, GitHubAPI: ghSrv.URL, Log: &log})
	if err == nil || !strings.Contains(err.Error(), "version mismatch") {
		t.Errorf("mismatch: %v", err)
	}
}
