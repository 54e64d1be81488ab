//go:build !unix

package pgtest

import "testing"

// Start skips: the throwaway server is started on Unix only (Debian's
// binaries, run as the postgres user when the test runs as root).
func Start(t *testing.T) string {
	t.Helper()
	t.Skip("no PostgreSQL: pgtest starts one on Unix only")
	return ""
}
