package detect

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"
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

// mergeBases returns the best common ancestors of a and b, newest first,
// as git merge-base --all does: it walks both histories newest first,
// painting what each side reaches, and stops once every commit left is
// reachable from both (git's paint_down_to_common). cut is true when the
// walk met a parent missing from the clone (a shallow boundary): the answer
// is then only as good as the history that is there.
func (r *Repo) mergeBases(ctx context.Context, a, b *object.Commit) (bases []*object.Commit, cut bool, err error) {
	if a.Hash == b.Hash {
		return []*object.Commit{a}, false, nil
	}
	const (
		fromA  = 1
		fromB  = 2
		stale  = 4
		result = 8
	)
	flags := map[plumbing.Hash]uint8{}
	q := &commitQueue{}
	flags[a.Hash], flags[b.Hash] = fromA, fromB
	heap.Push(q, a)
	heap.Push(q, b)
	var found []*object.Commit
	for q.Len() > 0 && q.anyWithout(flags, stale) {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		c := heap.Pop(q).(*object.Commit)
		f := flags[c.Hash] & (fromA | fromB | stale)
		if f == fromA|fromB {
			if flags[c.Hash]&result == 0 {
				flags[c.Hash] |= result
				found = append(found, c)
			}
			f |= stale
		}
		for _, ph := range c.ParentHashes {
			if flags[ph]&f == f {
				continue
			}
			p, err := r.git.CommitObject(ph)
			if errors.Is(err, plumbing.ErrObjectNotFound) {
				cut = true
				continue
			}
			if err != nil {
				return nil, false, fmt.Errorf("read commit %s: %w", ph, err)
			}
			flags[ph] |= f
			heap.Push(q, p)
		}
	}
	for _, c := range found {
		if flags[c.Hash]&stale == 0 {
			bases = append(bases, c)
		}
	}
	// A result found early may be an ancestor of another (criss-cross
	// merges): keep only those that are not.
	if len(bases) > 1 {
		var best []*object.Commit
		for i, c := range bases {
			redundant := false
			for j, o := range bases {
				if i == j {
					continue
				}
				if mb, _, err := r.mergeBases(ctx, c, o); err == nil && len(mb) == 1 && mb[0].Hash == c.Hash {
					redundant = true
					break
				}
			}
			if !redundant {
				best = append(best, c)
			}
		}
		bases = best
	}
	slices.SortStableFunc(bases, func(x, y *object.Commit) int { return y.Committer.When.Compare(x.Committer.When) })
	return bases, cut, nil
}

func (q commitQueue) anyWithout(flags map[plumbing.Hash]uint8, f uint8) bool {
	for _, c := range q {
		if flags[c.Hash]&f == 0 {
			return true
		}
	}
	return false
}
