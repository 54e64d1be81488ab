package release

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/internal/wanterr"
	"github.com/monopipe/monopipe/pipelines/manifest"
)

// datedRepo makes commits with distinct, increasing dates, so that the
// notes' commit-time order is deterministic.
type datedRepo struct {
	*gittest.Repo
	t    *testing.T
	tick int
}

func (r *datedRepo) commit(msg string, files map[string]string) {
	r.t.Helper()
	r.tick++
	date := fmt.Sprintf("2026-01-01T00:%02d:00Z", r.tick)
	r.t.Setenv("GIT_AUTHOR_DATE", date)
	r.t.Setenv("GIT_COMMITTER_DATE", date)
	r.Commit(msg, files)
}

// monorepo builds a repository with four components and these tags:
// api/v1.0.0 (lightweight), api/v1.1.0-rc.1, api/v1.1.0 (annotated),
// web/v2.0.0, web/v2.0.1 (package.json still says 2.0.0), v0.3.0 (the
// plain-tag tool), py/v0.1.0 (pyproject says 0.2.0), api/v1.2 (not semver),
// nope/v1.0.0 and random (no component).
func monorepo(t *testing.T) *datedRepo {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git binary not on PATH: needed to build test repositories")
	}
	r := &datedRepo{Repo: gittest.New(t), t: t}
	r.commit("Add api", map[string]string{
		"monopipe.yaml":                         "release:\n  githubRelease: false\n",
		"components/api/component.yaml":         "name: api\nkind: go\ninputs: [/shared/**]\nignore: [docs/**]\nrelease:\n  githubRelease: true\n  deploy: true\n",
		"components/api/VERSION":                "1.0.0\n",
		"components/api/main.go":                "package main\n",
		"components/api/plugins/component.yaml": "name: api-plugins\nkind: go\n",
	})
	r.Git("tag", "api/v1.0.0")
	r.commit("Add web", map[string]string{
		"components/web/component.yaml": "name: web\nkind: node\n",
		"components/web/package.json":   `{"name": "web", "version": "2.0.0"}`,
	})
	r.Git("tag", "web/v2.0.0")
	r.commit("Fix api handler\n\nLonger body.", map[string]string{"components/api/main.go": "package main // fixed\n"})
	r.commit("Release candidate", map[string]string{"components/api/VERSION": "1.1.0-rc.1\n"})
	r.Git("tag", "api/v1.1.0-rc.1")
	r.commit("Change web only", map[string]string{"components/web/index.js": "x\n"})
	r.commit("Shared helper", map[string]string{"shared/util.txt": "u\n"})
	r.commit("Api docs only", map[string]string{"components/api/docs/readme.md": "d\n"})
	r.commit("Plugin change", map[string]string{"components/api/plugins/p.go": "package p\n"})
	r.commit("Bump api to 1.1.0", map[string]string{"components/api/VERSION": "1.1.0\n"})
	r.Git("tag", "-a", "-m", "api 1.1.0", "api/v1.1.0")
	r.commit("Add tool and py", map[string]string{
		"tool/component.yaml":         "name: tool\nkind: custom\nrelease:\n  tagPrefix: v\n",
		"tool/VERSION":                "0.3.0",
		"py/component.yaml":           "name: py\nkind: python\n",
		"py/pyproject.toml":           "[project]\nname = \"py\"\nversion = \"0.2.0\"\n",
		"components/web/package.json": `{"name": "web", "version": "2.0.0", "private": true}`,
	})
	for _, tag := range []string{"v0.3.0", "py/v0.1.0", "web/v2.0.1", "api/v1.2", "nope/v1.0.0", "random"} {
		r.Git("tag", tag)
	}
	return r
}

func TestPrepare(t *testing.T) {
	r := monorepo(t)
	hash := func(rev string) string { return r.Git("rev-parse", rev+"^{commit}") }
	tests := []struct {
		tag          string
		component    string
		previous     string
		subjects     []string
		deploy, ghRe bool
		wantErr      string
	}{
		{tag: "api/v1.0.0", component: "api", subjects: []string{"Add api"}, deploy: true, ghRe: true},
		{tag: "api/v1.1.0-rc.1", component: "api", previous: "api/v1.0.0",
			subjects: []string{"Release candidate", "Fix api handler"}, deploy: true, ghRe: true},
		{tag: "api/v1.1.0", component: "api", previous: "api/v1.0.0",
			subjects: []string{"Bump api to 1.1.0", "Shared helper", "Release candidate", "Fix api handler"}, deploy: true, ghRe: true},
		{tag: "web/v2.0.0", component: "web", subjects: []string{"Add web"}},
		{tag: "v0.3.0", component: "tool", subjects: []string{"Add tool and py"}},
		{tag: "web/v2.0.1", wantErr: `release web/v2.0.1: version mismatch: the tag says 2.0.1 but components/web/package.json says "2.0.0"`},
		{tag: "py/v0.1.0", wantErr: `release py/v0.1.0: version mismatch: the tag says 0.1.0 but py/pyproject.toml says "0.2.0"`},
		{tag: "api/v1.2", wantErr: `tag api/v1.2: "1.2" is not a semantic version X.Y.Z (component api, prefix "api/v")`},
		{tag: "nope/v1.0.0", wantErr: `tag nope/v1.0.0: no component "nope"`},
		{tag: "random", wantErr: "tag random is not a release tag: want <component>/vX.Y.Z (components: api, api-plugins, py, tool, web)"},
		{tag: "absent/v1.0.0", wantErr: "tag absent/v1.0.0: tag not found"},
	}
	for _, tc := range tests {
		t.Run(tc.tag, func(t *testing.T) {
			rel, err := PrepareFrom(filepath.Join(r.Dir, "components"), tc.tag, "")
			if wanterr.Check(t, err, tc.wantErr) {
				return
			}
			if rel.Component.Name != tc.component || rel.Commit != hash(tc.tag) {
				t.Errorf("released %s at %s, want %s at %s", rel.Component.Name, rel.Commit, tc.component, hash(tc.tag))
			}
			if rel.Notes.Previous != tc.previous {
				t.Errorf("previous tag = %q, want %q", rel.Notes.Previous, tc.previous)
			}
			var subjects []string
			for _, c := range rel.Notes.Commits {
				subjects = append(subjects, c.Subject)
			}
			if strings.Join(subjects, "|") != strings.Join(tc.subjects, "|") {
				t.Errorf("notes commits = %q, want %q", subjects, tc.subjects)
			}
			if rel.Deploy() != tc.deploy || rel.GitHubRelease() != tc.ghRe {
				t.Errorf("deploy, github release = %v, %v; want %v, %v", rel.Deploy(), rel.GitHubRelease(), tc.deploy, tc.ghRe)
			}
		})
	}
}

func TestNotesMarkdown(t *testing.T) {
	tests := []struct {
		name  string
		notes Notes
		want  string
	}{
		{name: "first", notes: Notes{Tag: "a/v1.0.0", Commits: []Commit{{Hash: "0123456789abcdef0123", Subject: "Start", Author: "Ada"}}},
			want: "First release.\n\n- Start (0123456789ab, Ada)\n"},
		{name: "later, empty", notes: Notes{Tag: "a/v1.0.1", Previous: "a/v1.0.0"},
			want: "Changes since a/v1.0.0:\n\nNo changes to this component.\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.notes.Markdown(); got != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestParseTagPrefixes(t *testing.T) {
	comp := func(name, prefix string) *manifest.Component {
		return &manifest.Component{Name: name, Path: name + "/component.yaml", Dir: name, Release: manifest.Release{TagPrefix: prefix}}
	}
	tests := []struct {
		name    string
		comps   []*manifest.Component
		tag     string
		want    string
		wantErr string
	}{
		{name: "custom prefix", comps: []*manifest.Component{comp("api", "api-v"), comp("web", "")}, tag: "api-v3.0.0", want: "api"},
		{name: "longest prefix wins", comps: []*manifest.Component{comp("tool", "v"), comp("vendor", "")}, tag: "vendor/v1.0.0", want: "vendor"},
		{name: "plain tag undeclared", comps: []*manifest.Component{comp("api", "")}, tag: "v1.0.0", wantErr: `tag v1.0.0: no component declares release.tagPrefix "v"`},
		{name: "two components, one prefix", comps: []*manifest.Component{comp("a", "v"), comp("b", "v")}, tag: "v1.0.0", wantErr: `tag prefix "v" is claimed by both a (a/component.yaml) and b (b/component.yaml)`},
		{name: "leading v inside version", comps: []*manifest.Component{comp("api", "")}, tag: "api/vv1.0.0", wantErr: `"v1.0.0" is not a semantic version`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTag(tc.tag, tc.comps)
			if wanterr.Check(t, err, tc.wantErr) {
				return
			}
			if got.Component.Name != tc.want {
				t.Errorf("component = %s, want %s", got.Component.Name, tc.want)
			}
		})
	}
}

func TestCheckVersion(t *testing.T) {
	comp := &manifest.Component{Name: "c", Dir: "c", Path: "c/component.yaml"}
	tests := []struct {
		name        string
		files       map[string]string
		versionFile string
		wantErr     string
	}{
		{name: "no version file", files: map[string]string{}},
		{name: "VERSION agrees, with v", files: map[string]string{"c/VERSION": "v1.2.3\n"}},
		{name: "VERSION first", files: map[string]string{"c/VERSION": "1.2.3", "c/package.json": `{"version":"9.9.9"}`}},
		{name: "dynamic pyproject version skipped", files: map[string]string{"c/pyproject.toml": "[project]\ndynamic = [\"version\"]\n", "c/package.json": `{"version":"1.2.3"}`}},
		{name: "poetry version", files: map[string]string{"c/pyproject.toml": "[tool.poetry]\nversion = \"1.2.3\"\n"}},
		{name: "explicit file missing", versionFile: "version.txt", files: map[string]string{}, wantErr: "read version file: open c/version.txt"},
		{name: "explicit file empty", versionFile: "version.txt", files: map[string]string{"c/version.txt": "\n"}, wantErr: "c/version.txt (release.versionFile of c/component.yaml) records no version"},
		{name: "check off", versionFile: "-", files: map[string]string{"c/VERSION": "0.0.1"}},
		{name: "garbage version", files: map[string]string{"c/VERSION": "banana"}, wantErr: `the tag says 1.2.3 but c/VERSION says "banana"`},
		{name: "broken package.json", files: map[string]string{"c/package.json": `{"version":`}, wantErr: "parse c/package.json"},
		{name: "broken pyproject", files: map[string]string{"c/pyproject.toml": "[project\n"}, wantErr: "parse c/pyproject.toml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for p, s := range tc.files {
				fsys[p] = &fstest.MapFile{Data: []byte(s)}
			}
			c := *comp
			c.Release.VersionFile = tc.versionFile
			target, err := ParseTag("c/v1.2.3", []*manifest.Component{&c})
			if err != nil {
				t.Fatal(err)
			}
			wanterr.Check(t, CheckVersion(fsys, target), tc.wantErr)
		})
	}
}

// TestNotesFollowPlanOwnership checks that release notes use plan's
// ownership rule: the workspace's ignore globs take paths away and its
// global globs add them, like they do for plan.
func TestNotesFollowPlanOwnership(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git binary not on PATH")
	}
	r := &datedRepo{Repo: gittest.New(t), t: t}
	r.commit("Add api", map[string]string{
		"monopipe.yaml":        "global: [go.work]\nignore: [\"**/*.md\"]\nrelease:\n  githubRelease: false\n",
		"go.work":              "go 1.26\n",
		"api/component.yaml":   "name: api\nkind: go\n",
		"api/VERSION":          "1.0.0\n",
		"api/main.go":          "package main\n",
		"other/component.yaml": "name: other\nkind: go\n",
	})
	r.Git("tag", "api/v1.0.0")
	r.commit("Api readme", map[string]string{"api/README.md": "# api\n"})
	r.commit("Bump go.work", map[string]string{"go.work": "go 1.26.1\n"})
	r.commit("Other only", map[string]string{"other/x.go": "package x\n"})
	r.commit("Api 1.1.0", map[string]string{"api/VERSION": "1.1.0\n"})
	r.Git("tag", "api/v1.1.0")
	rel, err := PrepareFrom(r.Dir, "api/v1.1.0", "")
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, c := range rel.Notes.Commits {
		subjects = append(subjects, c.Subject)
	}
	if got, want := strings.Join(subjects, "|"), "Api 1.1.0|Bump go.work"; got != want {
		t.Errorf("notes commits = %q, want %q", got, want)
	}
}
