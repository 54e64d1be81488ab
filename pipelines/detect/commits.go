package detect

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// findMarker returns the id of a commit reachable from head but not from
// base whose message contains marker, or "". It walks newest first,
// painting commits reachable from base, and stops once only those remain
// (git rev-list head ^base). Commits cut off by a shallow clone are skipped.
func (r *Repo) findMarker(ctx context.Context, base, head *object.Commit, marker string) (string, error) {
	const (
		fromHead = 1
		fromBase = 2
	)
	flags := map[plumbing.Hash]uint8{}
	q := &commitQueue{}
	push := func(c *object.Commit, f uint8) {
		if flags[c.Hash]&f == f {
			return
		}
		flags[c.Hash] |= f
		heap.Push(q, c)
	}
	push(head, fromHead)
	push(base, fromBase)
	for q.Len() > 0 && !q.allFrom(flags, fromBase) {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		c := heap.Pop(q).(*object.Commit)
		f := flags[c.Hash]
		if f == fromHead && strings.Contains(c.Message, marker) {
			return c.Hash.String(), nil
		}
		for _, ph := range c.ParentHashes {
			p, err := r.git.CommitObject(ph)
			if errors.Is(err, plumbing.ErrObjectNotFound) {
				continue // beyond a shallow boundary
			}
			if err != nil {
				return "", fmt.Errorf("read commit %s: %w", ph, err)
			}
			push(p, f)
		}
	}
	return "", nil
}

// commitQueue is a max-heap of commits by committer time.
type commitQueue []*object.Commit

func (q commitQueue) Len() int           { return len(q) }
func (q commitQueue) Less(i, j int) bool { return q[i].Committer.When.After(q[j].Committer.When) }
func (q commitQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *commitQueue) Push(x any)        { *q = append(*q, x.(*object.Commit)) }
func (q *commitQueue) Pop() any {
	old := *q
	c := old[len(old)-1]
	*q = old[:len(old)-1]
	return c
}

func (q commitQueue) allFrom(flags map[plumbing.Hash]uint8, f uint8) bool {
	for _, c := range q {
		if flags[c.Hash]&f == 0 {
			return false
		}
	}
	return true
}
