package plan

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

// workspaceFixture has components of every kind, one that sets its own
// registry and one that sets its own base image.
var workspaceFixture = map[string]string{
	"monopipe.yaml": `images: {go: golang:1.26-bookworm, node: node:22}
publish:
  image: {registry: registry.example.com}
deploy:
  on: [base]
release:
  githubRelease: false
`,
	"component.yaml":       "name: root\nkind: go\n",
	"go/component.yaml":    "name: goapp\nkind: go\n",
	"py/component.yaml":    "name: pyapp\nkind: python\n",
	"node/component.yaml":  "name: nodeapp\nkind: node\nbuild: {image: mirror.example/node:22}\n",
	"dock/component.yaml":  "name: dockapp\nkind: docker\n",
	"own/component.yaml":   "name: own\nkind: go\npublish:\n  image: {registry: own.example.com}\n",
	"tool/component.yaml":  "name: tool\nkind: custom\nbuild: {commands: [make]}\n",
	"tool/Makefile":        "all:\n",
	"go/main.go":           "package main\n",
	"services/README.md":   "x\n",
	"services/x/README.md": "x\n",
}

var workspaceAll = []string{"dockapp", "goapp", "nodeapp", "own", "pyapp", "root", "tool"}

func TestWorkspaceSettings(t *testing.T) {
	edit := func(old, new string) func(t *testing.T, r *gittest.Repo) {
		return func(t *testing.T, r *gittest.Repo) {
			ws := workspaceFixture["monopipe.yaml"]
			if !strings.Contains(ws, old) {
				t.Fatalf("fixture has no %q", old)
			}
			r.Commit("ws", map[string]string{"monopipe.yaml": strings.Replace(ws, old, new, 1)})
		}
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, r *gittest.Repo)
		head    string // "" for the working tree
		want    []string
		all     bool
		reason  string // in every selected component's reasons, or the plan's
		removed int
	}{
		{name: "images.go affects go components without their own image",
			setup: edit("go: golang:1.26-bookworm", "go: mirror.example/golang:1.26"), head: "HEAD",
			want: []string{"goapp", "own", "root"}, reason: "monopipe.yaml: images.go changed"},
		{name: "images.node does not affect a node component with build.image",
			setup: edit("node: node:22", "node: node:24"), head: "HEAD", want: []string{}},
		{name: "images.runtime affects go and custom components",
			setup: edit("images: {", "images: {runtime: debian:trixie-slim, "), head: "HEAD",
			want: []string{"goapp", "own", "root", "tool"}, reason: "monopipe.yaml: images.runtime changed"},
		{name: "publish.image.registry affects components that inherit it",
			setup: edit("registry: registry.example.com", "registry: other.example.com"), head: "HEAD",
			want: []string{"dockapp", "goapp", "nodeapp", "pyapp", "root", "tool"}, reason: "monopipe.yaml: publish.image.registry changed"},
		{name: "deploy.on affects every component",
			setup: edit("on: [base]", "on: [base, release]"), head: "HEAD",
			want: workspaceAll, reason: "monopipe.yaml: deploy.on changed"},
		{name: "release.githubRelease affects every component",
			setup: edit("githubRelease: false", "githubRelease: true"), head: "HEAD",
			want: workspaceAll, reason: "monopipe.yaml: release.githubRelease changed"},
		{name: "a new publish target affects every component",
			setup: edit("publish:\n", "publish:\n  npm: {registry: https://npm.example.com/}\n"), head: "HEAD",
			want: workspaceAll, reason: "monopipe.yaml: publish.npm.registry changed"},
		{name: "the full rebuild marker builds nothing, and the root component does not own monopipe.yaml",
			setup: edit("images:", "fullRebuildMarker: '[all]'\nimages:"), head: "HEAD", want: []string{}},
		{name: "a comment changes nothing",
			setup: edit("images:", "# images\nimages:"), head: "HEAD", want: []string{}},
		{name: "global selects everything with the key",
			setup: edit("images:", "global: [go.work]\nimages:"), head: "HEAD",
			want: workspaceAll, all: true, reason: "monopipe.yaml: global changed"},
		{name: "components selects everything with the key",
			setup: edit("images:", "components: [\"*\"]\nimages:"), head: "HEAD",
			want: workspaceAll, all: true, reason: "monopipe.yaml: components changed"},
		{name: "ignore selects everything with the key",
			setup: edit("images:", "ignore: [\"**/*.md\"]\nimages:"), head: "HEAD",
			want: workspaceAll, all: true, reason: "monopipe.yaml: ignore changed"},
		{name: "an ignore glob does not hide monopipe.yaml's settings",
			setup: func(t *testing.T, r *gittest.Repo) {
				edit("images:", "ignore: [\"*.yaml\"]\nimages:")(t, r)
				ws := r.Git("show", "HEAD:monopipe.yaml") + "\n"
				r.Commit("ws", map[string]string{"monopipe.yaml": strings.Replace(ws, "go: golang:1.26-bookworm", "go: x", 1)})
			}, head: "HEAD", want: []string{"goapp", "own", "root"}, reason: "monopipe.yaml: images.go changed"},
		{name: "monopipe.yaml listed in global still selects everything",
			setup: func(t *testing.T, r *gittest.Repo) {
				edit("images:", "global: [monopipe.yaml]\nimages:")(t, r)
				ws := r.Git("show", "HEAD:monopipe.yaml") + "\n"
				r.Commit("ws", map[string]string{"monopipe.yaml": strings.Replace(ws, "node: node:22", "node: node:24", 1)})
			}, head: "HEAD", want: workspaceAll, reason: `global monopipe.yaml changed (matches "monopipe.yaml")`},
		{name: "an unparsable monopipe.yaml at base selects everything",
			setup: func(t *testing.T, r *gittest.Repo) {
				r.Commit("broken", map[string]string{"monopipe.yaml": "images: [\n"})
				r.Commit("fixed", map[string]string{"monopipe.yaml": workspaceFixture["monopipe.yaml"]})
			}, head: "HEAD", want: workspaceAll, all: true, reason: "monopipe.yaml at base cannot be read"},
		{name: "an environment's setting affects the components that do not skip it",
			setup: func(t *testing.T, r *gittest.Repo) {
				envs := workspaceFixture["monopipe.yaml"] + "environments:\n  - name: dev\n    deploy: {lambda: {function: \"{component}-dev\"}}\n"
				r.Commit("envs", map[string]string{"monopipe.yaml": envs, "own/component.yaml": "name: own\nkind: go\npublish:\n  image: {registry: own.example.com}\nenvironments:\n  dev: {skip: true}\n"})
				r.Commit("template", map[string]string{"monopipe.yaml": strings.Replace(envs, "{component}-dev", "dev-{component}", 1)})
			}, head: "HEAD", want: []string{"dockapp", "goapp", "nodeapp", "pyapp", "root", "tool"}, reason: "monopipe.yaml: environments.dev.deploy.lambda.function changed"},
		{name: "a new environment affects every component",
			setup: edit("release:", "environments:\n  - name: prod\nrelease:"), head: "HEAD",
			want: workspaceAll, reason: "monopipe.yaml: environments.prod changed"},
		{name: "an uncommitted settings change",
			setup: func(t *testing.T, r *gittest.Repo) {
				r.Commit("empty", nil)
				r.Write(map[string]string{"monopipe.yaml": strings.Replace(workspaceFixture["monopipe.yaml"], "registry: registry.example.com", "registry: r2.example.com", 1)})
			}, want: []string{"dockapp", "goapp", "nodeapp", "pyapp", "root", "tool"}, reason: "monopipe.yaml: publish.image.registry changed"},
		{name: "a deleted monopipe.yaml drops the defaults",
			setup: func(t *testing.T, r *gittest.Repo) {
				r.Git("rm", "-q", "monopipe.yaml")
				r.Git("commit", "-q", "-m", "rm")
			}, head: "HEAD", want: workspaceAll, reason: "monopipe.yaml: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gittest.New(t)
			r.Commit("init", workspaceFixture)
			tt.setup(t, r)
			p, err := Make(context.Background(), Options{Dir: r.Dir, Base: "HEAD~1", Head: tt.head})
			if err != nil {
				t.Fatal(err)
			}
			got := sorted(names(p))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("components = %v, want %v\n%s", got, tt.want, dump(p))
			}
			if p.All != tt.all {
				t.Errorf("all = %v, want %v (%s)", p.All, tt.all, p.Reason)
			}
			if tt.all && !strings.Contains(p.Reason, tt.reason) {
				t.Errorf("reason = %q, want %q", p.Reason, tt.reason)
			}
			for _, n := range got {
				if !tt.all && !hasReason(p, n, tt.reason) {
					t.Errorf("%s: no reason contains %q\n%s", n, tt.reason, dump(p))
				}
			}
		})
	}
}
