//go:build windows

package detect

import (
	"testing"
	"time"
)

// lchtimes sets the times of a symbolic link itself: not done on Windows.
func lchtimes(t *testing.T, link string, mtime time.Time) {
	t.Skip("setting a symbolic link's own times is not supported on Windows")
}
