package plan

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

// TestBadManifestFiles checks that a component.yaml that is not a small
// regular file is an error naming it, in every mode, and never blocks or
// reads a huge file whole.
func TestBadManifestFiles(t *testing.T) {
	big := "name: a\nkind: go\n#" + strings.Repeat("x", 2<<20) + "\n"
	tests := []struct {
		name  string
		setup func(t *testing.T, r *gittest.Repo)
		modes []Options
		err   string
	}{
		{
			name: "a FIFO in the working tree",
			setup: func(t *testing.T, r *gittest.Repo) {
				r.Remove("a/component.yaml")
				if err := syscall.Mkfifo(filepath.Join(r.Dir, "a/component.yaml"), 0o644); err != nil {
					t.Skip("mkfifo:", err)
				}
			},
			modes: []Options{{}, {All: true}},
			err:   "a/component.yaml: not a regular file (a named pipe)",
		},
		{
			name: "a symbolic link to a device",
			setup: func(t *testing.T, r *gittest.Repo) {
				r.Remove("a/component.yaml")
				if err := os.Symlink("/dev/zero", filepath.Join(r.Dir, "a/component.yaml")); err != nil {
					t.Fatal(err)
				}
				r.Commit("link", nil)
			},
			modes: []Options{{}, {All: true}},
			err:   "a/component.yaml: not a regular file (a character device)",
		},
		{
			name: "a directory",
			setup: func(t *testing.T, r *gittest.Repo) {
				r.Git("rm", "-q", "a/component.yaml")
				r.Commit("dir", map[string]string{"a/component.yaml/x.yaml": "name: a\nkind: go\n"})
			},
			modes: []Options{{}, {All: true}, {Head: "HEAD"}, {All: true, Head: "HEAD"}},
			err:   "a/component.yaml: is a directory",
		},
		{
			name: "more than 1 MiB",
			setup: func(t *testing.T, r *gittest.Repo) {
				r.Commit("big", map[string]string{"a/component.yaml": big})
			},
			modes: []Options{{}, {All: true}, {Head: "HEAD"}, {All: true, Head: "HEAD"}},
			err:   "a/component.yaml: 2097171 bytes; a manifest holds at most 1048576 (1 MiB)",
		},
		{
			name: "a workspace file that is a FIFO",
			setup: func(t *testing.T, r *gittest.Repo) {
				r.Remove("monopipe.yaml")
				if err := syscall.Mkfifo(filepath.Join(r.Dir, "monopipe.yaml"), 0o644); err != nil {
					t.Skip("mkfifo:", err)
				}
			},
			modes: []Options{{}, {All: true}},
			err:   "monopipe.yaml: not a regular file (a named pipe)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gittest.New(t)
			r.Commit("init", map[string]string{"monopipe.yaml": "baseBranch: main\n", "a/component.yaml": "name: a\nkind: go\n", "b/component.yaml": "name: b\nkind: go\n"})
			tt.setup(t, r)
			for _, opts := range tt.modes {
				opts.Dir = r.Dir
				_, err := Make(context.Background(), opts)
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("%+v: err = %v, want it to contain %q", opts, err, tt.err)
				}
			}
		})
	}
}

// TestAllSeesWhatTheDefaultSees checks that --all and the default mode find
// the same components: none in git-ignored folders or nested repositories.
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
