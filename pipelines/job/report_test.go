package job

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monopipe/monopipe/pipelines/awsconf"
	"github.com/monopipe/monopipe/pipelines/ghactions"
	"github.com/monopipe/monopipe/pipelines/github"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/publish"
	"github.com/monopipe/monopipe/pipelines/report"
	"github.com/monopipe/monopipe/pipelines/trigger"
)

const token = "ghp_SECRETtoken0123456789"

var testSecrets = Secrets{GitHubToken: token, Publish: publish.Secrets{RegistryPassword: "registry-SECRET-pw", NPMToken: "npm_SECRET",
	AWS: awsconf.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "aws/SECRET/key"}}}

// results is a run of two components: api passed, web failed printing
// the GitHub token and the AWS key (as a leaky tool would).
func results() (*plan.Plan, *report.Results) {
	p := &plan.Plan{Base: "aaa", Head: "bbb", Reason: "2 components changed", Components: []plan.Component{
		{Name: "api", Dir: "services/api", Kind: "go"}, {Name: "web", Dir: "web", Kind: "node"}}}
	res := &report.Results{Base: "aaa", Head: "bbb", Components: []report.Component{
		{Name: "api", Kind: "go", Dir: "services/api", Status: report.StatusSuccess, Duration: time.Second,
			Steps: []report.Step{{Name: "build", Status: report.StatusSuccess}}},
		{Name: "web", Kind: "node", Dir: "web", Status: report.StatusFailure,
			Steps: []report.Step{{Name: "test", Status: report.StatusFailure, Error: "exit code 1",
				Output: "curl -H 'Authorization: token " + token + "'\nkey=aws/SECRET/key"}},
			Log: "token " + token},
	}}
	return p, res
}

// TestNewReport checks the report files: every file is there, notes reach
// the summaries and the annotations, and no secret survives anywhere.
func TestNewReport(t *testing.T) {
	p, res := results()
	d := trigger.Decision{Action: trigger.ActionBuild, Reason: "push to main"}
	rep, err := newReport(d, &Result{Plan: p, Results: res}, "\n### Release notes\n", []string{"GitHub reporting failed: 502 for " + token}, testSecrets)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"summary.md", "results.json", "junit.xml", "logs/web.log", "logs/api.log",
		ghactions.SummaryFile, ghactions.OutputFile, ghactions.AnnotationsFile} {
		if _, ok := rep.Files[name]; !ok {
			t.Errorf("no %s in %v", name, rep.Files)
		}
	}
	for name, data := range rep.Files {
		for _, s := range testSecrets.values() {
			if s != "" && bytes.Contains(data, []byte(s)) {
				t.Errorf("%s shows a secret:\n%s", name, data)
			}
		}
	}
	for name, want := range map[string]string{
		ghactions.OutputFile:      "status<<",
		ghactions.AnnotationsFile: "::warning title=monopipe::GitHub reporting failed: 502 for ***",
		ghactions.SummaryFile:     "**Trigger:** push to main",
		"summary.md":              "### Release notes\n\n### Warnings\n\n- GitHub reporting failed",
	} {
		if !strings.Contains(string(rep.Files[name]), want) {
			t.Errorf("%s lacks %q:\n%s", name, want, rep.Files[name])
		}
	}
	var parsed struct {
		Components []struct{ Name, Status string }
	}
	if err := json.Unmarshal(rep.Files["results.json"], &parsed); err != nil || len(parsed.Components) != 2 || parsed.Components[1].Status != "failure" {
		t.Errorf("results.json: %v %+v", err, parsed)
	}
	if !strings.Contains(string(rep.Files[ghactions.OutputFile]), "\nfailure\n") {
		t.Errorf("github-output does not say failure:\n%s", rep.Files[ghactions.OutputFile])
	}

	// Nothing built (a deleted branch): the files are there and say success.
	none, err := newReport(trigger.Decision{Action: trigger.ActionNone, Reason: "deleted"}, nil, "", nil, testSecrets)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(none.Files[ghactions.OutputFile]), "\nsuccess\n") || !strings.Contains(string(none.Files["results.json"]), `"components": []`) {
		t.Errorf("empty report:\n%s\n%s", none.Files[ghactions.OutputFile], none.Files["results.json"])
	}
}

// request is one API call the fake GitHub received.
type request struct {
	Method, Path string
	Body         map[string]any
}

// fakeGitHub answers the documented REST API of statuses and issue
// comments, records every request, and fails statuses on demand.
type fakeGitHub struct {
	mu           sync.Mutex
	reqs         []request
	comments     []map[string]any
	failStatuses bool
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+token {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	var body map[string]any
	data, _ := io.ReadAll(r.Body)
	if len(data) > 0 {
		json.Unmarshal(data, &body)
	}
	f.reqs = append(f.reqs, request{Method: r.Method, Path: r.URL.Path, Body: body})
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/repos/o/r/statuses/"):
		if f.failStatuses {
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, `{"message":"Server Error"}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(body)
	case r.Method == http.MethodGet && r.URL.Path == "/repos/o/r/issues/3/comments":
		json.NewEncoder(w).Encode(f.comments)
	case r.Method == http.MethodPost && r.URL.Path == "/repos/o/r/issues/3/comments":
		body["id"] = float64(100 + len(f.comments))
		f.comments = append(f.comments, body)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(body)
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/repos/o/r/issues/comments/"):
		f.comments[0]["body"] = body["body"]
		json.NewEncoder(w).Encode(f.comments[0])
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeGitHub) take() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.reqs
	f.reqs = nil
	return r
}

// TestGHReporter runs the statuses and comment of a pull request twice
// (the comment is created, then edited in place), then with a failing
// statuses API: a note, not an error.
func TestGHReporter(t *testing.T) {
	fake := &fakeGitHub{}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client, err := github.New(github.Options{Token: token, Owner: "o", Repo: "r", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, res := results()
	var log bytes.Buffer
	const runURL = "https://ci.example/run/1"
	gh := &ghReporter{gh: client, sha: "bbb", pr: 3, runURL: runURL, log: &log}

	gh.planned(ctx, p)
	got := fake.take()
	if len(got) != 2 {
		t.Fatalf("planned: %d requests, want 2: %+v", len(got), got)
	}
	want := request{Method: "POST", Path: "/repos/o/r/statuses/bbb", Body: map[string]any{
		"state": "pending", "context": "monopipe/api", "description": "planned: waiting to build", "target_url": runURL}}
	if fmt.Sprint(got[0]) != fmt.Sprint(want) {
		t.Errorf("planned status\n got %+v\nwant %+v", got[0], want)
	}

	for run := 1; run <= 2; run++ {
		gh.finished(ctx, p, res)
		got = fake.take()
		methods := make([]string, len(got))
		for i, r := range got {
			methods[i] = r.Method + " " + r.Path
		}
		wantMethods := "[POST /repos/o/r/statuses/bbb POST /repos/o/r/statuses/bbb GET /repos/o/r/issues/3/comments POST /repos/o/r/issues/3/comments]"
		if run == 2 {
			wantMethods = "[POST /repos/o/r/statuses/bbb POST /repos/o/r/statuses/bbb GET /repos/o/r/issues/3/comments PATCH /repos/o/r/issues/comments/100]"
		}
		if fmt.Sprint(methods) != wantMethods {
			t.Fatalf("run %d requests\n got %v\nwant %s", run, methods, wantMethods)
		}
		if s := got[1].Body; s["state"] != "failure" || s["context"] != "monopipe/web" || s["description"] != "failed: test: exit code 1" {
			t.Errorf("final status of web: %v", s)
		}
		body, _ := got[3].Body["body"].(string)
		if !strings.HasPrefix(body, github.CommentMarker) || !strings.Contains(body, "web") || !strings.Contains(body, "[Run]("+runURL+")") {
			t.Errorf("comment body:\n%s", body)
		}
	}
	if len(fake.comments) != 1 || len(gh.warnings) != 0 {
		t.Fatalf("%d comments, notes %v", len(fake.comments), gh.warnings)
	}

	// A failing API: each failure is a note and a warning; nothing fails.
	fake.failStatuses = true
	gh.finished(ctx, p, res)
	if len(gh.warnings) != 1 || !strings.Contains(gh.warnings[0], "GitHub reporting failed (the build result stands)") ||
		!strings.Contains(gh.warnings[0], "502") || !strings.Contains(log.String(), "warning: GitHub reporting failed") {
		t.Fatalf("notes %q\nlog %s", gh.warnings, log.String())
	}
	if strings.Contains(log.String()+strings.Join(gh.warnings, ""), token) {
		t.Error("the token leaked into the log or notes")
	}
	// The build stays green in the report.
	green := &report.Results{Components: res.Components[:1]}
	rep, err := newReport(trigger.Decision{Action: trigger.ActionBuild}, &Result{Plan: p, Results: green}, "", gh.warnings, testSecrets)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rep.Files[ghactions.OutputFile]), "\nsuccess\n") {
		t.Errorf("a GitHub failure turned the build red:\n%s", rep.Files[ghactions.OutputFile])
	}
}

func TestSecretsString(t *testing.T) {
	for _, s := range []string{fmt.Sprint(testSecrets), fmt.Sprintf("%+v", testSecrets), fmt.Sprintf("%#v", testSecrets)} {
		for _, v := range testSecrets.values() {
			if v != "" && strings.Contains(s, v) {
				t.Errorf("%q shows %q", s, v)
			}
		}
	}
	if err := testSecrets.scrub(fmt.Errorf("push: 401 for %s", testSecrets.Publish.RegistryPassword)); err.Error() != "push: 401 for ***" {
		t.Errorf("scrub: %v", err)
	}
}

// TestNewReportScrubsEncodings: the report files and errors hide a
// registry login echoed as basic auth, the AWS key URL-encoded and the
// GitHub token in git's x-access-token form.
func TestNewReportScrubsEncodings(t *testing.T) {
	s := testSecrets
	s.Publish.RegistryUsername = "robot"
	p, res := results()
	leaks := map[string]string{
		"basic auth":       base64.StdEncoding.EncodeToString([]byte("robot:registry-SECRET-pw")),
		"url-encoded key":  url.QueryEscape("aws/SECRET/key"),
		"git token header": base64.StdEncoding.EncodeToString([]byte("x-access-token:" + token)),
	}
	var out strings.Builder
	for name, v := range leaks {
		fmt.Fprintf(&out, "%s: %s\n", name, v)
	}
	res.Components[1].Log += out.String()
	res.Components[1].Steps[0].Output += out.String()
	rep, err := newReport(trigger.Decision{Action: trigger.ActionBuild, Reason: "push"}, &Result{Plan: p, Results: res}, "", nil, s)
	if err != nil {
		t.Fatal(err)
	}
	scrubbed := s.scrub(errors.New(out.String())).Error()
	for name, v := range leaks {
		for file, data := range rep.Files {
			if bytes.Contains(data, []byte(v)) {
				t.Errorf("%s shows the %s", file, name)
			}
		}
		if strings.Contains(scrubbed, v) {
			t.Errorf("scrubbed error shows the %s", name)
		}
	}
}
