package plan

import (
	"context"
	"io/fs"
	"slices"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

// TestOpen: Open finds the components Make would, in the working tree
// (untracked included, git-ignored not) or at a commit, and keeps the
// files readable until Close.
func TestOpen(t *testing.T) {
	r := gittest.New(t)
	r.Commit("one", map[string]string{
		".gitignore":         "out/\n",
		"lib/component.yaml": "name: lib\nkind: go\n",
		"app/component.yaml": "name: app\nkind: go\ndependsOn: [lib]\n",
	})
	r.Write(map[string]string{
		"web/component.yaml": "name: web\nkind: node\n", // untracked
		"out/component.yaml": "name: out\nkind: go\n",   // ignored
	})
	tests := []struct {
		head  string
		names []string
		files bool
	}{
		{"", []string{"app", "lib", "web"}, true},
		{"HEAD", []string{"app", "lib"}, false},
	}
	for _, tt := range tests {
		m, err := Open(context.Background(), Options{Dir: r.Dir, Head: tt.head})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range m.Components {
			names = append(names, c.Name)
		}
		if !slices.Equal(names, tt.names) {
			t.Errorf("head %q: components %v, want %v", tt.head, names, tt.names)
		}
		if m.Graph.Component("app") == nil || m.Workspace == nil {
			t.Errorf("head %q: no graph or workspace", tt.head)
		}
		if (m.Files != nil) != tt.files || (tt.files && slices.Contains(m.Files, "out/component.yaml")) {
			t.Errorf("head %q: files %v", tt.head, m.Files)
		}
		if _, err := fs.ReadFile(m.FS, "lib/component.yaml"); err != nil {
			t.Errorf("head %q: %v", tt.head, err)
		}
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	}
	if _, err := Open(context.Background(), Options{Dir: r.Dir, Head: "nope"}); err == nil {
		t.Error("Open at a revision that does not resolve: no error")
	}
}

// TestOpenUnborn: before the first commit (a pre-commit hook in a new
// repository) the working tree is searched as a folder.
func TestOpenUnborn(t *testing.T) {
	r := gittest.New(t)
	r.Write(map[string]string{"lib/component.yaml": "name: lib\nkind: go\n"})
	m, err := Open(context.Background(), Options{Dir: r.Dir})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if len(m.Components) != 1 || m.Components[0].Name != "lib" || m.Files != nil {
		t.Errorf("components %v, files %v", m.Components, m.Files)
	}
}
