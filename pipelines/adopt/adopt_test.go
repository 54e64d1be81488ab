package adopt_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/pipelines/adopt"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
)

// fixtureRepo copies testdata/name into a new git repository, adds
// extra files (what a fixture cannot hold: ignored folders,
// node_modules) and commits.
func fixtureRepo(t *testing.T, name string, extra map[string]string) *gittest.Repo {
	t.Helper()
	r := gittest.New(t)
	if name != "" {
		if err := os.CopyFS(r.Dir, os.DirFS(filepath.Join("testdata", name))); err != nil {
			t.Fatal(err)
		}
	}
	r.Commit("fixture", extra)
	return r
}

// propose runs init's proposal on the working tree of the repository at dir.
func propose(t *testing.T, dir string) *adopt.Proposal {
	t.Helper()
	m, err := plan.Open(context.Background(), plan.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	p, err := adopt.Propose(adopt.Input{FS: m.FS, Files: m.Files, Workspace: m.Workspace, Components: m.Components, RootName: "repo"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// summary is "dir name kind [deps]" per proposed component.
func summary(p *adopt.Proposal) []string {
	var out []string
	for _, c := range p.Components {
		out = append(out, c.Dir+" "+c.Name+" "+string(c.Kind)+" ["+strings.Join(c.DependsOn, " ")+"]")
	}
	return out
}

func TestFixtures(t *testing.T) {
	tests := []struct {
		fixture   string
		extra     map[string]string
		want      []string // summary
		workspace string   // the components line of the proposed monopipe.yaml ("" when none)
		notes     []string // substrings of notes, in order
	}{
		{
			fixture: "go",
			extra: map[string]string{
				".gitignore":         "build/\n",
				"build/gen/go.mod":   "module example.com/gen\n",
				"testdata/x/go.mod":  "module example.com/fixture\n",
				".hidden/y/go.mod":   "module example.com/hidden\n",
				"api/Dockerfile.txt": "not a Dockerfile\n",
			},
			want: []string{
				"api api go [lib]",   // imports example.com/lib (module example.com/lib/v2)
				"lib lib go []",      // named for its folder, not lib/v2
				"tool tool go [lib]", // replace example.com/lib => ../lib, no import
			},
			workspace: `components: ["*"]`,
			notes:     []string{"go.work: a go.work workspace"},
		},
		{
			fixture: "node",
			extra:   map[string]string{"node_modules/left-pad/package.json": `{"name": "left-pad"}`},
			want: []string{
				"packages/app app node [helper ui]", // file: and workspace:* dependencies
				"packages/ui ui node []",
				"tools/helper helper node []", // its devDependency on app closes a cycle
			},
			workspace: `components: ["packages/*", "tools/*"]`,
			notes:     []string{"package.json: an npm/pnpm/yarn workspace root", "helper: dependsOn app dropped: it closes a dependency cycle"},
		},
		{
			fixture: "python",
			want: []string{
				"core core python []",
				"job job python [svc]",      // Poetry path dependency
				"svc svc python [core]",     // acme_core is acme-core
				"uvapp uvapp python [core]", // uv source path
			},
			workspace: `components: ["*"]`,
		},
		{
			fixture: "docker",
			want: []string{
				"images/app app docker [base legacy]", // COPY --from images, not stages
				"images/base base docker []",
				"mod mod custom []", // a Dagger module, its go.mod not a Go component
			},
			workspace: `components: ["*", "images/*"]`,
			notes:     []string{"dagger.json at the root", "ci: the source of the Dagger module in ."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			r := fixtureRepo(t, tt.fixture, tt.extra)
			p := propose(t, r.Dir)
			if got := summary(p); !slices.Equal(got, tt.want) {
				t.Errorf("components:\n got %q\nwant %q", got, tt.want)
			}
			var ws string
			for _, f := range p.Files {
				if f.Exists {
					t.Errorf("%s: proposed over an existing file", f.Path)
				}
				if f.Path == manifest.WorkspaceFile {
					for _, l := range strings.Split(string(f.New), "\n") {
						if strings.HasPrefix(l, "components:") {
							ws = l
						}
					}
					continue
				}
				if !strings.HasPrefix(string(f.New), "# yaml-language-server: $schema="+adopt.ComponentSchemaURL+"\n") {
					t.Errorf("%s does not start with the schema line:\n%s", f.Path, f.New)
				}
			}
			if ws != tt.workspace {
				t.Errorf("monopipe.yaml components: got %q, want %q", ws, tt.workspace)
			}
			all := strings.Join(p.Notes, "\n")
			for _, n := range tt.notes {
				i := strings.Index(all, n)
				if i < 0 {
					t.Errorf("no note %q in:\n%s", n, all)
					continue
				}
				all = all[i+len(n):]
			}
		})
	}
}
