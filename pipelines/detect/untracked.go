package detect

import (
	"encoding/binary"
	"time"

	"github.com/monopipe/monopipe/internal/cachefile"
)

// The untracked cache keeps, between runs, the listing of every folder
// the working-tree walk visited, with the folder's stat data, in
// <git dir>/monopipe/untracked-v1 (like git's core.untrackedCache). A
// folder whose stat data is unchanged has the same entries, so the next
// run lists it from the cache instead of opening and reading it. Only
// listings are kept: which entries are tracked (the index) and which are
// ignored (.gitignore files, read on every run) are worked out afresh, so
// neither an index change nor an ignore rule change can make the cache
// wrong.
//
// A folder changed within the same timestamp tick as the listing was read
// would keep its stat data; so a folder is trusted only when its mtime and
// ctime are older, by racyMargin, than the start of the run that listed it
// (git's racy-git rule). That start is taken from the file system's own
// clock (the mtime of the new cache file, created before the walk).
//
// A file that is corrupt, of another version, or for another work tree is
// ignored (see cachefile), and a cache that cannot be read or written only
// costs time.
const untrackedCacheName = "untracked-v1"

// racyMargin is how much older than the listing's start a folder's change
// time must be for its cached listing to be trusted.
const racyMargin = time.Second

const untrackedMagic = "monopipe untracked cache 2\n"

// dirStat is the stat data that changes whenever a folder's entries do.
type dirStat struct {
	dev, ino     uint64
	mode         uint32
	size         int64
	mtime, ctime int64 // nanoseconds since the epoch
}

func dirStatOf(st fileStat) dirStat {
	return dirStat{
		dev: st.dev, ino: st.ino, mode: st.mode, size: st.size,
		mtime: st.mtimeSec*1e9 + st.mtimeNsec, ctime: st.ctimeSec*1e9 + st.ctimeNsec,
	}
}

// cachedDir is one folder's listing ("" is the root), sorted by name.
type cachedDir struct {
	path    string
	stat    dirStat
	entries []dirent
}

// untrackedCache is a loaded cache.
type untrackedCache struct {
	dirs map[string]*cachedDir
	// trustBefore: listings of folders changed at or after this time
	// (nanoseconds) are not trusted.
	trustBefore int64
}

// get is the cached listing of dir, or nil; c may be nil.
func (c *untrackedCache) get(dir string) *cachedDir {
	if c == nil {
		return nil
	}
	return c.dirs[dir]
}

// fresh says whether d's listing still holds for a folder with stat st.
func (c *untrackedCache) fresh(d *cachedDir, st fileStat) bool {
	return dirStatOf(st) == d.stat && d.stat.mtime < c.trustBefore && d.stat.ctime < c.trustBefore
}

// loadUntrackedCache reads the cache file for the work tree root; nil when
// it is absent, unreadable, corrupt or not for root.
func loadUntrackedCache(file, root string) *untrackedCache {
	d := cachefile.Read(file, untrackedMagic)
	if d == nil || d.Str() != root {
		return nil
	}
	c := &untrackedCache{trustBefore: d.Int() - int64(racyMargin)}
	n := d.Count()
	c.dirs = make(map[string]*cachedDir, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		cd := &cachedDir{path: d.Str()}
		cd.stat = dirStat{dev: d.Uint(), ino: d.Uint(), mode: uint32(d.Uint()), size: d.Int(), mtime: d.Int(), ctime: d.Int()}
		cd.entries = make([]dirent, d.Count())
		for j := range cd.entries {
			typ := d.Byte()
			cd.entries[j] = dirent{isDir: typ == 1, other: typ == 2, name: d.Str()}
			if j > 0 && cd.entries[j].name <= cd.entries[j-1].name {
				return nil // not sorted: not written by this version
			}
		}
		c.dirs[cd.path] = cd
	}
	if d.Err() != nil || d.Left() != 0 {
		return nil
	}
	return c
}

// saveUntrackedCache writes the listings of this run for root; w was
// created before the walk started.
func saveUntrackedCache(w *cachefile.Writer, root string, dirs []*cachedDir) error {
	b := cachefile.AppendStr([]byte(untrackedMagic), root)
	b = binary.AppendVarint(b, w.Start)
	b = binary.AppendUvarint(b, uint64(len(dirs)))
	for _, d := range dirs {
		b = cachefile.AppendStr(b, d.path)
		b = binary.AppendUvarint(b, d.stat.dev)
		b = binary.AppendUvarint(b, d.stat.ino)
		b = binary.AppendUvarint(b, uint64(d.stat.mode))
		b = binary.AppendVarint(b, d.stat.size)
		b = binary.AppendVarint(b, d.stat.mtime)
		b = binary.AppendVarint(b, d.stat.ctime)
		b = binary.AppendUvarint(b, uint64(len(d.entries)))
		for _, e := range d.entries {
			switch {
			case e.isDir:
				b = append(b, 1)
			case e.other:
				b = append(b, 2)
			default:
				b = append(b, 0)
			}
			b = cachefile.AppendStr(b, e.name)
		}
	}
	return w.Commit(b)
}
