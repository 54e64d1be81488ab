package digest

import (
	"encoding/binary"
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/monopipe/monopipe/internal/cachefile"
)

const treeCacheMagic = "monopipe digest trees 1\n"

// treeEnt is one entry of a git tree: a folder (dir) or anything else.
type treeEnt struct {
	name string
	dir  bool
	hash plumbing.Hash
}

// treeCache is the entries of trees by tree id: those of the file (the
// trees read last time, decoded when first asked for) and those read this
// time (used), which save keeps, so the file never grows beyond one
// commit's folders.
type treeCache struct {
	file  string
	body  *cachefile.Decoder            // the file's, nil when none
	at    map[plumbing.Hash]int         // where each of the file's trees starts in body
	trees map[plumbing.Hash]*cachedTree // decoded or read from git this run
	used  int                           // how many of trees were used
	// missed says some tree was not in the file.
	missed bool
	// files and dirs count the entries of the file's trees: the size of
	// a commit like the last one.
	files, dirs int
}

type cachedTree struct {
	ents []treeEnt
	used bool
}

// loadTreeCache reads file; a missing, corrupt or foreign one gives an
// empty cache. Only where each tree lies is read now.
func loadTreeCache(file string) *treeCache {
	tc := &treeCache{file: file, at: map[plumbing.Hash]int{}, trees: map[plumbing.Hash]*cachedTree{}}
	if file == "" {
		return tc
	}
	d := cachefile.Read(file, treeCacheMagic)
	if d == nil {
		return tc
	}
	n := d.Count()
	tc.at, tc.trees = make(map[plumbing.Hash]int, n), make(map[plumbing.Hash]*cachedTree, n)
	for ; n > 0 && d.Err() == nil; n-- {
		var h plumbing.Hash
		copy(h[:], d.Bytes(len(h)))
		tc.at[h] = d.Offset()
		for i := d.Count(); i > 0; i-- {
			d.Str()
			if d.Byte() == 1 {
				tc.dirs++
			} else {
				tc.files++
			}
			d.Bytes(len(h))
		}
	}
	if d.Err() != nil || d.Left() != 0 {
		tc.at = map[plumbing.Hash]int{}
		tc.files, tc.dirs = 0, 0
		return tc
	}
	tc.body = d
	return tc
}

// tree is the entries of tree h, from the cache or from repo.
func (tc *treeCache) tree(repo *git.Repository, h plumbing.Hash) ([]treeEnt, error) {
	ct, ok := tc.trees[h]
	if !ok {
		ct = &cachedTree{}
		if off, ok := tc.at[h]; ok {
			d := tc.body.At(off)
			ct.ents = make([]treeEnt, d.Count())
			for i := range ct.ents {
				ct.ents[i].name = d.Str()
				ct.ents[i].dir = d.Byte() == 1
				copy(ct.ents[i].hash[:], d.Bytes(len(h)))
			}
			if d.Err() != nil { // cannot be: the file was read whole
				return nil, fmt.Errorf("tree cache %s: %w", tc.file, d.Err())
			}
		} else {
			t, err := object.GetTree(repo.Storer, h)
			if err != nil {
				return nil, err
			}
			ct.ents = make([]treeEnt, len(t.Entries))
			for i, e := range t.Entries {
				ct.ents[i] = treeEnt{name: e.Name, dir: e.Mode == filemode.Dir, hash: e.Hash}
			}
			tc.missed = true
		}
		tc.trees[h] = ct
	}
	if !ct.used {
		ct.used = true
		tc.used++
	}
	return ct.ents, nil
}

// save writes the trees used this time, when they are not the file's:
// call it after reading all of one commit's folders. Failures are
// ignored: they only cost time on the next run.
func (tc *treeCache) save() {
	if tc.file == "" || !tc.missed && tc.used == len(tc.at) {
		return
	}
	w := cachefile.Create(tc.file)
	if w == nil {
		return
	}
	b := binary.AppendUvarint([]byte(treeCacheMagic), uint64(tc.used))
	for h, ct := range tc.trees {
		if !ct.used {
			continue
		}
		ents := ct.ents
		b = append(b, h[:]...)
		b = binary.AppendUvarint(b, uint64(len(ents)))
		for _, e := range ents {
			b = cachefile.AppendStr(b, e.name)
			dir := byte(0)
			if e.dir {
				dir = 1
			}
			b = append(b, dir)
			b = append(b, e.hash[:]...)
		}
	}
	_ = w.Commit(b)
}
