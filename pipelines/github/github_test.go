package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monopipe/monopipe/pipelines/report"
)

const (
	token = "ghs_TESTTOKEN_d41d8cd98f00b204e9800998ecf8427e"
	sha   = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
)

// exchange is one request the fake GitHub expects and its answer.
type exchange struct {
	method, path string // path as sent, escaped
	query        string // raw query, "" when none
	body         string // JSON the request must carry, "" for none
	status       int
	reply        string // JSON answer; "{{next}}" becomes the server URL
	link         string // Link header path for the next page ("" when none)
	accept       string // Accept header the request must carry ("" = acceptV3)
}

// The Accept headers go-github sends: v3 by default, the reactions preview
// when listing comments, the deployment previews for deployments.
const (
	acceptV3       = "application/vnd.github.v3+json"
	acceptComments = "application/vnd.github.squirrel-girl-preview"
)

// fakeGitHub serves exchanges in order and fails the test on any request
// that differs from the next expected one in method, path, query, JSON
// body (and its Content-Type), or Authorization, Accept or API version
// header.
func fakeGitHub(t *testing.T, want []exchange) *httptest.Server {
	t.Helper()
	var mu sync.Mutex
	i := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if i >= len(want) {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			http.Error(w, `{"message":"unexpected"}`, http.StatusTeapot)
			return
		}
		x := want[i]
		i++
		if r.Method != x.method || r.URL.EscapedPath() != x.path || r.URL.RawQuery != x.query {
			t.Errorf("request %d: got %s %s?%s, want %s %s?%s", i, r.Method, r.URL.EscapedPath(), r.URL.RawQuery, x.method, x.path, x.query)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+token {
			t.Errorf("request %d: Authorization = %q", i, got)
		}
		accept := x.accept
		if accept == "" {
			accept = acceptV3
		}
		if got := r.Header.Get("Accept"); got != accept {
			t.Errorf("request %d: Accept = %q, want %q", i, got, accept)
		}
		if got := r.Header.Get("X-GitHub-Api-Version"); got != "2022-11-28" {
			t.Errorf("request %d: X-GitHub-Api-Version = %q", i, got)
		}
		if got := r.Header.Get("Content-Type"); x.body != "" && got != "application/json" {
			t.Errorf("request %d: Content-Type = %q", i, got)
		}
		body, _ := io.ReadAll(r.Body)
		if x.body == "" {
			if len(bytes.TrimSpace(body)) != 0 {
				t.Errorf("request %d: unexpected body %s", i, body)
			}
		} else {
			var got, exp any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Errorf("request %d: body is not JSON: %v: %s", i, err, body)
			}
			if err := json.Unmarshal([]byte(x.body), &exp); err != nil {
				t.Fatalf("bad expectation %s: %v", x.body, err)
			}
			if !reflect.DeepEqual(got, exp) {
				t.Errorf("request %d %s %s: body\n got %s\nwant %s", i, r.Method, r.URL.Path, body, x.body)
			}
		}
		if x.link != "" {
			w.Header().Set("Link", fmt.Sprintf(`<http://%s%s>; rel="next"`, r.Host, x.link))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(x.status)
		io.WriteString(w, x.reply)
	}))
	t.Cleanup(func() {
		srv.Close()
		if i != len(want) {
			t.Errorf("served %d of %d expected requests", i, len(want))
		}
	})
	return srv
}

func client(t *testing.T, srv *httptest.Server) *Client {
	t.Helper()
	c, err := New(Options{Token: token, Owner: "acme", Repo: "mono", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func statusReq(component, state, desc string) exchange {
	body := fmt.Sprintf(`{"state":%q,"context":"monopipe/%s","description":%q,"target_url":"https://ci.example/run/1"}`, state, component, desc)
	return exchange{method: "POST", path: "/repos/acme/mono/statuses/" + sha, body: body, status: 201, reply: `{"id":1}`}
}

func TestSetStatuses(t *testing.T) {
	long := strings.Repeat("x", 200)
	res := &report.Results{Components: []report.Component{
		{Name: "api", Status: report.StatusSuccess, Duration: 1234 * time.Millisecond, Cached: true,
			Steps: []report.Step{{Name: "build", Status: report.StatusSuccess, Cached: true}}},
		{Name: "web", Status: report.StatusFailure, Steps: []report.Step{
			{Name: "build", Status: report.StatusSuccess},
			{Name: "test", Status: report.StatusFailure, Error: "npm test exited 1:\n" + long},
		}},
		{Name: "svc", Status: report.StatusSkipped, Steps: []report.Step{{Name: "build", Status: report.StatusSkipped, Error: "dependency web failed"}}},
	}}
	webDesc := OneLine("failed: test: npm test exited 1: " + long)
	tests := []struct {
		name     string
		statuses []Status
		want     []exchange
	}{
		{
			name:     "planned components are pending",
			statuses: Planned([]string{"api", "web"}, "https://ci.example/run/1"),
			want:     []exchange{statusReq("api", "pending", "planned: waiting to build"), statusReq("web", "pending", "planned: waiting to build")},
		},
		{
			name:     "results: success, failure, skipped reported as success",
			statuses: Finished(res, "https://ci.example/run/1"),
			want: []exchange{
				statusReq("api", "success", "passed in 1.2s (cached)"),
				statusReq("web", "failure", webDesc),
				statusReq("svc", "success", "skipped: build: dependency web failed"),
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeGitHub(t, tc.want)
			if err := client(t, srv).SetStatuses(context.Background(), sha, tc.statuses); err != nil {
				t.Fatal(err)
			}
		})
	}
	if n := len([]rune(webDesc)); n != MaxDescription || strings.Contains(webDesc, "\n") {
		t.Errorf("description has %d characters (want %d) or a newline: %q", n, MaxDescription, webDesc)
	}
}

func TestUpsertComment(t *testing.T) {
	const list = "/repos/acme/mono/issues/7/comments"
	body := "## monopipe\nall green"
	full := CommentMarker + "\n" + body
	tests := []struct {
		name   string
		want   []exchange
		wantID int64
	}{
		{
			name: "no comment yet: read every page, then create",
			want: []exchange{
				{method: "GET", path: list, accept: acceptComments, query: "per_page=100", status: 200, reply: `[{"id":1,"body":"LGTM"}]`, link: list + "?page=2&per_page=100"},
				{method: "GET", path: list, accept: acceptComments, query: "page=2&per_page=100", status: 200, reply: `[{"id":2,"body":"mentions monopipe but no marker"}]`},
				{method: "POST", path: list, body: fmt.Sprintf(`{"body":%q}`, full), status: 201, reply: `{"id":99}`},
			},
			wantID: 99,
		},
		{
			name: "comment on the second page: edit it in place",
			want: []exchange{
				{method: "GET", path: list, accept: acceptComments, query: "per_page=100", status: 200, reply: `[{"id":1,"body":"LGTM"}]`, link: list + "?page=2&per_page=100"},
				{method: "GET", path: list, accept: acceptComments, query: "page=2&per_page=100", status: 200, reply: fmt.Sprintf(`[{"id":77,"body":%q}]`, CommentMarker+"\nold")},
				{method: "PATCH", path: "/repos/acme/mono/issues/comments/77", body: fmt.Sprintf(`{"body":%q}`, full), status: 200, reply: `{"id":77}`},
			},
			wantID: 77,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeGitHub(t, tc.want)
			id, err := client(t, srv).UpsertComment(context.Background(), 7, body)
			if err != nil {
				t.Fatal(err)
			}
			if id != tc.wantID {
				t.Errorf("comment id = %d, want %d", id, tc.wantID)
			}
		})
	}
}

func TestUpsertRelease(t *testing.T) {
	const byTag = "/repos/acme/mono/releases/tags/api%2Fv1.2.3"
	rel := Release{Tag: "api/v1.2.3", Name: "api 1.2.3", Body: "- Fix (abc, Ada)\n"}
	tests := []struct {
		name    string
		want    []exchange
		wantURL string
	}{
		{
			name: "new release",
			want: []exchange{
				{method: "GET", path: byTag, status: 404, reply: `{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`},
				{method: "POST", path: "/repos/acme/mono/releases", status: 201, reply: `{"id":5,"html_url":"https://github.com/acme/mono/releases/tag/api/v1.2.3"}`,
					body: `{"tag_name":"api/v1.2.3","name":"api 1.2.3","body":"- Fix (abc, Ada)\n","prerelease":false}`},
			},
			wantURL: "https://github.com/acme/mono/releases/tag/api/v1.2.3",
		},
		{
			name: "release exists: update it",
			want: []exchange{
				{method: "GET", path: byTag, status: 200, reply: `{"id":9,"tag_name":"api/v1.2.3","name":"old"}`},
				{method: "PATCH", path: "/repos/acme/mono/releases/9", status: 200, reply: `{"id":9,"html_url":"https://github.com/acme/mono/releases/tag/api/v1.2.3"}`,
					body: `{"name":"api 1.2.3","body":"- Fix (abc, Ada)\n","prerelease":false}`},
			},
			wantURL: "https://github.com/acme/mono/releases/tag/api/v1.2.3",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeGitHub(t, tc.want)
			u, err := client(t, srv).UpsertRelease(context.Background(), rel)
			if err != nil {
				t.Fatal(err)
			}
			if u != tc.wantURL {
				t.Errorf("url = %q, want %q", u, tc.wantURL)
			}
		})
	}
}

// TestErrorsHideToken makes the fake GitHub echo the Authorization header
// in its error message, then checks errors and warnings never show it.
func TestErrorsHideToken(t *testing.T) {
	echo := func(op string) exchange {
		return exchange{status: 500, reply: fmt.Sprintf(`{"message":"%s failed; you sent Bearer %s"}`, op, token)}
	}
	tests := []struct {
		name string
		call func(c *Client) error
		want []exchange
		op   string
		code int
	}{
		{
			name: "status",
			call: func(c *Client) error {
				return c.SetStatuses(context.Background(), sha, []Status{{Component: "api", State: StatePending, Description: "planned"}})
			},
			want: []exchange{{method: "POST", path: "/repos/acme/mono/statuses/" + sha, body: `{"state":"pending","context":"monopipe/api","description":"planned"}`}},
			op:   "set status monopipe/api", code: 500,
		},
		{
			name: "comment",
			call: func(c *Client) error { _, err := c.UpsertComment(context.Background(), 3, "x"); return err },
			want: []exchange{{method: "GET", path: "/repos/acme/mono/issues/3/comments", query: "per_page=100", accept: acceptComments}},
			op:   "list comments of pull request", code: 500,
		},
		{
			name: "release lookup forbidden is not a missing release",
			call: func(c *Client) error {
				_, err := c.UpsertRelease(context.Background(), Release{Tag: "v1.0.0"})
				return err
			},
			want: []exchange{{method: "GET", path: "/repos/acme/mono/releases/tags/v1.0.0"}},
			op:   "get release v1.0.0", code: 403,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := echo(tc.op)
			tc.want[0].status, tc.want[0].reply = tc.code, x.reply
			c := client(t, fakeGitHub(t, tc.want))
			err := tc.call(c)
			var ge *Error
			if !errors.As(err, &ge) || ge.StatusCode != tc.code || ge.Op != tc.op {
				t.Fatalf("error = %#v, want *Error with op %q and status %d", err, tc.op, tc.code)
			}
			var log bytes.Buffer
			if got := Warn.Handle(err, &log); got != nil {
				t.Errorf("Warn.Handle returned %v, want nil", got)
			}
			if got := Fail.Handle(err, &log); got != err {
				t.Errorf("Fail.Handle returned %v, want the error", got)
			}
			for what, s := range map[string]string{"error": err.Error(), "warning": log.String()} {
				if strings.Contains(s, token) || !strings.Contains(s, "***") {
					t.Errorf("%s shows the token or was not scrubbed: %s", what, s)
				}
			}
		})
	}
}

func TestNewAndPolicy(t *testing.T) {
	if _, err := New(Options{Owner: "a", Repo: "b"}); err == nil || !strings.Contains(err.Error(), "no token") {
		t.Errorf("New without token: %v", err)
	}
	if _, err := New(Options{Token: token, Owner: "a"}); err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("New without repo: %v", err)
	}
	for in, want := range map[string]Policy{"": Warn, "warn": Warn, "fail": Fail} {
		if got, err := ParsePolicy(in); err != nil || got != want {
			t.Errorf("ParsePolicy(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParsePolicy("ignore"); err == nil {
		t.Error("ParsePolicy(ignore) gave no error")
	}
}

// TestEnterpriseServer: on GitHub Enterprise Server the API root is
// https://HOST/api/v3 ($GITHUB_API_URL, no trailing slash); every request
// goes below it, and uploads below https://HOST/api/uploads/.
func TestEnterpriseServer(t *testing.T) {
	srv := fakeGitHub(t, []exchange{{
		method: "POST", path: "/api/v3/repos/acme/mono/statuses/" + sha,
		body:   `{"state":"pending","context":"monopipe/api","description":"planned: waiting to build","target_url":"https://ci.example/run/1"}`,
		status: 201, reply: `{"id":1}`,
	}})
	c, err := New(Options{Token: token, Owner: "acme", Repo: "mono", BaseURL: srv.URL + "/api/v3"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.gh.UploadURL.String(), srv.URL+"/api/uploads/"; got != want {
		t.Errorf("upload URL = %s, want %s", got, want)
	}
	if err := c.SetStatuses(context.Background(), sha, Planned([]string{"api"}, "https://ci.example/run/1")); err != nil {
		t.Fatal(err)
	}
}
