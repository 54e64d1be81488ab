package plan

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

// TestAllSeesWhatTheDefaultSees checks that --all and the default mode find
// the same components: none in git-ignored folders, nested repositories or
// submodules.
func TestAllSeesWhatTheDefaultSees(t *testing.T) {
	r := gittest.New(t)
	r.Commit("init", map[string]string{
		".gitignore":       "out/\n",
		"a/component.yaml": "name: a\nkind: go\n",
		"b/component.yaml": "name: b\nkind: go\n",
	})
	r.Commit("change", map[string]string{"a/x.go": "package a\n", "b/x.go": "package b\n"})
	r.Write(map[string]string{"out/gen/component.yaml": "name: gen\nkind: go\n"})
	if err := os.Mkdir(filepath.Join(r.Dir, "vendored"), 0o755); err != nil {
		t.Fatal(err)
	}
	nested := gittest.At(t, filepath.Join(r.Dir, "vendored"))
	nested.Git("init", "-q", "-b", "main")
	nested.Commit("nested", map[string]string{"component.yaml": "name: nested\nkind: go\n"})
	// A submodule with a component: git lists the submodule, not its files.
	sub := gittest.New(t)
	sub.Commit("sub", map[string]string{"component.yaml": "name: sub\nkind: go\n"})
	r.Git("-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.Dir, "mods/sub")
	r.Git("commit", "-q", "-m", "submodule")

	want := []string{"a", "b"}
	for _, opts := range []Options{{}, {All: true}, {Head: "HEAD"}, {All: true, Head: "HEAD"}} {
		opts.Dir = r.Dir
		p, err := Make(context.Background(), opts)
		if err != nil {
			t.Fatalf("%+v: %v", opts, err)
		}
		var got []string
		for n := range p.Manifests {
			got = append(got, n)
		}
		if !reflect.DeepEqual(sorted(got), want) {
			t.Errorf("%+v: components %v, want %v", opts, sorted(got), want)
		}
	}

	// A dependency on a component in an ignored folder fails the same way
	// in both modes.
	r.Commit("dep", map[string]string{"a/component.yaml": "name: a\nkind: go\ndependsOn: [gen]\n"})
	for _, opts := range []Options{{}, {All: true}} {
		opts.Dir = r.Dir
		_, err := Make(context.Background(), opts)
		if err == nil || !strings.Contains(err.Error(), `a/component.yaml:3: dependsOn names unknown component "gen"`) {
			t.Errorf("%+v: err = %v", opts, err)
		}
	}
}

// TestBraceGlobs checks discovery with brace globs over a real repository,
// in every mode.
func TestBraceGlobs(t *testing.T) {
	r := gittest.New(t)
	r.Commit("init", map[string]string{
		"monopipe.yaml":               "components: [\"components/{a,b}\"]\n",
		"components/a/component.yaml": "name: a\nkind: go\n",
		"components/b/component.yaml": "name: b\nkind: go\n",
		"components/c/component.yaml": "name: c\nkind: go\n",
	})
	for _, opts := range []Options{{All: true}, {All: true, Head: "HEAD"}} {
		opts.Dir = r.Dir
		p, err := Make(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(p); !reflect.DeepEqual(got, []string{"a", "b"}) {
			t.Errorf("%+v: components %v, want [a b]", opts, got)
		}
	}
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

// TestSubmoduleChanges checks that a submodule's working-tree changes
// select the component that owns its path, as git status shows them, and
// that monopipe.yaml's submodules setting narrows that as git's
// --ignore-submodules does.
func TestSubmoduleChanges(t *testing.T) {
	sub := gittest.New(t)
	sub.Commit("one", map[string]string{"lib.txt": "1\n"})
	sub.Commit("two", map[string]string{"lib.txt": "2\n"})
	for _, tc := range []struct {
		setting, change string
		selected        bool
	}{
		{"", "moved", true},
		{"", "dirty", true},
		{"", "untracked", true},
		{"untracked", "untracked", false},
		{"untracked", "dirty", true},
		{"dirty", "dirty", false},
		{"dirty", "moved", true},
		{"all", "moved", false},
	} {
		t.Run(tc.setting+"/"+tc.change, func(t *testing.T) {
			r := gittest.New(t)
			ws := "baseBranch: main\n"
			if tc.setting != "" {
				ws += "submodules: " + tc.setting + "\n"
			}
			r.Commit("init", map[string]string{"monopipe.yaml": ws, "app/component.yaml": "name: app\nkind: custom\n", "other/component.yaml": "name: other\nkind: custom\n"})
			r.Git("-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.Dir, "app/vendor/lib")
			r.Git("commit", "-q", "-m", "submodule")
			s := gittest.At(t, filepath.Join(r.Dir, "app/vendor/lib"))
			switch tc.change {
			case "moved":
				s.Git("checkout", "-q", "HEAD~")
			case "dirty":
				s.Write(map[string]string{"lib.txt": "changed\n"})
			case "untracked":
				s.Write(map[string]string{"new.txt": "new\n"})
			}
			p, err := Make(context.Background(), Options{Dir: r.Dir, Base: "HEAD"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range p.Components {
				got = append(got, c.Name+": "+strings.Join(c.Reasons, "; "))
			}
			want := []string(nil)
			if tc.selected {
				want = []string{"app: app/vendor/lib changed"}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("selected %q, want %q", got, want)
			}
		})
	}
}

// TestSparseCheckout plans in sparse checkouts (cone, non-cone, sparse
// index) that leave a changed component's folder out of the working tree:
// its manifest is read from the index, in every mode.
func TestSparseCheckout(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  []string
	}{
		{"cone", []string{"--cone", "b"}},
		{"non-cone", []string{"--no-cone", "/b/"}},
		{"sparse index", []string{"--cone", "--sparse-index", "b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gittest.New(t)
			r.Commit("init", map[string]string{
				"a/component.yaml": "name: a\nkind: custom\n",
				"b/component.yaml": "name: b\nkind: custom\ndependsOn: [a]\n",
				"a/x":              "1\n", "b/y": "1\n",
			})
			r.Commit("change a", map[string]string{"a/x": "2\n"})
			r.Git(append([]string{"sparse-checkout", "set"}, tc.set...)...)
			if _, err := os.Stat(filepath.Join(r.Dir, "a")); !os.IsNotExist(err) {
				t.Fatalf("a/ should be left out of the working tree: %v", err)
			}
			for _, opts := range []Options{{}, {All: true}, {Head: "HEAD"}} {
				opts.Dir = r.Dir
				p, err := Make(context.Background(), opts)
				if err != nil {
					t.Fatalf("%+v: %v", opts, err)
				}
				var got []string
				for _, c := range p.Components {
					got = append(got, c.Name)
				}
				if want := []string{"a", "b"}; !reflect.DeepEqual(got, want) {
					t.Errorf("%+v: selected %v, want %v (%s)", opts, got, want, p.Reason)
				}
			}
		})
	}
}
