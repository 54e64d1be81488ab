package digest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"path"
	"reflect"
	"strings"

	"github.com/monopipe/monopipe/internal/cachefile"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/pathglob"
	"github.com/monopipe/monopipe/pipelines/sourcetree"
)

// The memo keeps each component's last digest between runs (Source.Memo,
// which plan puts at <git dir>/monopipe/digest-memo), under a key made of
// exactly what decides it, so that a hit is the digest that computing it
// would give. The key of a component is a sha256 of:
//
//   - its name and folder, its parsed manifest (exactly encoded), and its
//     entries that are not files (settings, images, env, platforms,
//     recipe version and its dependencies' digests), computed every time;
//   - its source tree as sourcetree decides it (root, include and exclude
//     patterns: its inputs globs, dependencies' folders and go module root
//     included), and for each include pattern what the commit has where
//     the files that pattern can match lie: the entry at the pattern's
//     path for a pattern without wildcards (a file's blob id or a folder's
//     tree id), else the tree id of the folder its literal start is in
//     (the repository's root for a pattern like **/*.proto), so that any
//     file added, changed or removed where the pattern could match it
//     changes the key;
//   - the workspace's global files with their blob ids (the component's
//     ignore globs, which leave some out, are in its manifest).
//
// Only a commit's files are memoized (they have tree ids); the working
// tree's are always computed. The file holds one entry per component of
// the last run's revision, keyed also by this build of the program; a
// missing, corrupt or foreign file is an empty memo.
const memoMagic = "monopipe digest memo 1\n"

// memoEntry is a component's key and digest sum (the sha256 of Sum).
type memoEntry struct {
	key, sum [sha256.Size]byte
}

type memo struct {
	file    string
	stamp   string
	old     map[string]memoEntry
	now     map[string]memoEntry
	changed bool
}

// loadMemo reads file; nil when there is no file to keep or the program
// cannot be identified.
func loadMemo(file string) *memo {
	stamp := cachefile.Program()
	if file == "" || stamp == "" {
		return nil
	}
	m := &memo{file: file, stamp: stamp, old: map[string]memoEntry{}, now: map[string]memoEntry{}}
	d := cachefile.Read(file, memoMagic)
	if d == nil || d.Str() != stamp {
		return m
	}
	n := d.Count()
	m.old, m.now = make(map[string]memoEntry, n), make(map[string]memoEntry, n)
	for ; n > 0 && d.Err() == nil; n-- {
		name := strings.Clone(d.Str())
		var e memoEntry
		copy(e.key[:], d.Bytes(len(e.key)))
		copy(e.sum[:], d.Bytes(len(e.sum)))
		m.old[name] = e
	}
	if d.Err() != nil || d.Left() != 0 {
		m.old = map[string]memoEntry{}
	}
	return m
}

// get is the digest of component name under key, when remembered.
func (m *memo) get(name string, key [sha256.Size]byte) (*Digest, bool) {
	e, ok := m.old[name]
	if !ok || e.key != key {
		return nil, false
	}
	m.now[name] = e
	return &Digest{Sum: "sha256:" + hex.EncodeToString(e.sum[:])}, true
}

// put remembers d as component name's digest under key.
func (m *memo) put(name string, key [sha256.Size]byte, d *Digest) {
	e := memoEntry{key: key}
	if b, err := hex.DecodeString(strings.TrimPrefix(d.Sum, "sha256:")); err == nil && len(b) == len(e.sum) {
		copy(e.sum[:], b)
		m.now[name] = e
		m.changed = true
	}
}

// save writes the entries of this run and the old ones of the components
// in keep (the revision's, not computed this run), when any is new.
// Failures are ignored: they only cost time on the next run.
func (m *memo) save(keep func(name string) bool) {
	if !m.changed {
		return
	}
	for n, e := range m.old {
		if _, ok := m.now[n]; !ok && keep(n) {
			m.now[n] = e
		}
	}
	w := cachefile.Create(m.file)
	if w == nil {
		return
	}
	b := cachefile.AppendStr([]byte(memoMagic), m.stamp)
	b = binary.AppendUvarint(b, uint64(len(m.now)))
	for n, e := range m.now {
		b = cachefile.AppendStr(b, n)
		b = append(b, e.key[:]...)
		b = append(b, e.sum[:]...)
	}
	_ = w.Commit(b)
}

// memoKey is the key of component c, whose entries other than files and
// its manifest are own (in the order own and Compute give them), whose
// build receives tree, whose include patterns' files lie at the paths at
// (lookupPaths), given the commit's files cf and the sum of the
// workspace's global files. Its parsed manifest enters in an exact
// encoding (cachefile.AppendValue): the same value, the same manifest
// entry. ok is false for a manifest that encoding cannot take: that
// component is not memoized.
func memoKey(c *manifest.Component, own []Input, tree sourcetree.Tree, at []string, cf *commitFiles, globals [sha256.Size]byte) (k [sha256.Size]byte, ok bool, err error) {
	b := make([]byte, 0, 1024)
	b = cachefile.AppendStr(b, c.Name)
	b = cachefile.AppendStr(b, c.Dir)
	if b, err = cachefile.AppendValue(b, reflect.ValueOf(parsedOnly(c))); err != nil {
		return k, false, nil
	}
	b = binary.AppendUvarint(b, uint64(len(own)))
	for _, in := range own {
		b = cachefile.AppendStr(b, in.Kind)
		b = cachefile.AppendStr(b, in.Name)
		b = cachefile.AppendStr(b, in.Value)
	}
	b = append(b, globals[:]...)
	b = cachefile.AppendStr(b, tree.Root)
	b = binary.AppendUvarint(b, uint64(len(tree.Exclude)))
	for _, g := range tree.Exclude {
		b = cachefile.AppendStr(b, g)
	}
	b = binary.AppendUvarint(b, uint64(len(tree.Include)))
	for _, g := range tree.Include {
		b = cachefile.AppendStr(b, g)
	}
	for _, p := range at {
		b = cachefile.AppendStr(b, p)
		switch id, dir, ok, err := cf.entry(p); {
		case err != nil:
			return k, false, err
		case !ok:
			b = append(b, 0)
		case dir:
			b = append(append(b, 1), id[:]...)
		default:
			b = append(append(b, 2), id[:]...)
		}
	}
	return sha256.Sum256(b), true, nil
}

// lookupPaths are the repo-relative paths at or below which the files
// that tree's include patterns keep lie, one for each pattern (see
// lookupPath).
func lookupPaths(tree sourcetree.Tree) []string {
	base := ""
	if tree.Root != "." && tree.Root != "" {
		base = tree.Root + "/"
	}
	include := tree.Include
	if len(include) == 0 {
		include = []string{"**"} // as Tree.Files reads it
	}
	at := make([]string, len(include))
	for i, g := range include {
		at[i] = lookupPath(base, g)
	}
	return at
}

// lookupPath is where the paths that pattern g (relative to base, "" or
// a folder's path and "/") matches lie, or lie below: every one starts
// with g's literal prefix, so for a pattern without wildcards (in clean
// form) that path itself (g keeps it and what is below it), else the
// folder the prefix is in ("" for the repository's root, as for
// **/*.proto).
func lookupPath(base, g string) string {
	lp := pathglob.LiteralPrefix(g)
	if lp == strings.TrimPrefix(g, "/") && lp != "" && path.Clean(lp) == lp {
		return base + lp
	}
	if i := strings.LastIndexByte(base+lp, '/'); i >= 0 {
		return (base + lp)[:i]
	}
	return ""
}

// globalsSum is the sum of the global files' paths and blob ids.
func globalsSum(files Files, globals []string) ([sha256.Size]byte, error) {
	h := sha256.New()
	for _, p := range globals {
		id, err := files.Blob(p)
		if err != nil {
			return [sha256.Size]byte{}, err
		}
		h.Write(cachefile.AppendStr(cachefile.AppendStr(nil, p), id))
	}
	var s [sha256.Size]byte
	h.Sum(s[:0])
	return s, nil
}
