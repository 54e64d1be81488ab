package plan

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

// fixture is a small monorepo covering every ownership rule: libraries,
// services, a nested component, an input outside the folder, component
// ignores, folders that discovery skips.
var fixture = map[string]string{
	"monopipe.yaml":                     "global: [go.work]\nignore: [\"**/*.md\"]\n",
	"go.work":                           "go 1.26\n",
	"README.md":                         "# repo\n",
	".gitignore":                        "*.log\n",
	"libs/greet/component.yaml":         "name: greet\nkind: go\n",
	"libs/greet/greet.go":               "package greet\n",
	"libs/proto/component.yaml":         "name: proto\nkind: custom\ninputs: [\"/shared/protos/**\"]\n",
	"libs/proto/gen.sh":                 "true\n",
	"shared/protos/a.proto":             "syntax = \"proto3\";\n",
	"services/api/component.yaml":       "name: api\nkind: go\ndependsOn: [greet]\nignore: [\"docs/**\"]\n",
	"services/api/main.go":              "package main\n",
	"services/api/README.md":            "# api\n",
	"services/api/docs/guide.txt":       "guide\n",
	"services/api/admin/component.yaml": "name: admin\nkind: go\ndependsOn: [api]\n",
	"services/api/admin/main.go":        "package main\n",
	"services/web/component.yaml":       "name: web\nkind: node\ndependsOn: [api]\n",
	"services/web/index.js":             "console.log('hi')\n",
	"tools/cli/component.yaml":          "name: cli\nkind: go\n",
	"tools/cli/main.go":                 "package main\n",
	"testdata/fake/component.yaml":      "name: fake\nkind: go\n",
	"node_modules/x/component.yaml":     "name: nm\nkind: node\n",
	".hidden/component.yaml":            "name: hidden\nkind: go\n",
}

var allNames = []string{"cli", "greet", "proto", "api", "admin", "web"}

func newFixture(t *testing.T) *gittest.Repo {
	r := gittest.New(t)
	r.Commit("initial", fixture)
	return r
}

func names(p *Plan) []string {
	out := []string{}
	for _, c := range p.Components {
		out = append(out, c.Name)
	}
	return out
}

func TestMake(t *testing.T) {
	tests := []struct {
		name string
		// setup changes the fixture and returns the options to plan with.
		setup func(t *testing.T, r *gittest.Repo) Options
		want  []string
		// reasons: component → substring one of its reasons must contain.
		reasons map[string]string
		all     bool
		// reason is a substring of the plan's reason.
		reason string
	}{
		{
			name: "library change selects its dependents with the chain",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Commit("greet", map[string]string{"libs/greet/greet.go": "package greet // v2\n"})
				return Options{}
			},
			want: []string{"greet", "api", "admin", "web"},
			reasons: map[string]string{
				"greet": "libs/greet/greet.go changed",
				"api":   "api → greet",
				"admin": "admin → api → greet",
				"web":   "web → api → greet",
			},
		},
		{
			name: "ignored paths affect nothing",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Commit("docs", map[string]string{"README.md": "# new\n", "services/api/README.md": "# new\n", "services/api/docs/guide.txt": "new\n"})
				return Options{}
			},
			want: []string{},
		},
		{
			name: "global path affects every component",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Commit("work", map[string]string{"go.work": "go 1.26.1\n"})
				return Options{}
			},
			want:    allNames,
			reasons: map[string]string{"cli": `global go.work changed (matches "go.work")`},
		},
		{
			name: "inputs outside the folder",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Commit("proto", map[string]string{"shared/protos/a.proto": "syntax = \"proto3\"; // 2\n"})
				return Options{}
			},
			want:    []string{"proto"},
			reasons: map[string]string{"proto": "input shared/protos/a.proto changed"},
		},
		{
			name: "a nested component owns its files",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Commit("admin", map[string]string{"services/api/admin/main.go": "package main // 2\n"})
				return Options{}
			},
			want: []string{"admin"},
		},
		{
			name: "manifest change",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Commit("cli", map[string]string{"tools/cli/component.yaml": "name: cli\nkind: go\ninputs: []\n"})
				return Options{}
			},
			want:    []string{"cli"},
			reasons: map[string]string{"cli": "manifest tools/cli/component.yaml changed"},
		},
		{
			name: "a rename counts at both paths",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Git("mv", "tools/cli/main.go", "libs/proto/main.go")
				r.Git("commit", "-q", "-m", "move")
				return Options{}
			},
			want:    []string{"cli", "proto"},
			reasons: map[string]string{"cli": "tools/cli/main.go changed", "proto": "libs/proto/main.go changed"},
		},
		{
			name: "a deletion counts",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Git("rm", "-q", "tools/cli/main.go")
				r.Git("commit", "-q", "-m", "rm")
				return Options{}
			},
			want: []string{"cli"},
		},
		{
			name: "the full rebuild marker selects everything",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Commit("bump deps [full rebuild]", map[string]string{"README.md": "# x\n"})
				r.Commit("later", map[string]string{"README.md": "# y\n"})
				return Options{Base: "HEAD~2"}
			},
			want: allNames, all: true, reason: `says "[full rebuild]"`,
		},
		{
			name: "the marker before base does not count",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Commit("bump deps [full rebuild]", map[string]string{"README.md": "# x\n"})
				r.Commit("later", map[string]string{"tools/cli/main.go": "package main // 3\n"})
				return Options{}
			},
			want: []string{"cli"},
		},
		{
			name: "uncommitted, staged, untracked and deleted files count; ignored ones do not",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Commit("empty", nil)
				r.Write(map[string]string{
					"tools/cli/main.go":       "package main // edited\n", // modified
					"libs/proto/new.sh":       "new\n",                    // untracked
					"services/web/x.log":      "ignored\n",                // ignored
					"services/api/admin/a.go": "package main\n",           // staged below
				})
				r.Git("add", "services/api/admin/a.go")
				r.Remove("libs/greet/greet.go") // deleted
				return Options{}
			},
			want: []string{"cli", "greet", "proto", "api", "admin", "web"},
			reasons: map[string]string{
				"cli": "tools/cli/main.go changed", "proto": "libs/proto/new.sh changed",
				"greet": "libs/greet/greet.go changed", "admin": "services/api/admin/a.go changed",
			},
		},
		{
			name: "an ignored untracked file alone affects nothing",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Git("commit", "-q", "--allow-empty", "-m", "empty")
				r.Write(map[string]string{"services/web/x.log": "ignored\n"})
				return Options{}
			},
			want: []string{},
		},
		{
			name: "an explicit head uses commits only",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Commit("cli", map[string]string{"tools/cli/main.go": "package main // 2\n"})
				r.Write(map[string]string{"libs/greet/greet.go": "package greet // dirty\n", "libs/proto/new.sh": "x\n"})
				return Options{Head: "HEAD"}
			},
			want: []string{"cli"},
		},
		{
			name: "an explicit head reads manifests at that commit",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Commit("new comp", map[string]string{"tools/new/component.yaml": "name: new\nkind: go\n"})
				r.Remove("tools/new/component.yaml") // gone from the working tree only
				return Options{Head: "HEAD"}
			},
			want: []string{"new"},
		},
		{
			name: "a feature branch compares with its merge-base, not with the moved base branch",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Git("checkout", "-q", "-b", "feat")
				r.Commit("cli", map[string]string{"tools/cli/main.go": "package main // feat\n"})
				r.Git("checkout", "-q", "main")
				r.Commit("greet", map[string]string{"libs/greet/greet.go": "package greet // main moved\n"})
				r.Git("checkout", "-q", "feat")
				r.Commit("cli again", map[string]string{"tools/cli/x.go": "package main\n"})
				return Options{}
			},
			want: []string{"cli"}, reason: "merge-base with main",
		},
		{
			name: "a merge commit on the base branch compares with its first parent",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Git("checkout", "-q", "-b", "feat")
				r.Commit("cli", map[string]string{"tools/cli/main.go": "package main // feat\n"})
				r.Git("checkout", "-q", "main")
				r.Commit("proto", map[string]string{"libs/proto/gen.sh": "false\n"})
				r.Git("merge", "-q", "--no-ff", "-m", "merge feat", "feat")
				return Options{}
			},
			want: []string{"cli"}, reason: "first parent of HEAD on main",
		},
		{
			name: "a detached HEAD on the base branch (as CI checks out) compares with its first parent",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Commit("cli", map[string]string{"tools/cli/main.go": "package main // 2\n"})
				r.Git("checkout", "-q", "--detach")
				return Options{}
			},
			want: []string{"cli"},
		},
		{
			name: "the all-zero base on a new branch uses the merge-base",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Git("checkout", "-q", "-b", "feat")
				r.Commit("cli", map[string]string{"tools/cli/main.go": "package main // 2\n"})
				return Options{Base: "0000000000000000000000000000000000000000", Head: "HEAD"}
			},
			want: []string{"cli"}, reason: "all-zero id",
		},
		{
			name: "the all-zero base on the base branch is unknown",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Commit("cli", map[string]string{"tools/cli/main.go": "package main // 2\n"})
				return Options{Base: "0000000000000000000000000000000000000000"}
			},
			want: allNames, all: true, reason: "all-zero id",
		},
		{
			name: "a base commit missing from the clone is unknown",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				return Options{Base: "1234567890abcdef1234567890abcdef12345678"}
			},
			want: allNames, all: true, reason: "not in this clone",
		},
		{
			name:  "the first commit has nothing to compare with",
			setup: func(t *testing.T, r *gittest.Repo) Options { return Options{} },
			want:  allNames, all: true, reason: "first commit",
		},
		{
			name: "explicit base and head",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				a := r.Commit("cli", map[string]string{"tools/cli/main.go": "package main // 2\n"})
				b := r.Commit("proto", map[string]string{"libs/proto/gen.sh": "false\n"})
				r.Commit("greet", map[string]string{"libs/greet/greet.go": "package greet // 2\n"})
				return Options{Base: a, Head: b}
			},
			want: []string{"proto"},
		},
		{
			name: "--all selects everything",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Commit("nothing", nil)
				return Options{All: true}
			},
			want: allNames, all: true, reason: "--all",
		},
		{
			name: "--component narrows the selection",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Commit("greet", map[string]string{"libs/greet/greet.go": "package greet // 2\n"})
				return Options{Components: []string{"web", "cli"}}
			},
			want: []string{"web"},
		},
		{
			name: "--all with --component",
			setup: func(t *testing.T, r *gittest.Repo) Options {
				r.Commit("nothing", nil)
				return Options{All: true, Components: []string{"cli", "admin"}}
			},
			want: []string{"admin", "cli"}, all: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newFixture(t)
			opts := tt.setup(t, r)
			opts.Dir = r.Dir
			p, err := Make(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("components = %v, want %v\nplan: %s", got, tt.want, dump(p))
			}
			if p.All != tt.all {
				t.Errorf("all = %v, want %v (reason %q)", p.All, tt.all, p.Reason)
			}
			if !strings.Contains(p.Reason, tt.reason) {
				t.Errorf("reason = %q, want it to contain %q", p.Reason, tt.reason)
			}
			for name, want := range tt.reasons {
				if !hasReason(p, name, want) {
					t.Errorf("%s: no reason contains %q\nplan: %s", name, want, dump(p))
				}
			}
			if opts.Head == "" {
				sameAsEngine(t, opts, p)
			}
		})
	}
}

func hasReason(p *Plan, name, want string) bool {
	for _, c := range p.Components {
		if c.Name == name {
			for _, r := range c.Reasons {
				if strings.Contains(r, want) {
					return true
				}
			}
		}
	}
	return false
}

func dump(p *Plan) string {
	var b strings.Builder
	_ = p.Write(&b, "text")
	return b.String()
}

func TestLevels(t *testing.T) {
	r := newFixture(t)
	p, err := Make(context.Background(), Options{Dir: r.Dir, All: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, c := range p.Components {
		got[c.Name] = c.Level
	}
	want := map[string]int{"cli": 0, "greet": 0, "proto": 0, "api": 1, "admin": 2, "web": 2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("levels = %v, want %v", got, want)
	}
	// Levels skip over components that are not selected.
	p, err = Make(context.Background(), Options{Dir: r.Dir, All: true, Components: []string{"greet", "web"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Components[0].Name != "greet" || p.Components[0].Level != 0 || p.Components[1].Name != "web" || p.Components[1].Level != 1 {
		t.Errorf("narrowed levels: %+v", p.Components)
	}
}

// TestBranches covers the base branch living only in origin, a shallow
// clone, and a base branch that does not exist.
func TestBranches(t *testing.T) {
	origin := newFixture(t)
	for i := 0; i < 3; i++ {
		origin.Commit(fmt.Sprintf("c%d", i), map[string]string{"tools/cli/main.go": fmt.Sprintf("package main // %d\n", i)})
	}
	clone := func(t *testing.T, args ...string) *gittest.Repo {
		dir := filepath.Join(t.TempDir(), "clone")
		gittest.At(t, ".").Git(append(append([]string{"clone", "-q"}, args...), "file://"+origin.Dir, dir)...)
		return gittest.At(t, dir)
	}
	tests := []struct {
		name   string
		setup  func(t *testing.T) (*gittest.Repo, Options)
		want   []string
		all    bool
		reason string
		err    string
	}{
		{
			name: "merge-base with origin when there is no local base branch",
			setup: func(t *testing.T) (*gittest.Repo, Options) {
				c := clone(t)
				c.Git("checkout", "-q", "-b", "feat")
				c.Git("branch", "-q", "-D", "main")
				c.Commit("proto", map[string]string{"libs/proto/gen.sh": "x\n"})
				return c, Options{}
			},
			want: []string{"proto"}, reason: "merge-base with origin/main",
		},
		{
			name: "a shallow clone cannot see the parent of HEAD",
			setup: func(t *testing.T) (*gittest.Repo, Options) {
				return clone(t, "--depth", "1"), Options{}
			},
			want: allNames, all: true, reason: "shallow",
		},
		{
			name: "a shallow clone cannot reach a base beyond its depth",
			setup: func(t *testing.T) (*gittest.Repo, Options) {
				return clone(t, "--depth", "2"), Options{Base: "HEAD~3"}
			},
			want: allNames, all: true, reason: "shallow",
		},
		{
			name: "a shallow clone within its depth answers exactly",
			setup: func(t *testing.T) (*gittest.Repo, Options) {
				return clone(t, "--depth", "2"), Options{Base: "HEAD~1"}
			},
			want: []string{"cli"},
		},
		{
			name: "a feature branch without the base branch anywhere",
			setup: func(t *testing.T) (*gittest.Repo, Options) {
				c := clone(t)
				c.Git("checkout", "-q", "-b", "feat")
				c.Git("branch", "-q", "-D", "main")
				c.Git("remote", "remove", "origin")
				return c, Options{}
			},
			want: allNames, all: true, reason: `base branch "main" not found`,
		},
		{
			name: "a revision name that does not resolve is an error",
			setup: func(t *testing.T) (*gittest.Repo, Options) {
				return clone(t), Options{Base: "no-such-branch"}
			},
			err: "--base no-such-branch: no such revision",
		},
		{
			name: "a head that does not resolve is an error",
			setup: func(t *testing.T) (*gittest.Repo, Options) {
				return clone(t), Options{Head: "v9.9.9"}
			},
			err: "--head v9.9.9: no such revision",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, opts := tt.setup(t)
			opts.Dir = r.Dir
			p, err := Make(context.Background(), opts)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("components = %v, want %v\n%s", got, tt.want, dump(p))
			}
			if p.All != tt.all || !strings.Contains(p.Reason, tt.reason) {
				t.Errorf("all = %v reason %q, want %v and %q", p.All, p.Reason, tt.all, tt.reason)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		opts  Options
		err   string
	}{
		{"cycle", map[string]string{
			"a/component.yaml": "name: a\nkind: go\ndependsOn: [b]\n",
			"b/component.yaml": "name: b\nkind: go\ndependsOn: [c]\n",
			"c/component.yaml": "name: c\nkind: go\ndependsOn: [a]\n",
		}, Options{}, "dependency cycle: a → b → c → a"},
		{"unknown dependency", map[string]string{
			"a/component.yaml": "name: a\nkind: go\ndependsOn:\n  - lib\n",
		}, Options{}, `a/component.yaml:4: dependsOn names unknown component "lib"`},
		{"duplicate names", map[string]string{
			"a/component.yaml": "name: same\nkind: go\n",
			"b/component.yaml": "name: same\nkind: go\n",
		}, Options{}, `duplicate component name "same": a/component.yaml and b/component.yaml`},
		{"malformed yaml", map[string]string{
			"a/component.yaml": "name: a\nkind: [go\n",
		}, Options{}, "a/component.yaml:2: did not find expected"},
		{"unknown key", map[string]string{
			"a/component.yaml": "name: a\nkind: go\ndepends_on: [b]\n",
		}, Options{}, `a/component.yaml:3: unknown key "depends_on"`},
		{"unknown key in a section", map[string]string{
			"a/component.yaml": "name: a\nkind: go\nbuild:\n  mian: ./cmd\n",
		}, Options{}, `a/component.yaml:4: unknown key "mian"`},
		{"unknown kind", map[string]string{
			"a/component.yaml": "name: a\nkind: rust\n",
		}, Options{}, `a/component.yaml:2: unknown kind "rust"`},
		{"missing name", map[string]string{
			"a/component.yaml": "kind: go\n",
		}, Options{}, "a/component.yaml: name is required"},
		{"bad workspace", map[string]string{
			"monopipe.yaml":    "baseBranch: main\nignores: [x]\n",
			"a/component.yaml": "name: a\nkind: go\n",
		}, Options{}, `monopipe.yaml:2: unknown key "ignores"`},
		{"second YAML document", map[string]string{
			"a/component.yaml": "name: a\nkind: go\n---\nname: b\n",
		}, Options{}, "a/component.yaml:3: a second YAML document"},
		{"null dependency", map[string]string{
			"a/component.yaml": "name: a\nkind: go\ndependsOn: [~]\n",
		}, Options{}, "a/component.yaml:3: dependsOn has an empty entry"},
		{"name too long for an image tag", map[string]string{
			"a/component.yaml": "name: " + strings.Repeat("x", 5000) + "\nkind: go\n",
		}, Options{Head: "HEAD"}, "a/component.yaml:1: name is 5000 characters long; at most 128"},
		{"bad discovery glob", map[string]string{
			"monopipe.yaml":    "components:\n  - \"a/{b\"\n",
			"a/component.yaml": "name: a\nkind: go\n",
		}, Options{}, `monopipe.yaml:2: components: bad glob "a/{b"`},
		{"unknown --component", map[string]string{
			"a/component.yaml": "name: a\nkind: go\n",
		}, Options{Components: []string{"b"}}, "--component b: no such component (known: a)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gittest.New(t)
			r.Commit("bad", tt.files)
			tt.opts.Dir = r.Dir
			_, err := Make(context.Background(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.err)
			}
		})
	}
}

func TestNotARepository(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "monopipe.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Make(context.Background(), Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "open git repository at "+dir) {
		t.Fatalf("err = %v", err)
	}
}
