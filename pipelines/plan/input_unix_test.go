//go:build unix

package plan

import (
	"context"
	"os"
	"path/filepath"
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
