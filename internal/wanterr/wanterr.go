// Package wanterr checks errors in table-driven tests.
package wanterr

import (
	"strings"
	"testing"
)

// Check fails the test unless err matches want: nil when want is empty,
// else an error whose message contains want. It reports whether an error
// was wanted, so a test case can stop there.
func Check(t testing.TB, err error, want string) bool {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatal(err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Fatalf("error = %v\nwant it to contain %q", err, want)
	}
	return want != ""
}
