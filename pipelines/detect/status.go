package detect

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"github.com/go-git/go-git/v5/plumbing/object"
	"golang.org/x/sys/unix"

	"github.com/monopipe/monopipe/internal/cachefile"
)

// WorktreeFiles is what Status finds in the working tree.
type WorktreeFiles struct {
	// Changed are the paths where the index or the working tree differs
	// from head: staged, modified, deleted and untracked (not ignored).
	Changed []string
	// Present are the files in the working tree: tracked files that exist
	// and untracked files that are not ignored, sorted.
	Present []string
}

// Status compares the index and the working tree with head's tree.
//
// go-git's Worktree.Status hashes every file, which takes seconds on large
// trees; this does what git does instead: it trusts the stat data recorded
// in the index (hashing only files whose stat changed or is racy), skips
// the staged-change check for folders whose cache-tree hash matches head,
// and walks the tree once, in parallel, for untracked files, reusing the
// folder listings of the previous run where the folder is unchanged (see
// untrackedCache).
func Status(repo *git.Repository, root string, head *object.Commit) (*WorktreeFiles, error) {
	sc := startScan(gitDirOf(repo, root), root)
	staged, err := sc.staged(repo, head)
	wt, werr := sc.wait()
	if werr != nil {
		return nil, werr
	}
	if err != nil {
		return nil, err
	}
	wt.Changed = sortUnique(append(wt.Changed, staged...))
	return wt, nil
}

// scan reads the index and walks the working tree in the background,
// while the caller reads history.
type scan struct {
	gitDir, root        string
	idx                 *gitIndex
	entries             []entry
	dirs                map[string][]int32 // see groupByFolder
	seen                []bool
	clean               []bool // tracked, in stage 0, and as the index says
	indexSec, indexNsec uint32
	indexed             chan struct{} // closed once the fields above are set
	indexErr            error

	rootFd int
	old    *untrackedCache // the previous run's listings, nil if unusable
	failed atomic.Bool
	mu     sync.Mutex
	err    error

	done chan struct{}
	wt   *WorktreeFiles
}

// startScan starts reading the index and walking the working tree.
func startScan(gitDir, root string) *scan {
	s := &scan{gitDir: gitDir, root: root, indexed: make(chan struct{}), done: make(chan struct{})}
	go s.run()
	return s
}

// readIndex reads the index and groups its entries by folder.
func (s *scan) readIndex() error {
	idx, err := readIndex(filepath.Join(s.gitDir, "index"))
	if err != nil {
		return err
	}
	s.idx, s.entries = idx, idx.entries
	s.seen = make([]bool, len(idx.entries))
	s.clean = make([]bool, len(idx.entries))
	s.dirs = groupByFolder(idx.entries)
	var st unix.Stat_t
	if unix.Stat(filepath.Join(s.gitDir, "index"), &st) == nil {
		s.indexSec, s.indexNsec = uint32(st.Mtim.Sec), uint32(st.Mtim.Nsec)
	}
	return nil
}

// wait waits for the walk and returns its result; Changed lacks the staged
// changes and is not sorted.
func (s *scan) wait() (*WorktreeFiles, error) {
	<-s.done
	if s.err != nil {
		return nil, s.err
	}
	return s.wt, nil
}

// blob is the blob id of the tracked file p when the walk found it as the
// index records it; call it after wait.
func (s *scan) blob(p string) (plumbing.Hash, bool) {
	i := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].name >= p })
	if i == len(s.entries) || s.entries[i].name != p || !s.clean[i] {
		return plumbing.ZeroHash, false
	}
	return s.entries[i].hash, true
}

// groupByFolder maps every folder that holds tracked files, directly or
// below, to the indexes of the index entries directly in it, in name
// order ("" is the root). Walking a folder then merges two sorted lists
// rather than looking each file up in a map of every path.
func groupByFolder(entries []entry) map[string][]int32 {
	dirs := map[string][]int32{}
	cur, curDir := []int32(nil), "\x00"
	for i, e := range entries {
		d := parentDir(e.name)
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

func (s *scan) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	s.failed.Store(true)
}

// staged lists the paths where the index differs from head's tree. It
// reads git objects, so it runs on the caller's goroutine (go-git's
// storage is not safe for concurrent use).
func (s *scan) staged(repo *git.Repository, head *object.Commit) ([]string, error) {
	if <-s.indexed; s.indexErr != nil {
		return nil, nil // wait reports it
	}
	if h, ok := s.idx.rootTree(); ok && h == head.TreeHash {
		return nil, nil
	}
	tree, err := head.Tree()
	if err != nil {
		return nil, fmt.Errorf("read tree of HEAD: %w", err)
	}
	trees, err := s.idx.cacheTrees()
	if err != nil {
		return nil, err
	}
	var out []string
	return out, stagedDiff(repo, "", tree, s.entries, trees, &out)
}

// stagedDiff compares the index entries under dir (ents, contiguous and
// sorted) with head's tree for dir (nil when head has no such folder).
func stagedDiff(repo *git.Repository, dir string, tree *object.Tree, ents []entry, trees map[string]plumbing.Hash, out *[]string) error {
	if tree != nil {
		if h, ok := trees[dir]; ok && h == tree.Hash {
			return nil
		}
	}
	inTree := map[string]object.TreeEntry{}
	if tree != nil {
		for _, te := range tree.Entries {
			inTree[te.Name] = te
		}
	}
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	for i := 0; i < len(ents); {
		rest := ents[i].name[len(prefix):]
		slash := strings.IndexByte(rest, '/')
		if slash < 0 { // a file directly in dir
			e := ents[i]
			te, ok := inTree[rest]
			delete(inTree, rest)
			if !ok || te.Hash != e.hash || te.Mode != e.mode || e.stage != 0 {
				*out = append(*out, e.name)
			}
			i++
			continue
		}
		name := rest[:slash]
		j := i + 1
		for j < len(ents) && strings.HasPrefix(ents[j].name, prefix+name+"/") {
			j++
		}
		var sub *object.Tree
		if te, ok := inTree[name]; ok {
			delete(inTree, name)
			if te.Mode == filemode.Dir {
				t, err := repo.TreeObject(te.Hash)
				if err != nil {
					return fmt.Errorf("read tree %s: %w", prefix+name, err)
				}
				sub = t
			} else {
				*out = append(*out, prefix+name) // a file became a folder
			}
		}
		if err := stagedDiff(repo, prefix+name, sub, ents[i:j], trees, out); err != nil {
			return err
		}
		i = j
	}
	// What head has and the index does not: removed from the index.
	for name, te := range inTree {
		if te.Mode != filemode.Dir {
			*out = append(*out, prefix+name)
			continue
		}
		t, err := repo.TreeObject(te.Hash)
		if err != nil {
			return fmt.Errorf("read tree %s: %w", prefix+name, err)
		}
		err = t.Files().ForEach(func(f *object.File) error {
			*out = append(*out, prefix+name+"/"+f.Name)
			return nil
		})
		if err != nil {
			return fmt.Errorf("list tree %s: %w", prefix+name, err)
		}
	}
	return nil
}

// rootPatterns are the ignore rules that apply everywhere: the user's
// global excludes file and .git/info/exclude.
func rootPatterns(gitDir string) ([]gitignore.Pattern, error) {
	ps, _ := gitignore.LoadGlobalPatterns(osfs.New("/"))
	data, err := os.ReadFile(filepath.Join(gitDir, "info", "exclude"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(gitDir, "info", "exclude"), err)
	}
	return append(ps, parsePatterns(data, nil)...), nil
}

// parsePatterns parses the lines of an ignore file found in the folder
// domain.
func parsePatterns(data []byte, domain []string) []gitignore.Pattern {
	var ps []gitignore.Pattern
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(line, domain))
	}
	return ps
}

// dirent is a folder entry as getdents returns it.
type dirent struct {
	name  string
	isDir bool
}

// readDir lists the open folder fd without sorting and without a stat per
// entry (the file type comes with the entry on the file systems git runs
// on; where it does not, lstat tells). It reads until getdents says the
// end: a short read is not proof of the end on every file system.
func readDir(fd int, buf []byte) ([]dirent, error) {
	var out []dirent
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return out, nil
		}
		for b := buf[:n]; len(b) > 0; {
			d := (*unix.Dirent)(unsafe.Pointer(&b[0]))
			rec := b[:d.Reclen]
			b = b[d.Reclen:]
			nameBytes := rec[unsafe.Offsetof(d.Name):]
			name := string(nameBytes[:bytes.IndexByte(nameBytes, 0)])
			if name == "." || name == ".." {
				continue
			}
			typ := d.Type
			if typ == unix.DT_UNKNOWN {
				var st unix.Stat_t
				if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
					continue
				}
				if st.Mode&unix.S_IFMT == unix.S_IFDIR {
					typ = unix.DT_DIR
				}
			}
			out = append(out, dirent{name, typ == unix.DT_DIR})
		}
	}
}

// dirTask is a folder to visit, with the ignore rules in force there.
type dirTask struct {
	dir string
	ps  []gitignore.Pattern
}

// walker is one walking goroutine's state; it collects results without
// locks and merges them at the end.
type walker struct {
	buf       []byte
	local     []dirTask // folders still to visit, depth first
	changed   []string
	untracked []string
	listed    []*cachedDir // every folder visited, for the next run
	reread    int          // folders read from disk rather than the cache
}

// run walks the tree with a fixed pool of goroutines, then saves the
// folder listings for the next run when any folder had to be read.
func (s *scan) run() {
	defer close(s.done)
	s.indexErr = s.readIndex()
	close(s.indexed)
	if s.indexErr != nil {
		s.fail(s.indexErr)
		return
	}
	cacheFile := filepath.Join(s.gitDir, "monopipe", untrackedCacheName)
	s.old = loadUntrackedCache(cacheFile, s.root)
	cw := cachefile.Create(cacheFile)
	ps, err := rootPatterns(s.gitDir)
	if err != nil {
		cw.Discard()
		s.fail(err)
		return
	}
	s.rootFd, err = unix.Open(s.root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		cw.Discard()
		s.fail(fmt.Errorf("read folder %s: %w", s.root, err))
		return
	}
	defer unix.Close(s.rootFd)

	q := newWalkQueue(runtime.GOMAXPROCS(0), dirTask{ps: ps})
	walkers := make([]*walker, q.workers)
	var wg sync.WaitGroup
	for i := range walkers {
		w := &walker{buf: make([]byte, 32<<10)}
		walkers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.work(q, w)
		}()
	}
	wg.Wait()
	if s.err != nil {
		cw.Discard()
		return
	}

	wt := &WorktreeFiles{Present: make([]string, 0, len(s.entries))}
	var listed []*cachedDir
	reread := 0
	for _, w := range walkers {
		wt.Changed = append(wt.Changed, w.changed...)
		wt.Changed = append(wt.Changed, w.untracked...)
		wt.Present = append(wt.Present, w.untracked...)
		listed = append(listed, w.listed...)
		reread += w.reread
	}
	for i, e := range s.entries {
		switch {
		case s.seen[i]:
			wt.Present = append(wt.Present, e.name)
		case e.skipWorktree:
			wt.Present = append(wt.Present, e.name) // sparse checkout: not on disk, not changed
		case e.mode != filemode.Submodule:
			wt.Changed = append(wt.Changed, e.name) // deleted from the working tree
		}
	}
	wt.Present = sortUnique(wt.Present)
	s.wt = wt
	if cw != nil && (reread > 0 || s.old == nil) {
		// A cache that cannot be written only costs time on the next run.
		_ = saveUntrackedCache(cw, s.root, listed)
	} else {
		cw.Discard()
	}
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
	var st unix.Stat_t
	var list []dirent
	fd := s.rootFd // entries are named relative to fd: from the root until the folder is opened
	if c := s.old.get(t.dir); c != nil {
		err := unix.Fstatat(s.rootFd, rel, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.ENOENT || err == unix.ENOTDIR {
			return // removed while we looked
		}
		if err != nil {
			s.fail(fmt.Errorf("stat folder %s: %w", filepath.Join(s.root, rel), err))
			return
		}
		if s.old.fresh(c, &st) {
			list = c.entries
			w.listed = append(w.listed, c)
		}
	}
	if list == nil {
		dirfd, err := unix.Openat(s.rootFd, rel, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err == unix.ENOENT || err == unix.ENOTDIR {
			return
		}
		if err != nil {
			s.fail(fmt.Errorf("read folder %s: %w", filepath.Join(s.root, rel), err))
			return
		}
		defer unix.Close(dirfd)
		// Stat before listing: a change made while listing then shows
		// as a changed stat on the next run.
		if err := unix.Fstat(dirfd, &st); err != nil {
			s.fail(fmt.Errorf("stat folder %s: %w", filepath.Join(s.root, rel), err))
			return
		}
		if list, err = readDir(dirfd, w.buf); err != nil {
			s.fail(fmt.Errorf("read folder %s: %w", filepath.Join(s.root, rel), err))
			return
		}
		slices.SortFunc(list, func(a, b dirent) int { return strings.Compare(a.name, b.name) })
		if list == nil {
			list = []dirent{}
		}
		fd = dirfd
		w.reread++
		w.listed = append(w.listed, &cachedDir{path: t.dir, stat: statOf(&st), entries: list})
	}

	prefix := ""
	if t.dir != "" {
		prefix = t.dir + "/"
	}
	isGitignore := func(d dirent) bool { return d.name == ".gitignore" && !d.isDir }
	var domain []string // the folder as ignore rules see it, when there are any
	if t.dir != "" && (len(t.ps) > 0 || slices.ContainsFunc(list, isGitignore)) {
		domain = strings.Split(t.dir, "/")
	}
	// name is how entry n is named relative to fd.
	name := func(n string) string {
		if fd == s.rootFd {
			return prefix + n
		}
		return n
	}
	ps := t.ps
	for _, de := range list {
		if isGitignore(de) {
			data, err := readFileAt(fd, name(de.name))
			if err != nil && err != unix.ENOENT {
				s.fail(fmt.Errorf("read %s: %w", filepath.Join(s.root, prefix+de.name), err))
				return
			}
			ps = append(ps[:len(ps):len(ps)], parsePatterns(data, domain)...)
		}
	}
	var m gitignore.Matcher
	ignored := func(n string, isDir bool) bool {
		if len(ps) == 0 {
			return false
		}
		if m == nil {
			m = gitignore.NewMatcher(ps)
		}
		return m.Match(append(domain[:len(domain):len(domain)], n), isDir)
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
				continue
			}
			p := prefix + de.name
			if _, ok := s.dirs[p]; !ok { // nothing tracked below
				if ignored(de.name, true) {
					continue
				}
				var gst unix.Stat_t
				if unix.Fstatat(fd, name(de.name)+"/.git", &gst, unix.AT_SYMLINK_NOFOLLOW) == nil {
					w.untracked = append(w.untracked, p+"/") // a nested repository
					continue
				}
			}
			w.local = append(w.local, dirTask{dir: p, ps: ps})
			continue
		}
		if n == 0 {
			if !ignored(de.name, false) {
				w.untracked = append(w.untracked, prefix+de.name)
			}
			continue
		}
		for _, i := range tracked {
			e := &s.entries[i]
			s.seen[i] = true
			file := de.name
			if fd == s.rootFd {
				file = e.name
			}
			if mod, err := s.modified(e, fd, file); err != nil {
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

// readFileAt reads the file name relative to the folder fd, with plain
// system calls (os.ReadFile registers every file with the poller).
func readFileAt(fd int, name string) ([]byte, error) {
	f, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(f)
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := unix.Read(f, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return out, nil
		}
		out = append(out, buf[:n]...)
	}
}

// modified says whether a tracked file differs from its index entry: by
// stat data when it is trustworthy, else by content hash. The file is name
// relative to the folder dirfd.
func (s *scan) modified(e *entry, dirfd int, name string) (bool, error) {
	if e.skipWorktree || e.intentToAdd {
		return e.intentToAdd, nil
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT || err == unix.ENOTDIR {
			return true, nil
		}
		return false, fmt.Errorf("stat %s: %w", filepath.Join(s.root, e.name), err)
	}
	if gitMode(st.Mode) != e.mode || uint32(st.Size) != e.size {
		return true, nil
	}
	sameStat := uint32(st.Mtim.Sec) == e.mtimeSec && uint32(st.Mtim.Nsec) == e.mtimeNsec && (e.ino == 0 || uint32(st.Ino) == e.ino)
	// Racily clean: written in the same instant as the index or later, so
	// the stat data cannot tell (git's racy-git rule).
	racy := s.indexSec != 0 && (e.mtimeSec > s.indexSec || e.mtimeSec == s.indexSec && e.mtimeNsec >= s.indexNsec)
	if sameStat && !racy {
		return false, nil
	}
	var data []byte
	var err error
	if e.mode == filemode.Symlink {
		data = make([]byte, unix.PathMax)
		var n int
		n, err = unix.Readlinkat(dirfd, name, data)
		data = data[:max(n, 0)]
	} else {
		data, err = readFileAt(dirfd, name)
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", filepath.Join(s.root, e.name), err)
	}
	return plumbing.ComputeHash(plumbing.BlobObject, data) != e.hash, nil
}

// gitMode is the git file mode of a stat mode, as the index records it.
func gitMode(m uint32) filemode.FileMode {
	switch m & unix.S_IFMT {
	case unix.S_IFLNK:
		return filemode.Symlink
	case unix.S_IFDIR:
		return filemode.Dir
	case unix.S_IFREG:
		if m&0o111 != 0 {
			return filemode.Executable
		}
		return filemode.Regular
	}
	return filemode.Empty
}

// walkQueue hands folders to a fixed pool of goroutines. Each goroutine
// walks depth first on its own and gives half of its pending folders (the
// shallowest, so the largest subtrees) back to the queue only when
// another goroutine is idle, so that goroutines rarely wait or wake.
type walkQueue struct {
	mu      sync.Mutex
	cond    sync.Cond
	tasks   []dirTask
	workers int
	waiting int
	done    bool
	hungry  atomic.Bool
}

func newWalkQueue(workers int, root dirTask) *walkQueue {
	q := &walkQueue{tasks: []dirTask{root}, workers: workers}
	q.cond.L = &q.mu
	return q
}

// get takes a folder, waiting while others may still queue some; false
// means the walk is over.
func (q *walkQueue) get() (dirTask, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.tasks) == 0 && !q.done {
		q.waiting++
		if q.waiting == q.workers {
			q.done = true
			q.cond.Broadcast()
			break
		}
		q.hungry.Store(true)
		q.cond.Wait()
		q.waiting--
	}
	if len(q.tasks) == 0 {
		return dirTask{}, false
	}
	t := q.tasks[len(q.tasks)-1]
	q.tasks = q.tasks[:len(q.tasks)-1]
	q.hungry.Store(q.waiting > 0)
	return t, true
}

// share moves the older half of local to the queue when a goroutine is
// idle, and returns what stays.
func (q *walkQueue) share(local []dirTask) []dirTask {
	if len(local) < 2 || !q.hungry.Load() {
		return local
	}
	n := len(local) / 2
	q.mu.Lock()
	q.tasks = append(q.tasks, local[:n]...)
	q.hungry.Store(false)
	q.mu.Unlock()
	q.cond.Broadcast()
	return append(local[:0], local[n:]...)
}
