package job

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monopipe/monopipe/pipelines/detect"
)

// fakeDeployments is GitHub's deployments API for one repository: it
// checks each request's method, path and token and records, in order,
// what was created and every status set.
type fakeDeployments struct {
	t     *testing.T
	token string
	mu    sync.Mutex
	calls []string
}

func (f *fakeDeployments) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if got := r.Header.Get("Authorization"); got != "Bearer "+f.token {
		f.t.Errorf("%s %s: Authorization %q", r.Method, r.URL.Path, got)
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.Method != http.MethodPost {
		f.t.Errorf("%s %s: want a POST with a JSON body (%v)", r.Method, r.URL.Path, err)
	}
	switch {
	case r.URL.Path == "/repos/acme/shop/deployments":
		payload, _ := body["payload"].(map[string]any)
		f.calls = append(f.calls, fmt.Sprintf("create %v %v %v from=%v", body["environment"], body["task"], detect.ShortID(fmt.Sprint(body["ref"])), payload["from"]))
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id": %d}`, len(f.calls))
	case strings.HasPrefix(r.URL.Path, "/repos/acme/shop/deployments/") && strings.HasSuffix(r.URL.Path, "/statuses"):
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/repos/acme/shop/deployments/"), "/statuses")
		f.calls = append(f.calls, fmt.Sprintf("status %s %v log=%v: %v", id, body["state"], body["log_url"], body["description"]))
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id": 1}`)
	default:
		f.t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
	}
}

// TestGitHubDeployments promotes and rolls back with a GitHub target: each
// becomes a deployment of <env>/<component> at the deployed commit, in
// progress, then success; a refused promotion ends as a failure whose
// description says why. No request or output shows the token.
func TestGitHubDeployments(t *testing.T) {
	const token = "ghs_SECRETdeploymentTOKEN42"
	fake := &fakeDeployments{t: t, token: token}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	w := newEnvWorld(t)
	ctx := context.Background()
	c1 := w.repo.Git("rev-parse", "HEAD")
	w.newImage()
	if rep := w.deployDev(false); rep.Err != nil {
		t.Fatal(rep.Err)
	}
	gh := GitHubTarget{Repo: "acme/shop", API: srv.URL, RunURL: "https://ci.example/run/7", Token: token}
	var log bytes.Buffer
	if _, err := PromoteDir(ctx, w.repo.Dir, PromoteOptions{Component: "api", From: "dev", To: "staging", Secrets: w.secrets, GitHub: gh, Log: &log, retryDelay: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	c2 := w.repo.Commit("two", map[string]string{"api/main.go": "package main\n\nfunc main() { println() }\n"})
	w.newImage()
	if rep := w.deployDev(false); rep.Err != nil {
		t.Fatal(rep.Err)
	}
	if _, err := PromoteDir(ctx, w.repo.Dir, PromoteOptions{Component: "api", From: "dev", To: "staging", Secrets: w.secrets, GitHub: gh, Log: &log, retryDelay: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	// Dev rolls back to c1; promoting that over staging's c2 is refused.
	if _, err := RollbackDir(ctx, w.repo.Dir, RollbackOptions{Component: "api", Env: "dev", Secrets: w.secrets, GitHub: gh, Log: &log, retryDelay: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	_, err := PromoteDir(ctx, w.repo.Dir, PromoteOptions{Component: "api", From: "dev", To: "staging", Secrets: w.secrets, GitHub: gh, Log: &log, retryDelay: 10 * time.Millisecond})
	if err == nil {
		t.Fatal("promoting dev's older commit over staging's newer one worked")
	}
	want := []string{
		"create staging/api deploy:api " + detect.ShortID(c1) + " from=dev",
		"status 1 in_progress log=https://ci.example/run/7: promoted from dev",
		"status 1 success log=https://ci.example/run/7: ",
		"create staging/api deploy:api " + detect.ShortID(c2) + " from=dev",
		"status 4 in_progress log=https://ci.example/run/7: promoted from dev",
		"status 4 success log=https://ci.example/run/7: ",
		"create dev/api deploy:api " + detect.ShortID(c1) + " from=<nil>",
		"status 7 in_progress log=https://ci.example/run/7: deploy api",
		"status 7 success log=https://ci.example/run/7: ",
		"create staging/api deploy:api " + detect.ShortID(c1) + " from=dev",
		"status 10 in_progress log=https://ci.example/run/7: promoted from dev",
		"status 10 failure log=https://ci.example/run/7: deploy api: lambda api-staging: refusing to deploy commit " + c1[:12],
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.calls) != len(want) {
		t.Fatalf("GitHub saw:\n%s\nwant:\n%s", strings.Join(fake.calls, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(fake.calls[i], want[i]) {
			t.Errorf("request %d: %q, want %q...", i, fake.calls[i], want[i])
		}
	}
	if strings.Contains(strings.Join(fake.calls, "\n")+log.String()+err.Error(), token) {
		t.Error("the token shows")
	}
}
