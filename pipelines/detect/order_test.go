package detect

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

func TestOrder(t *testing.T) {
	r := gittest.New(t)
	c1 := r.Commit("one", map[string]string{"a": "1"})
	c2 := r.Commit("two", map[string]string{"a": "2"})
	r.Git("checkout", "-q", "-b", "side", c1)
	side := r.Commit("side", map[string]string{"b": "1"})
	r.Git("checkout", "-q", "main")
	c3 := r.Commit("three", map[string]string{"a": "3"})
	r.Git("merge", "-q", "--no-edit", "side")
	merge := r.Git("rev-parse", "HEAD")

	// A shallow clone of main at depth 2 has the merge, c3 and side, not
	// c1 or c2.
	shallow := filepath.Join(t.TempDir(), "shallow")
	r.Git("clone", "-q", "--depth", "2", "file://"+r.Dir, shallow)

	for _, tc := range []struct {
		name, dir, deployed, next string
		want                      Order
	}{
		{"same", r.Dir, c2, c2, OrderSame},
		{"an abbreviated id is no record", r.Dir, c2[:8], c2, OrderUnknown},
		{"a branch name is no record", r.Dir, "main", c3, OrderUnknown},
		{"newer", r.Dir, c1, c3, OrderNewer},
		{"newer through a merge", r.Dir, side, merge, OrderNewer},
		{"older", r.Dir, c3, c1, OrderOlder},
		{"older, merged branch", r.Dir, merge, side, OrderOlder},
		{"diverged", r.Dir, side, c2, OrderDiverged},
		{"not in history", r.Dir, "0123456789abcdef0123456789abcdef01234567", c3, OrderUnknown},
		{"shallow: deployed missing", shallow, c2, merge, OrderUnknown},
		{"shallow: next newer", shallow, c3, merge, OrderNewer},
		{"shallow: history cut", shallow, side, c3, OrderUnknown},
		{"shallow: older, though next's history is cut", shallow, merge, c3, OrderOlder},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo, err := Open(tc.dir)
			if err != nil {
				t.Fatal(err)
			}
			defer repo.Close()
			got, err := repo.Order(context.Background(), tc.deployed, tc.next)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Order(%s, %s) = %s, want %s", tc.deployed, tc.next, got, tc.want)
			}
		})
	}
	repo, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	if _, err := repo.Order(context.Background(), c1, "nosuchbranch"); err == nil {
		t.Error("an unknown next commit: no error")
	}
}
