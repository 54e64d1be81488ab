package job

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/internal/wanterr"
	"github.com/monopipe/monopipe/pipelines/deploy"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/trigger"
)

func event(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "github-events", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestParseTrigger checks that GitHub's event and the plain values reach
// the right trigger, and that contradictory flags are refused.
func TestParseTrigger(t *testing.T) {
	const sha = "1111111111111111111111111111111111111111"
	for _, tc := range []struct {
		name      string
		o         CIOptions
		wantEvent trigger.Event
		wantPR    int
		wantRepo  string
		wantHead  string
		wantErr   string
	}{
		{name: "github pull request", o: CIOptions{GitHubEvent: "pull_request", GitHubPayload: event(t, "pull_request-opened.json"), Values: trigger.Values{Head: sha}},
			wantEvent: trigger.EventPullRequest, wantPR: 2, wantRepo: "Codertocat/Hello-World"},
		{name: "github dispatch takes the head flag", o: CIOptions{GitHubEvent: "workflow_dispatch", GitHubPayload: event(t, "workflow_dispatch.json"), Values: trigger.Values{Head: sha}},
			wantEvent: trigger.EventManual, wantRepo: "octo-org/octo-repo", wantHead: sha},
		{name: "github tag", o: CIOptions{GitHubEvent: "create", GitHubPayload: event(t, "create-tag.json"), Values: trigger.Values{Head: sha}},
			wantEvent: trigger.EventTag, wantRepo: "Codertocat/Hello-World", wantHead: sha},
		{name: "circleci pull request URL", o: CIOptions{Values: trigger.Values{Base: "a", Head: "b", Branch: "feat", PullRequest: "https://github.com/o/r/pull/7", Repo: "o/r"}},
			wantEvent: trigger.EventPullRequest, wantPR: 7, wantRepo: "o/r"},
		{name: "circleci push", o: CIOptions{Values: trigger.Values{Base: "a", Head: "b", Branch: "main", Repo: "o/r"}},
			wantEvent: trigger.EventPush, wantRepo: "o/r"},
		{name: "a laptop: no flags at all", o: CIOptions{}, wantEvent: trigger.EventPush},
		{name: "event name without the file", o: CIOptions{GitHubEvent: "push"}, wantErr: "--event-name push needs --event-file"},
		{name: "event file without the name", o: CIOptions{GitHubPayload: []byte("{}")}, wantErr: "--event-file needs --event-name"},
		{name: "unknown github event", o: CIOptions{GitHubEvent: "issues", GitHubPayload: []byte(`{"action":"opened"}`)}, wantErr: "not one monopipe acts on"},
		{name: "bad repo flag", o: CIOptions{Values: trigger.Values{Repo: "just-a-name"}}, wantErr: "want owner/name"},
		{name: "bad pull request flag", o: CIOptions{Values: trigger.Values{PullRequest: "seven"}}, wantErr: "pull request \"seven\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := ParseTrigger(tc.o)
			if wanterr.Check(t, err, tc.wantErr) {
				return
			}
			if tr.Event != tc.wantEvent || tr.PRNumber != tc.wantPR || tr.Repo.String() != tc.wantRepo ||
				(tc.wantHead != "" && tr.HeadSHA != tc.wantHead) {
				t.Fatalf("trigger %+v", tr)
			}
		})
	}
}

// TestDecideCI checks when a run reports to GitHub: statuses need a token,
// a repository and no fork; the comment also needs a whole pull request run.
func TestDecideCI(t *testing.T) {
	repo := trigger.Repo{Owner: "o", Name: "r"}
	pr := trigger.Trigger{Event: trigger.EventPullRequest, PRNumber: 3, BaseSHA: "a", HeadSHA: "b", Branch: "feat", Repo: repo}
	fork := pr
	fork.Fork = true
	push := trigger.Trigger{Event: trigger.EventPush, BaseSHA: "a", HeadSHA: "b", Branch: "main", Repo: repo}
	noRepo := push
	noRepo.Repo = trigger.Repo{}
	token := CIOptions{Secrets: Secrets{GitHubToken: "ghp_x"}}
	matrix := token
	matrix.Components = []string{"api"}
	for _, tc := range []struct {
		name string
		t    trigger.Trigger
		o    CIOptions
		want ciPlan
	}{
		{name: "pull request with a token", t: pr, o: token, want: ciPlan{Statuses: true, Comment: true}},
		{name: "pull request matrix job: no comment", t: pr, o: matrix, want: ciPlan{Statuses: true}},
		{name: "pull request without a token", t: pr, o: CIOptions{}, want: ciPlan{}},
		{name: "fork even with a token", t: fork, o: token, want: ciPlan{}},
		{name: "push: statuses, no comment", t: push, o: token, want: ciPlan{Statuses: true}},
		{name: "no repository known", t: noRepo, o: token, want: ciPlan{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := trigger.Decide(tc.t, "main")
			if got := decideCI(tc.t, d, tc.o); got != tc.want {
				t.Fatalf("decideCI = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestShipping checks which runs publish and deploy a component.
func TestShipping(t *testing.T) {
	onBranch := []string{manifest.DeployOnBranch}
	for _, tc := range []struct {
		name    string
		t       trigger.Trigger
		on      []string
		want    bool
		wantWhy string
	}{
		{name: "push to the base branch", t: trigger.Trigger{Event: trigger.EventPush, Branch: "main"}, want: true},
		{name: "manual run on the base branch", t: trigger.Trigger{Event: trigger.EventManual, Branch: "main"}, want: true},
		{name: "push to a feature branch", t: trigger.Trigger{Event: trigger.EventPush, Branch: "feat"},
			wantWhy: "publish runs on the base branch main and for releases"},
		{name: "feature branch, deploy.on branch", t: trigger.Trigger{Event: trigger.EventPush, Branch: "feat"}, on: onBranch, want: true},
		{name: "pull request, deploy.on branch", t: trigger.Trigger{Event: trigger.EventPullRequest, PRNumber: 1, Branch: "feat"}, on: onBranch,
			wantWhy: "publish runs on the base branch"},
		{name: "pull request from a fork named main", t: trigger.Trigger{Event: trigger.EventPullRequest, PRNumber: 1, Branch: "main", Fork: true}, on: onBranch,
			wantWhy: "pull request from a fork: never publishes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := trigger.Decide(tc.t, "main")
			got, why := shipping(tc.t, d, deploy.When{Branch: tc.t.Branch, BaseBranch: "main"}, tc.on)
			if got != tc.want || (tc.wantWhy != "" && !strings.Contains(why, tc.wantWhy)) {
				t.Fatalf("shipping = %v %q, want %v %q", got, why, tc.want, tc.wantWhy)
			}
		})
	}
}

func TestDeployOn(t *testing.T) {
	ws := &manifest.Workspace{Deploy: manifest.Deploy{On: []string{"base"}}}
	if got := deployOn(ws, &manifest.Component{}); len(got) != 1 || got[0] != "base" {
		t.Errorf("workspace default: %v", got)
	}
	if got := deployOn(ws, &manifest.Component{Deploy: manifest.Deploy{On: []string{"branch"}}}); got[0] != "branch" {
		t.Errorf("component override: %v", got)
	}
}

// TestCIPlanDir plans as ci does, over a real git repository: the trigger's
// revisions decide what changed.
func TestCIPlanDir(t *testing.T) {
	r := gittest.New(t)
	base := r.Commit("two components", map[string]string{"monopipe.yaml": "baseBranch: main\n",
		"a/component.yaml": "name: a\nkind: custom\nbuild:\n  commands: [\"true\"]\n",
		"b/component.yaml": "name: b\nkind: custom\nbuild:\n  commands: [\"true\"]\n"})
	head := r.Commit("change a", map[string]string{"a/main.sh": "echo a\n"})
	for _, tc := range []struct {
		name string
		v    trigger.Values
		want string
	}{
		{name: "push", v: trigger.Values{Base: base, Head: head, Branch: "main"}, want: "[a]"},
		{name: "pull request", v: trigger.Values{Base: base, Head: head, Branch: "feat", PullRequest: "5"}, want: "[a]"},
		{name: "nothing changed", v: trigger.Values{Base: head, Head: head, Branch: "main"}, want: "[]"},
		{name: "tag: nothing to plan", v: trigger.Values{Head: head, Tag: "a/v1.0.0"}, want: "[]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := CIPlanDir(context.Background(), r.Dir, CIOptions{Values: tc.v})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range p.Components {
				names = append(names, c.Name)
			}
			if got := fmt.Sprintf("%v", names); got != tc.want && !(tc.want == "[]" && len(names) == 0) {
				t.Fatalf("planned %s, want %s (%s)", got, tc.want, p.Reason)
			}
		})
	}
}

// TestCIPlanPullRequestMergeBase: a pull request is charged with its own
// changes only, not with those merged to its base branch since it forked.
func TestCIPlanPullRequestMergeBase(t *testing.T) {
	r := gittest.New(t)
	r.Commit("two components", map[string]string{"monopipe.yaml": "baseBranch: main\n",
		"a/component.yaml": "name: a\nkind: custom\nbuild:\n  commands: [\"true\"]\n",
		"b/component.yaml": "name: b\nkind: custom\nbuild:\n  commands: [\"true\"]\n"})
	r.Git("checkout", "-q", "-b", "feat")
	head := r.Commit("change a", map[string]string{"a/main.sh": "echo a\n"})
	r.Git("checkout", "-q", "main")
	base := r.Commit("main changes b", map[string]string{"b/main.sh": "echo b\n"})
	p, err := CIPlanDir(context.Background(), r.Dir, CIOptions{Values: trigger.Values{Base: base, Head: head, Branch: "feat", PullRequest: "5"}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range p.Components {
		names = append(names, c.Name)
	}
	if got := fmt.Sprint(names); got != "[a]" {
		t.Fatalf("planned %s, want [a] (%s)", got, p.Reason)
	}
}
