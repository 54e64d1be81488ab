package job

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/internal/wanterr"
	"github.com/monopipe/monopipe/pipelines/build"
	"github.com/monopipe/monopipe/pipelines/github"
)

func TestRepoFromURL(t *testing.T) {
	for _, tc := range []struct{ url, want, wantErr string }{
		{url: "https://github.com/acme/mono", want: "acme/mono"},
		{url: "https://github.com/acme/mono.git", want: "acme/mono"},
		{url: "git@github.com:acme/mono.git", want: "acme/mono"},
		{url: "ssh://git@github.com/acme/mono", want: "acme/mono"},
		{url: "https://x-access-token:ghs_SECRET@github.com/acme/mono.git", want: "acme/mono"},
		{url: "/srv/git/mono", wantErr: "names no owner/name"},
		{url: "https://x:ghs_SECRET@example.com/a/b/c", wantErr: "names no owner/name"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			got, err := repoFromURL(tc.url)
			if wanterr.Check(t, err, tc.wantErr) {
				if strings.Contains(err.Error(), "SECRET") {
					t.Errorf("the URL's credential shows: %v", err)
				}
				return
			}
			if got != tc.want {
				t.Fatalf("repoFromURL = %q, want %q", got, tc.want)
			}
		})
	}
}

// releaseRepo is a repository with one component, api, at version 1.2.0,
// tagged api/v1.2.0 (and, wrongly, api/v1.3.0 and api/v1.2), with a GitHub
// origin.
func releaseRepo(t *testing.T) *gittest.Repo {
	r := gittest.New(t)
	r.Commit("workspace", map[string]string{"monopipe.yaml": "baseBranch: main\n"})
	r.Commit("api 1.2.0", map[string]string{"services/api/component.yaml": "name: api\nkind: go\n", "services/api/VERSION": "1.2.0\n"})
	for _, tag := range []string{"api/v1.2.0", "api/v1.3.0", "api/v1.2", "web/v1.0.0"} {
		r.Git("tag", tag)
	}
	r.Git("remote", "add", "origin", "https://github.com/acme/mono.git")
	return r
}

// TestPrepare checks what a release checks before it builds, over a real
// git repository.
func TestPrepare(t *testing.T) {
	r := releaseRepo(t)
	withToken := Secrets{GitHubToken: token}
	for _, tc := range []struct {
		name    string
		o       ReleaseOptions
		wantGH  bool
		wantErr string
	}{
		{name: "release with a token", o: ReleaseOptions{Tag: "api/v1.2.0", Secrets: withToken}, wantGH: true},
		{name: "repository flag", o: ReleaseOptions{Tag: "api/v1.2.0", Repo: "acme/other", Secrets: withToken}, wantGH: true},
		{name: "dry run needs no token", o: ReleaseOptions{Tag: "api/v1.2.0", DryRun: true}},
		{name: "no token", o: ReleaseOptions{Tag: "api/v1.2.0"}, wantErr: "needs --github-token"},
		{name: "bad repository flag", o: ReleaseOptions{Tag: "api/v1.2.0", Repo: "mono", Secrets: withToken}, wantErr: `repository "mono": want owner/name`},
		{name: "version mismatch", o: ReleaseOptions{Tag: "api/v1.3.0", Secrets: withToken},
			wantErr: `version mismatch: the tag says 1.3.0 but services/api/VERSION says "1.2.0"`},
		{name: "not semver", o: ReleaseOptions{Tag: "api/v1.2", Secrets: withToken}, wantErr: "is not a semantic version X.Y.Z"},
		{name: "no such component", o: ReleaseOptions{Tag: "web/v1.0.0", Secrets: withToken}, wantErr: `no component "web"`},
		{name: "no such tag", o: ReleaseOptions{Tag: "api/v9.9.9", Secrets: withToken}, wantErr: "api/v9.9.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rel, gh, err := prepare(context.Background(), r.Dir, tc.o)
			if wanterr.Check(t, err, tc.wantErr) {
				return
			}
			if rel.Component.Name != "api" || rel.Version.String() != "1.2.0" || (gh != nil) != tc.wantGH {
				t.Fatalf("release %+v, client %v", rel.Target, gh)
			}
		})
	}

	// The checkout is not at the tag.
	r.Commit("later", map[string]string{"services/api/main.go": "package main\n"})
	_, _, err := prepare(context.Background(), r.Dir, ReleaseOptions{Tag: "api/v1.2.0", Secrets: withToken})
	wanterr.Check(t, err, "check out the tag")

	// No origin and no --repo.
	r.Git("checkout", "-q", "api/v1.2.0")
	r.Git("remote", "remove", "origin")
	_, _, err = prepare(context.Background(), r.Dir, ReleaseOptions{Tag: "api/v1.2.0", Secrets: withToken})
	wanterr.Check(t, err, "pass --repo owner/name")
}

// TestGitHubRelease creates the GitHub release of a tag through the
// documented REST calls: look the tag's release up, then create it.
func TestGitHubRelease(t *testing.T) {
	r := releaseRepo(t)
	rel, _, err := prepare(context.Background(), r.Dir, ReleaseOptions{Tag: "api/v1.2.0", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body map[string]any
		data, _ := io.ReadAll(req.Body)
		json.Unmarshal(data, &body)
		got = append(got, request{Method: req.Method, Path: req.URL.EscapedPath(), Body: body})
		switch {
		case req.Method == http.MethodGet && req.URL.EscapedPath() == "/repos/acme/mono/releases/tags/api%2Fv1.2.0":
			http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		case req.Method == http.MethodPost && req.URL.Path == "/repos/acme/mono/releases":
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(map[string]any{"id": 1, "html_url": "https://github.com/acme/mono/releases/tag/api/v1.2.0"})
		default:
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(srv.Close)
	gh, err := github.New(github.Options{Token: token, Owner: "acme", Repo: "mono", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if note, err := githubRelease(ctx, gh, rel, true); err != nil || note != "dry run: would create or update the GitHub release api 1.2.0" || len(got) != 0 {
		t.Fatalf("dry run: %q %v, %d requests", note, err, len(got))
	}
	note, err := githubRelease(ctx, gh, rel, false)
	if err != nil || note != "GitHub release: https://github.com/acme/mono/releases/tag/api/v1.2.0" {
		t.Fatalf("%q %v", note, err)
	}
	if len(got) != 2 || got[1].Method != "POST" || got[1].Body["tag_name"] != "api/v1.2.0" || got[1].Body["name"] != "api 1.2.0" ||
		got[1].Body["prerelease"] != false || got[1].Body["body"] != rel.Notes.Markdown() {
		t.Fatalf("requests %+v", got)
	}
	if !strings.Contains(rel.Notes.Markdown(), "First release.") || !strings.Contains(rel.Notes.Markdown(), "api 1.2.0") {
		t.Errorf("notes:\n%s", rel.Notes.Markdown())
	}

	// A failing API fails the release with a message saying how to finish.
	srv.Close()
	_, err = githubRelease(ctx, gh, rel, false)
	wanterr.Check(t, err, "built and published, but the GitHub release failed (re-run to finish)")
}

// TestCacheScope: a run's caches are its repository's (the trigger's, else
// the origin remote's, never the remote's credential) at its trust level.
func TestCacheScope(t *testing.T) {
	r := releaseRepo(t)
	r.Git("remote", "set-url", "origin", "https://x-access-token:ghs_SECRET@github.com/acme/mono.git")
	bare := gittest.New(t)
	for _, tc := range []struct {
		dir, repo string
		trusted   bool
		want      build.CacheScope
	}{
		{r.Dir, "", true, build.CacheScope{Repo: "acme/mono", Trust: build.Trusted}},
		{r.Dir, "", false, build.CacheScope{Repo: "acme/mono", Trust: build.Untrusted}},
		{r.Dir, "fork/mono", false, build.CacheScope{Repo: "fork/mono", Trust: build.Untrusted}},
		{bare.Dir, "", true, build.CacheScope{Repo: "", Trust: build.Trusted}},
	} {
		if got := cacheScope(repoOf(tc.dir, tc.repo), tc.trusted); got != tc.want {
			t.Errorf("cacheScope(%s, %q, %v) = %+v, want %+v", tc.dir, tc.repo, tc.trusted, got, tc.want)
		}
	}
}

// TestPrepareDirty: a release refuses a checkout with uncommitted or
// untracked files; git-ignored files are left alone (the build reads the
// tag's git tree, which has none of them).
func TestPrepareDirty(t *testing.T) {
	for _, tc := range []struct {
		name    string
		change  func(r *gittest.Repo)
		wantErr string
	}{
		{name: "clean"},
		{name: "ignored file", change: func(r *gittest.Repo) {
			r.Commit("ignore", map[string]string{".gitignore": "*.log\n"})
			r.Git("tag", "-f", "api/v1.2.0")
			r.Write(map[string]string{"services/api/debug.log": "x\n"})
		}},
		{name: "modified", change: func(r *gittest.Repo) {
			r.Write(map[string]string{"services/api/VERSION": "1.2.0-dirty\n"})
		}, wantErr: "uncommitted or untracked files (services/api/VERSION)"},
		{name: "untracked", change: func(r *gittest.Repo) {
			r.Write(map[string]string{"services/api/extra.go": "package main\n"})
		}, wantErr: "uncommitted or untracked files (services/api/extra.go): a release builds exactly the tagged commit"},
		{name: "staged", change: func(r *gittest.Repo) {
			r.Write(map[string]string{"services/api/a.go": "package main\n"})
			r.Git("add", "-A")
		}, wantErr: "uncommitted or untracked files (services/api/a.go)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := releaseRepo(t)
			if tc.change != nil {
				tc.change(r)
			}
			_, _, err := prepare(context.Background(), r.Dir, ReleaseOptions{Tag: "api/v1.2.0", DryRun: true})
			wanterr.Check(t, err, tc.wantErr)
		})
	}
}

// TestPrepareDefaultBranch: the CI host's default branch is where a
// release reads which branches it may come from.
func TestPrepareDefaultBranch(t *testing.T) {
	r := releaseRepo(t)
	if _, _, err := prepare(context.Background(), r.Dir, ReleaseOptions{Tag: "api/v1.2.0", DefaultBranch: "main", DryRun: true}); err != nil {
		t.Fatal(err)
	}
	_, _, err := prepare(context.Background(), r.Dir, ReleaseOptions{Tag: "api/v1.2.0", DefaultBranch: "trunk", DryRun: true})
	wanterr.Check(t, err, "no branch trunk (local or remote-tracking) in the clone")
}
