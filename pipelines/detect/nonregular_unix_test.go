//go:build unix

package detect

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/monopipe/monopipe/internal/gittest"
)

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := unix.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWorkFSNonRegular checks that the working tree's file system refuses
// named pipes and devices, with an error naming the file, instead of
// blocking (a pipe has no writer) or reading without end (/dev/zero).
func TestWorkFSNonRegular(t *testing.T) {
	r := newBase(t)
	mkfifo(t, filepath.Join(r.Dir, "pipe.yaml"))
	if err := os.Symlink("/dev/zero", filepath.Join(r.Dir, "zero.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("readme", filepath.Join(r.Dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	fsys := headFS(t, r.Dir, "")
	for _, name := range []string{"pipe.yaml", "zero.yaml"} {
		if _, err := fs.ReadFile(fsys, name); err == nil || !errors.Is(err, errNotRegular) || !strings.Contains(err.Error(), name) {
			t.Errorf("ReadFile(%s): err = %v, want not a regular file", name, err)
		}
		if f, err := fsys.Open(name); err == nil || !strings.Contains(err.Error(), name) {
			if f != nil {
				f.Close()
			}
			t.Errorf("Open(%s): err = %v, want not a regular file", name, err)
		}
		if _, err := fs.Stat(fsys, name); err != nil {
			t.Errorf("Stat(%s): %v", name, err)
		}
	}
	if data, err := fs.ReadFile(fsys, "link.yaml"); err != nil || string(data) != base["readme"] {
		t.Errorf("ReadFile(link.yaml) = %q, %v; want readme's content", data, err)
	}
	if _, err := fs.ReadDir(fsys, "a"); err != nil {
		t.Errorf("ReadDir(a): %v", err)
	}
	if f, err := fsys.Open("a"); err != nil {
		t.Errorf("Open(a): %v", err)
	} else {
		f.Close()
	}
}

// TestStatusNonRegular compares Status with git when the working tree has
// named pipes: an untracked one is not listed (git lists only files,
// links and folders), a tracked file replaced by one is modified.
func TestStatusNonRegular(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, r *gittest.Repo)
	}{
		{"untracked named pipe", func(t *testing.T, r *gittest.Repo) {
			mkfifo(t, filepath.Join(r.Dir, "a", "pipe"))
		}},
		{"tracked file replaced by a named pipe", func(t *testing.T, r *gittest.Repo) {
			r.Remove("readme")
			mkfifo(t, filepath.Join(r.Dir, "readme"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newBase(t)
			tt.change(t, r)
			checkStatus(t, r, false)
			checkStatus(t, r, false) // from the untracked cache
		})
	}
}
