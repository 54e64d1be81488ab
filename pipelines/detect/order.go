package detect

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Order is how a commit about to be deployed relates to the one deployed.
type Order int

// The answers of Repo.Order.
const (
	// OrderSame: the same commit.
	OrderSame Order = iota
	// OrderNewer: the deployed commit is an ancestor of the next one.
	OrderNewer
	// OrderOlder: the next commit is an ancestor of the deployed one:
	// deploying it would replace newer code with older.
	OrderOlder
	// OrderDiverged: neither is an ancestor of the other (two branches).
	OrderDiverged
	// OrderUnknown: the deployed commit is not in this clone's history (a
	// shallow clone, another repository, a force push), or the history
	// between them is cut off by a shallow clone.
	OrderUnknown
)

func (o Order) String() string {
	switch o {
	case OrderSame:
		return "same"
	case OrderNewer:
		return "newer"
	case OrderOlder:
		return "older"
	case OrderDiverged:
		return "diverged"
	}
	return "unknown"
}

// Order says how commit next (a revision) relates to commit deployed (a
// full commit id, as a function records it). next must resolve; a
// deployed value that is not a full id, or a commit this clone does not
// have, is OrderUnknown.
func (r *Repo) Order(ctx context.Context, deployed, next string) (Order, error) {
	n, err := r.resolveCommit(next)
	if err != nil {
		return 0, fmt.Errorf("commit %s: %w", next, err)
	}
	// Only an id: a recorded "main" must not mean this clone's branch.
	if !fullIDRE.MatchString(deployed) {
		return OrderUnknown, nil
	}
	d, err := r.git.CommitObject(plumbing.NewHash(deployed))
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return OrderUnknown, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read commit %s: %w", deployed, err)
	}
	if d.Hash == n.Hash {
		return OrderSame, nil
	}
	newer, cutNewer, err := r.reaches(ctx, n, d.Hash)
	if err != nil || newer {
		return OrderNewer, err
	}
	older, cutOlder, err := r.reaches(ctx, d, n.Hash)
	switch {
	case err != nil || older:
		return OrderOlder, err
	case cutNewer || cutOlder: // a "no" past a shallow boundary is not known
		return OrderUnknown, nil
	}
	return OrderDiverged, nil
}

// ShortID is a commit id cut to 12 characters, for messages.
func ShortID(id string) string { return id[:min(len(id), 12)] }

// fullIDRE is a full SHA-1 commit id.
var fullIDRE = regexp.MustCompile(`^[0-9a-f]{40}$`)

// reaches reports whether target is from or one of its ancestors, and
// whether the walk met commits missing from the clone (a shallow
// boundary), which makes a "no" uncertain.
func (r *Repo) reaches(ctx context.Context, from *object.Commit, target plumbing.Hash) (found, cut bool, err error) {
	seen := map[plumbing.Hash]bool{from.Hash: true}
	queue := []*object.Commit{from}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return false, false, err
		}
		c := queue[0]
		queue = queue[1:]
		if c.Hash == target {
			return true, false, nil
		}
		for _, ph := range c.ParentHashes {
			if seen[ph] {
				continue
			}
			seen[ph] = true
			p, err := r.git.CommitObject(ph)
			if errors.Is(err, plumbing.ErrObjectNotFound) {
				cut = true
				continue
			}
			if err != nil {
				return false, false, fmt.Errorf("read commit %s: %w", ph, err)
			}
			queue = append(queue, p)
		}
	}
	return false, cut, nil
}

// Commit resolves rev (HEAD, a branch, an abbreviated id) to its full
// commit id.
func (r *Repo) Commit(rev string) (string, error) {
	c, err := r.resolveCommit(rev)
	if err != nil {
		return "", fmt.Errorf("commit %s: %w", rev, err)
	}
	return c.Hash.String(), nil
}
