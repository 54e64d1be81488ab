package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

// removedFixture has a root component enclosing the others, as in a
// repository whose root is a Go module.
var removedFixture = map[string]string{
	"component.yaml":              "name: root\nkind: go\n",
	"go.mod":                      "module example.com/root\n",
	"libs/old/component.yaml":     "name: old\nkind: go\n",
	"libs/old/old.go":             "package old\n",
	"libs/old/sub/x.go":           "package sub\n",
	"services/web/component.yaml": "name: web\nkind: node\n",
	"services/web/index.js":       "x\n",
	"services/api/component.yaml": "name: api\nkind: go\ndependsOn: [root]\n",
	"services/api/main.go":        "package main\n",
}

func TestRemovedAndMoved(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, r *gittest.Repo)
		head    string
		want    []string
		reasons map[string]string
		removed []Removed
	}{
		{name: "a deleted component is removed, not charged to the root",
			setup: func(t *testing.T, r *gittest.Repo) {
				r.Git("rm", "-q", "-r", "libs/old")
				r.Git("commit", "-q", "-m", "rm old")
			}, head: "HEAD", want: []string{},
			removed: []Removed{{Name: "old", Dir: "libs/old", Reason: "libs/old/component.yaml deleted"}}},
		{name: "a deleted component in the working tree",
			setup: func(t *testing.T, r *gittest.Repo) {
				r.Commit("empty", nil)
				r.Remove("libs/old")
			}, want: []string{},
			removed: []Removed{{Name: "old", Dir: "libs/old", Reason: "libs/old/component.yaml deleted"}}},
		{name: "a moved folder is one component moved",
			setup: func(t *testing.T, r *gittest.Repo) {
				mkdirAll(t, filepath.Join(r.Dir, "apps"))
				r.Git("mv", "services/web", "apps/web")
				r.Git("commit", "-q", "-m", "move web")
			}, head: "HEAD", want: []string{"web"},
			reasons: map[string]string{"web": "moved from services/web to apps/web"}},
		{name: "a moved folder in the working tree",
			setup: func(t *testing.T, r *gittest.Repo) {
				r.Commit("empty", nil)
				mkdirAll(t, filepath.Join(r.Dir, "apps"))
				r.Git("mv", "services/web", "apps/web")
			}, want: []string{"web"},
			reasons: map[string]string{"web": "services/web/index.js changed (component moved from services/web)"}},
		{name: "a component file deleted while its files stay hands them to the enclosing component",
			setup: func(t *testing.T, r *gittest.Repo) {
				r.Git("rm", "-q", "libs/old/component.yaml")
				r.Git("commit", "-q", "-m", "fold old into root")
			}, head: "HEAD", want: []string{"root", "api"},
			reasons: map[string]string{"root": "libs/old is no longer a component: its files now belong to root", "api": "api → root"},
			removed: []Removed{{Name: "old", Dir: "libs/old", Reason: "libs/old/component.yaml deleted"}}},
		{name: "a renamed component is removed under its old name",
			setup: func(t *testing.T, r *gittest.Repo) {
				r.Commit("rename", map[string]string{"libs/old/component.yaml": "name: newer\nkind: go\n"})
			}, head: "HEAD", want: []string{"newer"},
			reasons: map[string]string{"newer": "manifest libs/old/component.yaml changed"},
			removed: []Removed{{Name: "old", Dir: "libs/old", Reason: "renamed to newer in libs/old/component.yaml"}}},
		{name: "a component moved into another component's folder selects only itself",
			setup: func(t *testing.T, r *gittest.Repo) {
				r.Git("mv", "libs/old", "services/api/old")
				r.Git("commit", "-q", "-m", "move old")
			}, head: "HEAD", want: []string{"old"},
			reasons: map[string]string{"old": "moved from libs/old to services/api/old"}},
		{name: "a deleted file of a component that stays is its own",
			setup: func(t *testing.T, r *gittest.Repo) {
				r.Git("rm", "-q", "libs/old/old.go")
				r.Git("commit", "-q", "-m", "rm")
			}, head: "HEAD", want: []string{"old"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gittest.New(t)
			r.Commit("init", removedFixture)
			tt.setup(t, r)
			p, err := Make(context.Background(), Options{Dir: r.Dir, Head: tt.head})
			if err != nil {
				t.Fatal(err)
			}
			if got := names(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("components = %v, want %v\n%s", got, tt.want, dump(p))
			}
			for n, want := range tt.reasons {
				if !hasReason(p, n, want) {
					t.Errorf("%s: no reason contains %q\n%s", n, want, dump(p))
				}
			}
			want := tt.removed
			if want == nil {
				want = []Removed{}
			}
			if !reflect.DeepEqual(p.Removed, want) {
				t.Errorf("removed = %+v, want %+v", p.Removed, want)
			}
		})
	}
}

// TestJSONRemoved checks that the JSON plan always has the removed list,
// and the text plan shows it.
func TestJSONRemoved(t *testing.T) {
	r := gittest.New(t)
	r.Commit("init", removedFixture)
	r.Git("rm", "-q", "-r", "libs/old")
	r.Git("commit", "-q", "-m", "rm old")
	p, err := Make(context.Background(), Options{Dir: r.Dir})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := p.Write(&b, "json"); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Components []json.RawMessage `json:"components"`
		Removed    []Removed         `json:"removed"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Components) != 0 || !reflect.DeepEqual(got.Removed, []Removed{{"old", "libs/old", "libs/old/component.yaml deleted"}}) {
		t.Errorf("json: %s", b.String())
	}
	if text := dump(p); !strings.Contains(text, "removed old (libs/old): libs/old/component.yaml deleted") {
		t.Errorf("text: %s", text)
	}
	p, err = Make(context.Background(), Options{Dir: r.Dir, All: true})
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	_ = p.Write(&b, "json")
	if !strings.Contains(b.String(), `"removed":[]`) {
		t.Errorf("json without removals: %s", b.String())
	}
}

func mkdirAll(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}
