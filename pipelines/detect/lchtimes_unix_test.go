//go:build unix

package detect

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// lchtimes sets the times of a symbolic link itself.
func lchtimes(t *testing.T, link string, mtime time.Time) {
	t.Helper()
	ts := []unix.Timespec{unix.NsecToTimespec(mtime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, link, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		t.Fatal(err)
	}
}
