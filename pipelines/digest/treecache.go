package digest

import (
	"encoding/binary"

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

// treeCache is the entries of trees by tree id: those read last time,
// from the file, and those read this time (used), which the file keeps,
// so it never grows beyond one commit's folders.
type treeCache struct {
	file   string
	trees  map[plumbing.Hash]*cachedTree
	used   int // how many of trees were used
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
// empty cache.
func loadTreeCache(file string) *treeCache {
	tc := &treeCache{file: file, trees: map[plumbing.Hash]*cachedTree{}}
	if file == "" {
		return tc
	}
	d := cachefile.Read(file, treeCacheMagic)
	if d == nil {
		return tc
	}
	n := d.Count()
	tc.trees = make(map[plumbing.Hash]*cachedTree, n)
	all := make([]cachedTree, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		var h plumbing.Hash
		copy(h[:], d.Bytes(len(h)))
		ents := make([]treeEnt, d.Count())
		for i := range ents {
			ents[i].name = d.Str()
			ents[i].dir = d.Byte() == 1
			copy(ents[i].hash[:], d.Bytes(len(ents[i].hash)))
			if ents[i].dir {
				tc.dirs++
			} else {
				tc.files++
			}
		}
		all[i].ents = ents
		tc.trees[h] = &all[i]
	}
	if d.Err() != nil || d.Left() != 0 {
		tc.trees = map[plumbing.Hash]*cachedTree{}
		tc.files, tc.dirs = 0, 0
	}
	return tc
}

// tree is the entries of tree h, from the cache or from repo.
func (tc *treeCache) tree(repo *git.Repository, h plumbing.Hash) ([]treeEnt, error) {
	ct, ok := tc.trees[h]
	if !ok {
		t, err := object.GetTree(repo.Storer, h)
		if err != nil {
			return nil, err
		}
		ct = &cachedTree{ents: make([]treeEnt, len(t.Entries))}
		for i, e := range t.Entries {
			ct.ents[i] = treeEnt{name: e.Name, dir: e.Mode == filemode.Dir, hash: e.Hash}
		}
		tc.trees[h] = ct
		tc.missed = true
	}
	if !ct.used {
		ct.used = true
		tc.used++
	}
	return ct.ents, nil
}

// save writes the trees read this time when some were not in the file.
// Failures are ignored: they only cost time on the next run.
func (tc *treeCache) save() {
	if tc.file == "" || !tc.missed && tc.used == len(tc.trees) {
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
