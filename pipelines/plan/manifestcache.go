package plan

import (
	"encoding/binary"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/monopipe/monopipe/internal/cachefile"
	"github.com/monopipe/monopipe/pipelines/manifest"
)

// The manifest cache keeps parsed component.yaml files between runs, in
// <git dir>/monopipe/manifests-v1: parsing thousands of them with yaml.v3
// costs more than all the rest of a plan. An entry is keyed by the blob id
// of the file's content and by its path (which the parsed manifest
// records), and the whole file by this build of the program and the
// layout of manifest.Component, since parsing is a function of those
// alone. Entries are looked up by blob ids known without reading the file
// (the index, for files whose stat data matches it; a tree entry, for a
// commit) and written under the id of the content actually parsed.
const (
	manifestCacheName  = "manifests-v1"
	manifestCacheMagic = "monopipe manifests 1\n"
)

type manifestKey struct {
	blob plumbing.Hash
	path string
}

type manifestCache struct {
	file  string
	stamp string // "" when the program cannot be identified: no cache
	old   map[manifestKey][]byte
	hits  int
}

// programStamp identifies this build of the program and the layout of
// manifest.Component.
func programStamp() string {
	prog := cachefile.Program()
	if prog == "" {
		return ""
	}
	return prog + "\n" + cachefile.TypeKey(reflect.TypeFor[manifest.Component]())
}

// loadManifestCache reads the cache file; a missing, corrupt or foreign
// one gives an empty cache.
func loadManifestCache(file string) *manifestCache {
	c := &manifestCache{file: file, stamp: programStamp(), old: map[manifestKey][]byte{}}
	d := cachefile.Read(file, manifestCacheMagic)
	if c.stamp == "" || d == nil || d.Str() != c.stamp {
		return c
	}
	for n := d.Count(); n > 0 && d.Err() == nil; n-- {
		var k manifestKey
		copy(k.blob[:], d.Bytes(len(k.blob)))
		k.path = d.Str()
		c.old[k] = d.Bytes(d.Count())
	}
	if d.Err() != nil || d.Left() != 0 {
		c.old = map[manifestKey][]byte{}
	}
	return c
}

// get is the cached manifest at path with content blob, or nil.
func (c *manifestCache) get(blob plumbing.Hash, path string) *manifest.Component {
	raw, ok := c.old[manifestKey{blob, path}]
	if !ok {
		return nil
	}
	comp := &manifest.Component{}
	d := cachefile.NewDecoder(raw)
	if d.Value(reflect.ValueOf(comp).Elem()); d.Err() != nil || d.Left() != 0 {
		return nil
	}
	c.hits++
	return comp
}

// save writes the cache for comps, when it changed: ids are the blob ids
// of the files parsed this run, known those of the files taken from the
// cache. Failures are ignored: they only cost time on the next run.
func (c *manifestCache) save(comps []*manifest.Component, ids map[string]plumbing.Hash, known func(string) (plumbing.Hash, bool)) {
	if c.stamp == "" || len(ids) == 0 && c.hits == len(c.old) {
		return
	}
	b := cachefile.AppendStr([]byte(manifestCacheMagic), c.stamp)
	b = binary.AppendUvarint(b, uint64(len(comps)))
	for _, comp := range comps {
		h, ok := ids[comp.Path]
		if !ok {
			if h, ok = known(comp.Path); !ok {
				return
			}
		}
		val, err := cachefile.AppendValue(nil, reflect.ValueOf(comp).Elem())
		if err != nil {
			return
		}
		b = append(b, h[:]...)
		b = cachefile.AppendStr(b, comp.Path)
		b = binary.AppendUvarint(b, uint64(len(val)))
		b = append(b, val...)
	}
	if w := cachefile.Create(c.file); w != nil {
		_ = w.Commit(b)
	}
}

// parseManifests parses the component files at paths, taking those whose
// blob id known tells from the cache in gitDir.
func parseManifests(gitDir string, fsys fs.FS, paths []string, known func(string) (plumbing.Hash, bool)) ([]*manifest.Component, error) {
	if known == nil {
		return manifest.ParseComponents(fsys, paths)
	}
	c := loadManifestCache(filepath.Join(gitDir, "monopipe", manifestCacheName))
	read := &hashingFS{FS: fsys, ids: map[string]plumbing.Hash{}}
	comps, err := manifest.ParseComponentsReusing(read, paths, func(p string) *manifest.Component {
		if h, ok := known(p); ok {
			return c.get(h, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.save(comps, read.ids, known)
	return comps, nil
}

// hashingFS records the blob id of every file read through it.
type hashingFS struct {
	fs.FS
	mu  sync.Mutex
	ids map[string]plumbing.Hash
}

// Stat describes the named file without opening it (manifest.StatFile).
func (h *hashingFS) Stat(name string) (fs.FileInfo, error) { return manifest.StatFile(h.FS, name) }

// ReadFile reads the named file and records its blob id.
func (h *hashingFS) ReadFile(name string) ([]byte, error) {
	data, err := fs.ReadFile(h.FS, name)
	if err != nil {
		return nil, err
	}
	id := plumbing.ComputeHash(plumbing.BlobObject, data)
	h.mu.Lock()
	h.ids[name] = id
	h.mu.Unlock()
	return data, nil
}

// The discovery cache keeps, in <git dir>/monopipe/discovery-v1, where the
// component files of one git tree are and their blob ids: finding them
// reads thousands of trees, and a tree id fixes everything below it.
const (
	discoveryCacheName  = "discovery-v1"
	discoveryCacheMagic = "monopipe discovery 1\n"
)

// gitTree is a file system made of a git tree (detect.TreeFS).
type gitTree interface {
	fs.FS
	TreeID() plumbing.Hash
	BlobID(name string) (plumbing.Hash, bool)
}

// findComponents is manifest.FindComponents, with the blob ids of the
// files found when fsys is a git tree (nil otherwise), from the cache when
// the same tree was searched with the same globs before.
func findComponents(gitDir string, fsys fs.FS, globs []string) ([]string, func(string) (plumbing.Hash, bool), error) {
	t, ok := fsys.(gitTree)
	if !ok {
		paths, err := manifest.FindComponents(fsys, globs)
		return paths, nil, err
	}
	stamp := programStamp()
	key := t.TreeID().String() + "\n" + strings.Join(globs, "\x00")
	file := filepath.Join(gitDir, "monopipe", discoveryCacheName)
	ids := map[string]plumbing.Hash{}
	lookup := func(p string) (plumbing.Hash, bool) {
		h, ok := ids[p]
		return h, ok
	}
	if d := cachefile.Read(file, discoveryCacheMagic); stamp != "" && d != nil && d.Str() == stamp && d.Str() == key {
		paths := make([]string, d.Count())
		for i := range paths {
			paths[i] = d.Str()
			var h plumbing.Hash
			copy(h[:], d.Bytes(len(h)))
			ids[paths[i]] = h
		}
		if d.Err() == nil && d.Left() == 0 {
			return paths, lookup, nil
		}
		clear(ids)
	}
	paths, err := manifest.FindComponents(fsys, globs)
	if err != nil {
		return nil, nil, err
	}
	b := cachefile.AppendStr([]byte(discoveryCacheMagic), stamp)
	b = cachefile.AppendStr(b, key)
	b = binary.AppendUvarint(b, uint64(len(paths)))
	for _, p := range paths {
		h, ok := t.BlobID(p)
		if !ok {
			return paths, t.BlobID, nil // not a plain file: keep no cache
		}
		ids[p] = h
		b = cachefile.AppendStr(b, p)
		b = append(b, h[:]...)
	}
	if w := cachefile.Create(file); w != nil && stamp != "" {
		_ = w.Commit(b) // failures only cost time on the next run
	} else {
		w.Discard()
	}
	return paths, lookup, nil
}
