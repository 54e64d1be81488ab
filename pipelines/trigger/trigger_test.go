package trigger

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/wanterr"
	"github.com/monopipe/monopipe/pipelines/detect"
)

const (
	prBase   = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
	prHead   = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
	pushHead = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
	envSHA   = "1111111111111111111111111111111111111111"
)

var helloWorld = Repo{Owner: "Codertocat", Name: "Hello-World"}

// fixture reads testdata/github-events/name and applies edits: each key is a
// dotted path into the JSON ("pull_request.head.repo.full_name"), each value
// replaces what is there. Variants keep GitHub's real payload shape.
func fixture(t *testing.T, name string, edits map[string]any) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "github-events", name))
	if err != nil {
		t.Fatal(err)
	}
	if len(edits) == 0 {
		return data
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for path, v := range edits {
		keys := strings.Split(path, ".")
		m := doc
		for _, k := range keys[:len(keys)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				t.Fatalf("%s: no object at %q in %s", name, k, path)
			}
			m = next
		}
		if _, ok := m[keys[len(keys)-1]]; !ok {
			t.Fatalf("%s: no field %s to edit", name, path)
		}
		m[keys[len(keys)-1]] = v
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFromGitHubAndDecide(t *testing.T) {
	tests := []struct {
		name    string
		event   string
		file    string
		edits   map[string]any
		sha     string
		base    string // base branch for Decide
		want    Trigger
		decided Decision
	}{
		{
			name: "first push of the base branch", event: "push", file: "push-new-branch.json", base: "master",
			want:    Trigger{Event: EventPush, BaseSHA: detect.ZeroID, HeadSHA: pushHead, Branch: "master", Repo: helloWorld, DefaultBranch: "master"},
			decided: Decision{Action: ActionBuild, Base: detect.ZeroID, Head: pushHead, Publish: true, Deploy: true, Secrets: true, Trusted: true},
		},
		{
			name: "first push of a feature branch", event: "push", file: "push-new-branch.json", base: "main",
			edits:   map[string]any{"ref": "refs/heads/feature/x"},
			want:    Trigger{Event: EventPush, BaseSHA: detect.ZeroID, HeadSHA: pushHead, Branch: "feature/x", Repo: helloWorld, DefaultBranch: "master"},
			decided: Decision{Action: ActionBuild, Base: detect.ZeroID, Head: pushHead, Secrets: true},
		},
		{
			name: "later push to a branch", event: "push", file: "push-new-branch.json", base: "main",
			edits:   map[string]any{"ref": "refs/heads/dev", "before": prBase, "created": false},
			want:    Trigger{Event: EventPush, BaseSHA: prBase, HeadSHA: pushHead, Branch: "dev", Repo: helloWorld, DefaultBranch: "master"},
			decided: Decision{Action: ActionBuild, Base: prBase, Head: pushHead, Secrets: true},
		},
		{
			name: "later push to the base branch", event: "push", file: "push-new-branch.json", base: "master",
			edits:   map[string]any{"before": prBase, "created": false},
			want:    Trigger{Event: EventPush, BaseSHA: prBase, HeadSHA: pushHead, Branch: "master", Repo: helloWorld, DefaultBranch: "master"},
			decided: Decision{Action: ActionBuild, Base: prBase, Head: pushHead, Publish: true, Deploy: true, Secrets: true, Trusted: true},
		},
		{
			name: "force push to a branch", event: "push", file: "push-new-branch.json", base: "main",
			edits:   map[string]any{"ref": "refs/heads/dev", "before": prBase, "created": false, "forced": true},
			want:    Trigger{Event: EventPush, BaseSHA: prBase, HeadSHA: pushHead, Branch: "dev", Forced: true, Repo: helloWorld, DefaultBranch: "master"},
			decided: Decision{Action: ActionBuild, Base: detect.ZeroID, Head: pushHead, Secrets: true},
		},
		{
			name: "tag deleted", event: "push", file: "push-tag-deleted.json", base: "master",
			want:    Trigger{Event: EventTag, HeadSHA: detect.ZeroID, Tag: "simple-tag", Deleted: true, Repo: helloWorld, DefaultBranch: "master"},
			decided: Decision{Action: ActionNone},
		},
		{
			name: "branch deleted", event: "push", file: "push-tag-deleted.json", base: "master",
			edits:   map[string]any{"ref": "refs/heads/old"},
			want:    Trigger{Event: EventPush, BaseSHA: pushHead, HeadSHA: detect.ZeroID, Branch: "old", Deleted: true, Repo: helloWorld, DefaultBranch: "master"},
			decided: Decision{Action: ActionNone},
		},
		{
			name: "tag pushed", event: "push", file: "push-tag-deleted.json", base: "master",
			edits:   map[string]any{"ref": "refs/tags/api/v1.2.3", "before": detect.ZeroID, "after": pushHead, "deleted": false, "created": true},
			want:    Trigger{Event: EventTag, HeadSHA: pushHead, Tag: "api/v1.2.3", Repo: helloWorld, DefaultBranch: "master"},
			decided: Decision{Action: ActionRelease, Head: pushHead, Tag: "api/v1.2.3", Publish: true, Deploy: true, Secrets: true, Trusted: true},
		},
		{
			name: "pull request opened", event: "pull_request", file: "pull_request-opened.json", base: "master",
			want:    Trigger{Event: EventPullRequest, BaseSHA: prBase, HeadSHA: prHead, Branch: "changes", BaseBranch: "master", PRNumber: 2, Repo: helloWorld, DefaultBranch: "master"},
			decided: Decision{Action: ActionBuild, Base: prBase, Head: prHead, Secrets: true},
		},
		{
			name: "pull request synchronize", event: "pull_request", file: "pull_request-synchronize.json", base: "master",
			want:    Trigger{Event: EventPullRequest, BaseSHA: prBase, HeadSHA: prHead, Branch: "changes", BaseBranch: "master", PRNumber: 2, Repo: helloWorld, DefaultBranch: "master"},
			decided: Decision{Action: ActionBuild, Base: prBase, Head: prHead, Secrets: true},
		},
		{
			name: "pull request from a fork, head branch named like the base", event: "pull_request", file: "pull_request-opened.json", base: "master",
			edits:   map[string]any{"pull_request.head.repo.full_name": "mallory/Hello-World", "pull_request.head.ref": "master"},
			want:    Trigger{Event: EventPullRequest, BaseSHA: prBase, HeadSHA: prHead, Branch: "master", BaseBranch: "master", PRNumber: 2, Fork: true, Repo: helloWorld, DefaultBranch: "master"},
			decided: Decision{Action: ActionBuild, Base: prBase, Head: prHead},
		},
		{
			name: "pull request whose fork was deleted", event: "pull_request", file: "pull_request-synchronize.json", base: "master",
			edits:   map[string]any{"pull_request.head.repo": nil},
			want:    Trigger{Event: EventPullRequest, BaseSHA: prBase, HeadSHA: prHead, Branch: "changes", BaseBranch: "master", PRNumber: 2, Fork: true, Repo: helloWorld, DefaultBranch: "master"},
			decided: Decision{Action: ActionBuild, Base: prBase, Head: prHead},
		},
		{
			name: "pull request closed", event: "pull_request", file: "pull_request-opened.json", base: "master",
			edits:   map[string]any{"action": "closed"},
			want:    Trigger{Event: EventPullRequest, BaseSHA: prBase, HeadSHA: prHead, Branch: "changes", BaseBranch: "master", PRNumber: 2, Deleted: true, Repo: helloWorld, DefaultBranch: "master"},
			decided: Decision{Action: ActionNone},
		},
		{
			name: "workflow_dispatch on the base branch", event: "workflow_dispatch", file: "workflow_dispatch.json", sha: envSHA, base: "master",
			want:    Trigger{Event: EventManual, HeadSHA: envSHA, Branch: "master", Repo: Repo{Owner: "octo-org", Name: "octo-repo"}, DefaultBranch: "master"},
			decided: Decision{Action: ActionBuild, Head: envSHA, Publish: true, Deploy: true, Secrets: true, Trusted: true},
		},
		{
			name: "workflow_dispatch on a tag", event: "workflow_dispatch", file: "workflow_dispatch.json", sha: envSHA, base: "master",
			edits:   map[string]any{"ref": "refs/tags/web/v2.0.0"},
			want:    Trigger{Event: EventManual, HeadSHA: envSHA, Tag: "web/v2.0.0", Repo: Repo{Owner: "octo-org", Name: "octo-repo"}, DefaultBranch: "master"},
			decided: Decision{Action: ActionBuild, Head: envSHA, Secrets: true},
		},
		{
			name: "tag created", event: "create", file: "create-tag.json", sha: envSHA, base: "master",
			want:    Trigger{Event: EventTag, HeadSHA: envSHA, Tag: "simple-tag", Repo: helloWorld, DefaultBranch: "master"},
			decided: Decision{Action: ActionRelease, Head: envSHA, Tag: "simple-tag", Publish: true, Deploy: true, Secrets: true, Trusted: true},
		},
		{
			name: "branch created", event: "create", file: "create-tag.json", sha: envSHA, base: "master",
			edits:   map[string]any{"ref_type": "branch", "ref": "feature"},
			want:    Trigger{Event: EventPush, BaseSHA: detect.ZeroID, HeadSHA: envSHA, Branch: "feature", Repo: helloWorld, DefaultBranch: "master"},
			decided: Decision{Action: ActionBuild, Base: detect.ZeroID, Head: envSHA, Secrets: true},
		},
		{
			name: "release published", event: "release", file: "release-published.json", sha: envSHA, base: "master",
			want:    Trigger{Event: EventTag, HeadSHA: envSHA, Tag: "0.0.1", Repo: helloWorld, DefaultBranch: "master"},
			decided: Decision{Action: ActionRelease, Head: envSHA, Tag: "0.0.1", Publish: true, Deploy: true, Secrets: true, Trusted: true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromGitHub(tc.event, fixture(t, tc.file, tc.edits), tc.sha)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("FromGitHub:\n got %+v\nwant %+v", got, tc.want)
			}
			d := Decide(got, tc.base)
			if d.Reason == "" {
				t.Error("Decide gave no reason")
			}
			d.Reason = ""
			if d != tc.decided {
				t.Errorf("Decide:\n got %+v\nwant %+v", d, tc.decided)
			}
		})
	}
}

func TestFromGitHubErrors(t *testing.T) {
	tests := []struct {
		name, event, file string
		payload           []byte
		want              string
	}{
		{name: "event monopipe ignores", event: "issues", file: "push-new-branch.json", want: `"issues": not one monopipe acts on`},
		{name: "unknown event name", event: "nonsense", payload: []byte(`{}`), want: `parse GitHub "nonsense" event`},
		{name: "broken JSON", event: "push", payload: []byte(`{"ref":`), want: `parse GitHub "push" event`},
		{name: "payload without repository", event: "push", payload: []byte(`{"ref":"refs/heads/x","after":"abc"}`), want: `repository "": want owner/name`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			payload := tc.payload
			if payload == nil {
				payload = fixture(t, tc.file, nil)
			}
			_, err := FromGitHub(tc.event, payload, "")
			wanterr.Check(t, err, tc.want)
		})
	}
}

func TestFromCircleCI(t *testing.T) {
	const sha, base = "2222222222222222222222222222222222222222", "3333333333333333333333333333333333333333"
	project := map[string]string{"CIRCLE_PROJECT_USERNAME": "acme", "CIRCLE_PROJECT_REPONAME": "mono", "CIRCLE_SHA1": sha}
	acme := Repo{Owner: "acme", Name: "mono"}
	tests := []struct {
		name    string
		env     map[string]string
		base    string
		want    Trigger
		decided Decision
		wantErr string
	}{
		{
			name: "push to main", env: map[string]string{"CIRCLE_BRANCH": "main"}, base: base,
			want:    Trigger{Event: EventPush, BaseSHA: base, HeadSHA: sha, Branch: "main", Repo: acme},
			decided: Decision{Action: ActionBuild, Base: base, Head: sha, Publish: true, Deploy: true, Secrets: true, Trusted: true},
		},
		{
			name: "first pipeline of a branch has no base revision", env: map[string]string{"CIRCLE_BRANCH": "feature"},
			want:    Trigger{Event: EventPush, HeadSHA: sha, Branch: "feature", Repo: acme},
			decided: Decision{Action: ActionBuild, Head: sha, Secrets: true},
		},
		{
			name: "pull request from the same repository", base: base,
			env:     map[string]string{"CIRCLE_BRANCH": "feature", "CIRCLE_PULL_REQUEST": "https://github.com/acme/mono/pull/42"},
			want:    Trigger{Event: EventPullRequest, BaseSHA: base, HeadSHA: sha, Branch: "feature", PRNumber: 42, Repo: acme},
			decided: Decision{Action: ActionBuild, Base: base, Head: sha, Secrets: true},
		},
		{
			name: "pull request from a fork", base: base,
			env: map[string]string{"CIRCLE_BRANCH": "pull/7", "CIRCLE_PULL_REQUEST": "https://github.com/acme/mono/pull/7",
				"CIRCLE_PR_NUMBER": "7", "CIRCLE_PR_USERNAME": "mallory", "CIRCLE_PR_REPONAME": "mono"},
			want:    Trigger{Event: EventPullRequest, BaseSHA: base, HeadSHA: sha, Branch: "pull/7", PRNumber: 7, Fork: true, Repo: acme},
			decided: Decision{Action: ActionBuild, Base: base, Head: sha},
		},
		{
			name: "fork pull request with only the PR number", base: base,
			env:     map[string]string{"CIRCLE_BRANCH": "pull/8", "CIRCLE_PR_NUMBER": "8"},
			want:    Trigger{Event: EventPullRequest, BaseSHA: base, HeadSHA: sha, Branch: "pull/8", PRNumber: 8, Fork: true, Repo: acme},
			decided: Decision{Action: ActionBuild, Base: base, Head: sha},
		},
		{
			name: "tag", env: map[string]string{"CIRCLE_TAG": "api/v1.0.0"}, base: base,
			want:    Trigger{Event: EventTag, HeadSHA: sha, Tag: "api/v1.0.0", Repo: acme},
			decided: Decision{Action: ActionRelease, Head: sha, Tag: "api/v1.0.0", Publish: true, Deploy: true, Secrets: true, Trusted: true},
		},
		{
			name: "bad pull request value", env: map[string]string{"CIRCLE_PULL_REQUEST": "https://github.com/acme/mono/pull/abc"},
			wantErr: `CircleCI variables: pull request "https://github.com/acme/mono/pull/abc"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range project {
				env[k] = v
			}
			for k, v := range tc.env {
				env[k] = v
			}
			got, err := FromCircleCI(func(k string) string { return env[k] }, tc.base)
			if wanterr.Check(t, err, tc.wantErr) {
				return
			}
			if got != tc.want {
				t.Errorf("FromCircleCI:\n got %+v\nwant %+v", got, tc.want)
			}
			d := Decide(got, "main")
			d.Reason = ""
			if d != tc.decided {
				t.Errorf("Decide:\n got %+v\nwant %+v", d, tc.decided)
			}
		})
	}
}

func TestFromValues(t *testing.T) {
	tests := []struct {
		name    string
		in      Values
		want    Trigger
		wantErr string
	}{
		{name: "manual", in: Values{Event: "manual", Head: "HEAD", Branch: "refs/heads/main"}, want: Trigger{Event: EventManual, HeadSHA: "HEAD", Branch: "main"}},
		{name: "pull request number", in: Values{PullRequest: "12", Repo: "a/b"}, want: Trigger{Event: EventPullRequest, PRNumber: 12, Repo: Repo{Owner: "a", Name: "b"}}},
		{name: "tag ref", in: Values{Tag: "refs/tags/v1.0.0"}, want: Trigger{Event: EventTag, Tag: "v1.0.0"}},
		{name: "unknown event", in: Values{Event: "deploy"}, wantErr: `unknown event "deploy"`},
		{name: "pull request without number", in: Values{Event: "pull_request"}, wantErr: "needs a pull request number"},
		{name: "tag without tag", in: Values{Event: "tag"}, wantErr: "tag trigger needs a tag"},
		{name: "bad repo", in: Values{Repo: "justname"}, wantErr: `repository "justname": want owner/name`},
		{name: "revision with a space", in: Values{Head: "HEAD; rm -rf /"}, wantErr: "a revision has no spaces"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromValues(tc.in)
			if wanterr.Check(t, err, tc.wantErr) {
				return
			}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
