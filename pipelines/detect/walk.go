package detect

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// dirTask is a folder to visit, with the ignore rules in force there.
type dirTask struct {
	dir string
	ps  []ignorePattern
	// excluded: the folder or one above it is ignored, so everything
	// untracked below is too (it is visited for its tracked files).
	excluded bool
}

// walker is one walking goroutine's state; it collects results without
// locks and merges them at the end.
type walker struct {
	buf        []byte
	local      []dirTask // folders still to visit, depth first
	changed    []string
	untracked  []string
	listed     []*cachedDir // every folder visited, for the next run
	submodules []int        // index entries of submodules found on disk
	reread     int          // folders read from disk rather than the cache
}

// work visits folders until the queue is drained, sharing its own
// pending folders when another goroutine has none.
func (s *scan) work(q *walkQueue, w *walker) {
	for {
		t, ok := q.get()
		if !ok {
			return
		}
		w.local = append(w.local[:0], t)
		for len(w.local) > 0 && !s.failed.Load() {
			t := w.local[len(w.local)-1]
			w.local = w.local[:len(w.local)-1]
			s.visit(w, t)
			w.local = q.share(w.local)
		}
	}
}

// visit lists one folder (from the cache when it is unchanged), checks
// its tracked files against their index stat data, reports untracked
// files that are not ignored, and queues its subfolders.
func (s *scan) visit(w *walker, t dirTask) {
	rel := t.dir
	if rel == "" {
		rel = "."
	}
	var list []dirent
	f := s.rootDir // entries are named relative to f: from the root until the folder is opened
	if c := s.old.get(t.dir); c != nil {
		st, err := s.rootDir.lstat(rel)
		if isNotExist(err) {
			return // removed while we looked
		}
		if err != nil {
			s.fail(fmt.Errorf("stat folder %s: %w", filepath.Join(s.root, rel), err))
			return
		}
		if s.old.fresh(c, st) {
			list = c.entries
			w.listed = append(w.listed, c)
		}
	}
	if list == nil {
		dir, err := s.rootDir.openFolder(rel)
		if isNotExist(err) || errors.Is(err, errNotFolder) {
			return
		}
		if err != nil {
			s.fail(fmt.Errorf("read folder %s: %w", filepath.Join(s.root, rel), err))
			return
		}
		defer dir.close()
		// Stat before listing: a change made while listing then shows
		// as a changed stat on the next run.
		st, err := dir.stat()
		if err != nil {
			s.fail(fmt.Errorf("stat folder %s: %w", filepath.Join(s.root, rel), err))
			return
		}
		if list, err = dir.list(w.buf); err != nil {
			s.fail(fmt.Errorf("read folder %s: %w", filepath.Join(s.root, rel), err))
			return
		}
		slices.SortFunc(list, func(a, b dirent) int { return strings.Compare(a.name, b.name) })
		if list == nil {
			list = []dirent{}
		}
		f = dir
		w.reread++
		w.listed = append(w.listed, &cachedDir{path: t.dir, stat: dirStatOf(st), entries: list})
	}

	prefix := ""
	if t.dir != "" {
		prefix = t.dir + "/"
	}
	isGitignore := func(d dirent) bool { return d.name == ".gitignore" && !d.isDir && !t.excluded }
	// name is how entry n is named relative to f.
	name := func(n string) string {
		if f == s.rootDir {
			return prefix + n
		}
		return n
	}
	ps := t.ps
	for _, de := range list {
		if isGitignore(de) {
			if st, err := f.lstat(name(de.name)); err == nil && st.mode&sIFMT == sIFLNK {
				continue // git does not follow a symlinked .gitignore
			}
			data, err := readFileAt(f, name(de.name))
			if err != nil && !isNotExist(err) {
				s.fail(fmt.Errorf("read %s: %w", filepath.Join(s.root, prefix+de.name), err))
				return
			}
			ps = append(ps[:len(ps):len(ps)], parsePatterns(data, t.dir)...)
		}
	}
	if !t.excluded && !slices.ContainsFunc(list, isGitignore) {
		// Not on disk: a sparse checkout's .gitignore is read from the index.
		data, ok, err := s.indexGitignore(t.dir)
		if err != nil {
			s.fail(err)
			return
		}
		if ok {
			ps = append(ps[:len(ps):len(ps)], parsePatterns(data, t.dir)...)
		}
	}
	ignored := func(n string, isDir bool) bool {
		return t.excluded || ignoredBy(ps, prefix+n, isDir, s.ignoreCase)
	}
	files := s.dirs[t.dir] // the index entries directly here, in name order
	for _, de := range list {
		if de.name == ".git" {
			continue
		}
		for len(files) > 0 && s.entries[files[0]].name[len(prefix):] < de.name {
			files = files[1:] // not on disk: reported as deleted at the end
		}
		n := 0 // index entries named de.name: one, or several in a conflict
		for n < len(files) && s.entries[files[n]].name[len(prefix):] == de.name {
			n++
		}
		tracked := files[:n]
		files = files[n:]
		if de.isDir {
			if n > 0 && s.entries[tracked[0]].mode == filemode.Submodule {
				s.seen[tracked[0]] = true
				if s.entries[tracked[0]].stage == 0 {
					w.submodules = append(w.submodules, int(tracked[0]))
				}
				continue
			}
			p := prefix + de.name
			excluded := ignored(de.name, true)
			if _, ok := s.dirs[p]; !ok && !s.trackedFolded(p) { // nothing tracked below
				if excluded {
					continue
				}
				if _, err := f.lstat(name(de.name) + "/.git"); err == nil {
					w.untracked = append(w.untracked, p+"/") // a nested repository
					continue
				}
			}
			w.local = append(w.local, dirTask{dir: p, ps: ps, excluded: excluded})
			continue
		}
		if n == 0 {
			if !de.other && !ignored(de.name, false) && !s.trackedFolded(prefix+de.name) {
				w.untracked = append(w.untracked, prefix+de.name)
			}
			continue
		}
		for _, i := range tracked {
			e := &s.entries[i]
			s.seen[i] = true
			file := de.name
			if f == s.rootDir {
				file = e.name
			}
			if mod, err := s.modified(e, f, file, w.buf); err != nil {
				s.fail(err)
				return
			} else if mod {
				w.changed = append(w.changed, e.name)
			} else if e.stage == 0 && !e.skipWorktree {
				s.clean[i] = true
			}
		}
	}
}

// trackedFolded says whether, with core.ignoreCase, the index tracks p
// under another case: git then does not call it untracked.
func (s *scan) trackedFolded(p string) bool {
	return s.folded != nil && s.folded[asciiLower(p)]
}

// groupByFolder maps every folder that holds tracked files, directly or
// below, to the indexes of the index entries directly in it, in name
// order ("" is the root). Walking a folder then merges two sorted lists
// rather than looking each file up in a map of every path.
func groupByFolder(entries []entry) map[string][]int32 {
	dirs := map[string][]int32{}
	cur, curDir := []int32(nil), "\x00"
	for i, e := range entries {
		d := parentDir(strings.TrimSuffix(e.name, "/")) // "dir/": a sparse directory
		if d != curDir {
			if curDir != "\x00" {
				dirs[curDir] = cur
			}
			curDir = d
			if cur = dirs[d]; cur == nil { // a new folder: record its parents
				for a := d; a != ""; {
					a = parentDir(a)
					if _, ok := dirs[a]; ok {
						break
					}
					dirs[a] = []int32{}
				}
			}
		}
		cur = append(cur, int32(i))
	}
	if curDir != "\x00" {
		dirs[curDir] = cur
	}
	return dirs
}

// parentDir is the folder of path p, "" at the top.
func parentDir(p string) string {
	if k := strings.LastIndexByte(p, '/'); k >= 0 {
		return p[:k]
	}
	return ""
}
