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

// treeCache is the entries of the trees read last time, by tree id, and
// those read this time (which the file keeps, so it never grows beyond
// one commit's folders).
type treeCache struct {
	file      string
	old, used map[plumbing.Hash][]treeEnt
	missed    bool
	// files and dirs count the entries of old: the size of a commit like
	// the last one.
	files, dirs int
}

// loadTreeCache reads file; a missing, corrupt or foreign one gives an
// empty cache.
func loadTreeCache(file string) *treeCache {
	tc := &treeCache{file: file, old: map[plumbing.Hash][]treeEnt{}, used: map[plumbing.Hash][]treeEnt{}}
	if file == "" {
		return tc
	}
	d := cachefile.Read(file, treeCacheMagic)
	if d == nil {
		return tc
	}
	for n := d.Count(); n > 0 && d.Err() == nil; n-- {
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
		tc.old[h] = ents
	}
	if d.Err() != nil || d.Left() != 0 {
		tc.old = map[plumbing.Hash][]treeEnt{}
		tc.files, tc.dirs = 0, 0
	}
	return tc
}

// tree is the entries of tree h, from the cache or from repo.
func (tc *treeCache) tree(repo *git.Repository, h plumbing.Hash) ([]treeEnt, error) {
	if ents, ok := tc.used[h]; ok {
		return ents, nil
	}
	ents, ok := tc.old[h]
	if !ok {
		t, err := object.GetTree(repo.Storer, h)
		if err != nil {
			return nil, err
		}
		ents = make([]treeEnt, len(t.Entries))
		for i, e := range t.Entries {
			ents[i] = treeEnt{name: e.Name, dir: e.Mode == filemode.Dir, hash: e.Hash}
		}
		tc.missed = true
	}
	tc.used[h] = ents
	return ents, nil
}

// save writes the trees read this time when some were not in the file.
// Failures are ignored: they only cost time on the next run.
func (tc *treeCache) save() {
	if tc.file == "" || !tc.missed && len(tc.used) == len(tc.old) {
		return
	}
	w := cachefile.Create(tc.file)
	if w == nil {
		return
	}
	b := binary.AppendUvarint([]byte(treeCacheMagic), uint64(len(tc.used)))
	for h, ents := range tc.used {
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
