package detect

import (
	"context"
	"encoding/binary"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/monopipe/monopipe/internal/cachefile"
)

// The history cache remembers, in <git dir>/monopipe/history-v1, the last
// comparison of two commits: the paths that differ between their trees
// and the marker search between them. Both are functions of immutable
// objects alone (tree ids; commit ids, in a clone that is not shallow,
// since deepening one can reveal more commits), so an entry whose ids
// match is exact; anything else is worked out and the entry replaced.
const (
	historyCacheName  = "history-v1"
	historyCacheMagic = "monopipe history 1\n"
)

// comparison is one remembered comparison.
type comparison struct {
	baseTree, headTree     plumbing.Hash
	paths                  []string
	baseCommit, headCommit plumbing.Hash
	marker, found          string
	markerKnown            bool
}

func loadComparison(file string) *comparison {
	d := cachefile.Read(file, historyCacheMagic)
	if d == nil {
		return nil
	}
	c := &comparison{}
	for _, h := range []*plumbing.Hash{&c.baseTree, &c.headTree, &c.baseCommit, &c.headCommit} {
		copy(h[:], d.Bytes(len(h)))
	}
	c.paths = make([]string, d.Count())
	for i := range c.paths {
		c.paths[i] = d.Str()
	}
	c.markerKnown = d.Byte() == 1
	c.marker, c.found = d.Str(), d.Str()
	if d.Err() != nil || d.Left() != 0 {
		return nil
	}
	return c
}

func (c *comparison) save(file string) {
	b := []byte(historyCacheMagic)
	for _, h := range []plumbing.Hash{c.baseTree, c.headTree, c.baseCommit, c.headCommit} {
		b = append(b, h[:]...)
	}
	b = binary.AppendUvarint(b, uint64(len(c.paths)))
	for _, p := range c.paths {
		b = cachefile.AppendStr(b, p)
	}
	if c.markerKnown {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = cachefile.AppendStr(cachefile.AppendStr(b, c.marker), c.found)
	if w := cachefile.Create(file); w != nil {
		_ = w.Commit(b) // failures only cost time on the next run
	}
}

// compare adds to res the paths that differ between base and head, and
// returns the id of a commit between them whose message holds marker
// ("" for none, or when marker is ""), reusing the last comparison where
// its ids match.
func (r *Repo) compare(ctx context.Context, base, head *object.Commit, marker string, res *Result) (string, error) {
	file := filepath.Join(r.gitDir, "monopipe", historyCacheName)
	old := loadComparison(file)
	if old == nil {
		old = &comparison{}
	}
	c := &comparison{baseTree: base.TreeHash, headTree: head.TreeHash, baseCommit: base.Hash, headCommit: head.Hash, marker: marker}
	worked := false // whether anything was worked out rather than reused
	if old.baseTree == c.baseTree && old.headTree == c.headTree {
		c.paths = old.paths
	} else if err := r.diffCommits(ctx, base, head, &c.paths); err != nil {
		return "", err
	} else {
		worked = true
	}
	shallow := r.isShallow()
	if !shallow && old.markerKnown && old.baseCommit == c.baseCommit && old.headCommit == c.headCommit && old.marker == marker {
		c.found, c.markerKnown = old.found, true
	} else if marker != "" {
		found, err := r.findMarker(ctx, base, head, marker)
		if err != nil {
			return "", err
		}
		c.found, c.markerKnown, worked = found, !shallow, true
	}
	res.Paths = append(res.Paths, c.paths...)
	if worked {
		c.save(file)
	}
	return c.found, nil
}
