package detect

import (
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"

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
	sc := startScan(gitDirOf(repo, root), root, "", false)
	staged, err := sc.staged(repo, head)
	wt, werr := sc.wait()
	if werr != nil {
		return nil, werr
	}
	if err != nil {
		return nil, err
	}
	if wt.Present, err = sc.withSparseFiles(repo, wt.Present); err != nil {
		return nil, err
	}
	wt.Changed = sortUnique(append(wt.Changed, staged...))
	return wt, nil
}

// scan reads the index and walks the working tree in the background,
// while the caller reads history.
type scan struct {
	gitDir, root string
	cfg          *gitConfig      // every level, read before the walk
	ignoreCase   bool            // core.ignorecase
	rules        statRules       // from cfg
	folded       map[string]bool // with core.ignoreCase: every tracked path and folder, in lower case
	idx          *gitIndex
	entries      []entry
	dirs         map[string][]int32 // see groupByFolder
	seen         []bool
	clean        []bool // tracked, in stage 0, and as the index says
	sparseDirs   []int  // the sparse-directory entries not on disk
	// indexIgnores: skip-worktree .gitignore files by folder, read from
	// objects (opened on first use) when not on disk.
	indexIgnores map[string]plumbing.Hash
	objMu        sync.Mutex
	objects      *filesystem.Storage
	// Submodules: the --ignore-submodules override ("" for the
	// configuration), and what the walk found, for a superproject.
	ignoreSubmodules          string
	indexOnly                 bool
	untracked, trackedChanges int
	subModified, subUntracked bool
	indexSec, indexNsec       uint32
	indexed                   chan struct{} // closed once the fields above are set
	indexErr                  error

	rootDir folder
	old     *untrackedCache // the previous run's listings, nil if unusable
	failed  atomic.Bool
	mu      sync.Mutex
	err     error

	done chan struct{}
	wt   *WorktreeFiles
}

// startScan starts reading the index and walking the working tree; with
// indexOnly it reads the index (for staged) and walks nothing.
func startScan(gitDir, root, ignoreSubmodules string, indexOnly bool) *scan {
	s := &scan{gitDir: gitDir, root: root, ignoreSubmodules: ignoreSubmodules, indexOnly: indexOnly, indexed: make(chan struct{}), done: make(chan struct{})}
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
	if err := s.applySparse(); err != nil {
		return err
	}
	s.sparseGitignores()
	s.seen = make([]bool, len(s.entries))
	s.clean = make([]bool, len(s.entries))
	s.dirs = groupByFolder(s.entries)
	if st, err := lstatPath(filepath.Join(s.gitDir, "index")); err == nil {
		s.indexSec, s.indexNsec = uint32(st.mtimeSec), uint32(st.mtimeNsec)
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

func (s *scan) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	s.failed.Store(true)
}

// run walks the tree with a fixed pool of goroutines, then saves the
// folder listings for the next run when any folder had to be read.
func (s *scan) run() {
	defer close(s.done)
	cfg, err := repoConfig(s.gitDir)
	if err != nil {
		s.indexErr = err
		close(s.indexed)
		s.fail(err)
		return
	}
	s.cfg = cfg
	s.indexErr = s.readIndex()
	close(s.indexed)
	if s.indexErr != nil {
		s.fail(s.indexErr)
		return
	}
	if s.indexOnly {
		s.wt = &WorktreeFiles{}
		return
	}
	if s.rules, err = loadStatRules(cfg); err != nil {
		s.fail(err)
		return
	}
	if s.ignoreCase = s.rules.ignoreCase; s.ignoreCase {
		s.folded = foldedPaths(s.entries)
	}
	cacheFile := filepath.Join(s.gitDir, "monopipe", untrackedCacheName)
	s.old = loadUntrackedCache(cacheFile, s.root)
	cw := cachefile.Create(cacheFile)
	ps, err := rootPatterns(cfg, commonDirOf(s.gitDir), s.root)
	if err != nil {
		cw.Discard()
		s.fail(err)
		return
	}
	s.rootDir, err = openRoot(s.root)
	if err != nil {
		cw.Discard()
		s.fail(fmt.Errorf("read folder %s: %w", s.root, err))
		return
	}
	defer s.rootDir.close()
	defer func() {
		if s.objects != nil {
			s.objects.Close()
		}
	}()

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
	var subs, gone []int
	reread := 0
	for _, w := range walkers {
		wt.Changed = append(wt.Changed, w.changed...)
		wt.Changed = append(wt.Changed, w.untracked...)
		wt.Present = append(wt.Present, w.untracked...)
		listed = append(listed, w.listed...)
		subs = append(subs, w.submodules...)
		reread += w.reread
		s.untracked += len(w.untracked)
		s.trackedChanges += len(w.changed)
	}
	buf := make([]byte, 32<<10)
	for i := range s.entries {
		e := &s.entries[i]
		if !s.seen[i] && s.rules.ignoreCase && !e.skipWorktree && !e.assumeValid && e.mode != filemode.Submodule {
			// Not listed under this name: git looks the entry up by its
			// own name, which a case-insensitive file system finds.
			if _, err := s.rootDir.lstat(e.name); err == nil {
				s.seen[i] = true
				if mod, err := s.modified(e, s.rootDir, e.name, buf); err != nil {
					cw.Discard()
					s.fail(err)
					return
				} else if mod {
					wt.Changed = append(wt.Changed, e.name)
				} else if e.stage == 0 {
					s.clean[i] = true
				}
			}
		}
		switch {
		case s.seen[i]:
			wt.Present = append(wt.Present, e.name)
		case e.isSparseDir():
			s.sparseDirs = append(s.sparseDirs, i) // its files are listed by withSparseFiles
		case e.skipWorktree:
			wt.Present = append(wt.Present, e.name) // sparse checkout: not on disk, not changed
		case e.assumeValid:
			// --assume-unchanged: git does not look, so neither changed
			// nor (not being on disk) present.
		case e.mode == filemode.Submodule:
			gone = append(gone, i) // unless ignored (see checkSubmodules)
		default:
			wt.Changed = append(wt.Changed, e.name) // deleted from the working tree
			s.trackedChanges++
		}
	}
	var err2 error
	if wt.Changed, err2 = s.checkSubmodules(subs, gone, wt.Changed); err2 != nil {
		cw.Discard()
		s.fail(err2)
		return
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

// foldedPaths is every tracked path and every folder above one, in lower
// case (ASCII only, as git folds names).
func foldedPaths(entries []entry) map[string]bool {
	m := make(map[string]bool, len(entries))
	for _, e := range entries {
		for p := asciiLower(e.name); p != "" && !m[p]; p = parentDir(p) {
			m[p] = true
		}
	}
	return m
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
