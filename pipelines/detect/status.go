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
	"sort"
	"strings"
	"sync"
	"unsafe"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"golang.org/x/sys/unix"
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
// and walks the tree once, in parallel, for untracked files.
func Status(repo *git.Repository, root string, head *object.Commit) (*WorktreeFiles, error) {
	gitDir := filepath.Join(root, ".git")
	if st, ok := repo.Storer.(*filesystem.Storage); ok {
		gitDir = st.Filesystem().Root()
	}
	idx, err := readIndex(filepath.Join(gitDir, "index"))
	if err != nil {
		return nil, err
	}
	s := &status{repo: repo, root: root, entries: idx.entries, byName: make(map[string]int, len(idx.entries))}
	for i := range idx.entries {
		s.byName[idx.entries[i].name] = i
	}
	s.seen = make([]bool, len(idx.entries))
	if fi, err := os.Stat(filepath.Join(gitDir, "index")); err == nil {
		s.indexSec, s.indexNsec = uint32(fi.ModTime().Unix()), uint32(fi.ModTime().Nanosecond())
	}

	tree, err := head.Tree()
	if err != nil {
		return nil, fmt.Errorf("read tree of HEAD: %w", err)
	}
	if err := s.staged("", tree, idx.entries, idx.trees); err != nil {
		return nil, err
	}
	ps, err := rootPatterns(gitDir)
	if err != nil {
		return nil, err
	}
	s.walkDir("", ps)
	if s.err != nil {
		return nil, s.err
	}
	present := s.untracked
	for i, e := range s.entries {
		switch {
		case s.seen[i]:
			present = append(present, e.name)
		case e.skipWorktree:
			present = append(present, e.name) // sparse checkout: not on disk, not changed
		case e.mode != filemode.Submodule:
			s.changed = append(s.changed, e.name) // deleted from the working tree
		}
	}
	s.changed = append(s.changed, s.untracked...)
	return &WorktreeFiles{Changed: sortUnique(s.changed), Present: sortUnique(present)}, nil
}

type status struct {
	repo                *git.Repository
	root                string
	entries             []entry
	byName              map[string]int
	seen                []bool
	indexSec, indexNsec uint32

	mu        sync.Mutex
	changed   []string
	untracked []string
	err       error
}

func (s *status) add(list *[]string, p string) {
	s.mu.Lock()
	*list = append(*list, p)
	s.mu.Unlock()
}

func (s *status) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
}

// staged compares the index entries under dir (ents, contiguous and
// sorted) with head's tree for dir (nil when head has no such folder).
func (s *status) staged(dir string, tree *object.Tree, ents []entry, trees map[string]plumbing.Hash) error {
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
				s.changed = append(s.changed, e.name)
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
				t, err := s.repo.TreeObject(te.Hash)
				if err != nil {
					return fmt.Errorf("read tree %s: %w", prefix+name, err)
				}
				sub = t
			} else {
				s.changed = append(s.changed, prefix+name) // a file became a folder
			}
		}
		if err := s.staged(prefix+name, sub, ents[i:j], trees); err != nil {
			return err
		}
		i = j
	}
	// What head has and the index does not: removed from the index.
	for name, te := range inTree {
		if te.Mode != filemode.Dir {
			s.changed = append(s.changed, prefix+name)
			continue
		}
		t, err := s.repo.TreeObject(te.Hash)
		if err != nil {
			return fmt.Errorf("read tree %s: %w", prefix+name, err)
		}
		err = t.Files().ForEach(func(f *object.File) error {
			s.changed = append(s.changed, prefix+name+"/"+f.Name)
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
	more, err := readPatterns(filepath.Join(gitDir, "info", "exclude"), nil)
	return append(ps, more...), err
}

func readPatterns(file string, domain []string) ([]gitignore.Pattern, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	var ps []gitignore.Pattern
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(line, domain))
	}
	return ps, nil
}

var walkSlots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

// dirent is a folder entry as getdents returns it.
type dirent struct {
	name  string
	isDir bool
}

// readDir lists the open folder fd without sorting and without a stat per
// entry (the file type comes with the entry on the file systems git runs
// on; where it does not, lstat tells).
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

// walkDir visits one folder: it checks tracked files against their index
// stat data, reports untracked files that are not ignored, and descends,
// in parallel while there are free slots.
func (s *status) walkDir(dir string, ps []gitignore.Pattern) {
	abs := filepath.Join(s.root, dir)
	fd, err := unix.Open(abs, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if err != unix.ENOENT { // else removed while we looked
			s.fail(fmt.Errorf("read folder %s: %w", abs, err))
		}
		return
	}
	defer unix.Close(fd)
	des, err := readDir(fd, make([]byte, 16<<10))
	if err != nil {
		s.fail(fmt.Errorf("read folder %s: %w", abs, err))
		return
	}
	var domain []string
	if dir != "" {
		domain = strings.Split(dir, "/")
	}
	for _, de := range des {
		if de.name == ".gitignore" && !de.isDir {
			more, err := readPatterns(filepath.Join(abs, ".gitignore"), domain)
			if err != nil {
				s.fail(err)
				return
			}
			ps = append(ps[:len(ps):len(ps)], more...)
		}
	}
	m := gitignore.NewMatcher(ps)
	ignored := func(name string, isDir bool) bool {
		return len(ps) > 0 && m.Match(append(domain[:len(domain):len(domain)], name), isDir)
	}
	prefix := ""
	if dir != "" {
		prefix = dir + "/"
	}
	var wg sync.WaitGroup
	for _, de := range des {
		if de.name == ".git" {
			continue
		}
		p := prefix + de.name
		if de.isDir {
			if i, ok := s.byName[p]; ok && s.entries[i].mode == filemode.Submodule {
				s.seen[i] = true
				continue
			}
			if !s.tracksUnder(p) {
				if ignored(de.name, true) {
					continue
				}
				if isRepo(filepath.Join(abs, de.name)) {
					s.add(&s.untracked, p+"/") // a nested repository
					continue
				}
			}
			select {
			case walkSlots <- struct{}{}:
				wg.Add(1)
				go func() {
					defer wg.Done()
					s.walkDir(p, ps)
					<-walkSlots
				}()
			default:
				s.walkDir(p, ps)
			}
			continue
		}
		i, tracked := s.byName[p]
		if !tracked {
			if !ignored(de.name, false) {
				s.add(&s.untracked, p)
			}
			continue
		}
		s.seen[i] = true
		if mod, err := s.modified(&s.entries[i], fd, abs, de.name); err != nil {
			s.fail(err)
		} else if mod {
			s.add(&s.changed, p)
		}
	}
	wg.Wait()
}

// tracksUnder says whether the index has any file below folder p.
func (s *status) tracksUnder(p string) bool {
	prefix := p + "/"
	i := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].name >= prefix })
	return i < len(s.entries) && strings.HasPrefix(s.entries[i].name, prefix)
}

func isRepo(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, ".git"))
	return err == nil
}

// modified says whether a tracked file differs from its index entry: by
// stat data when it is trustworthy, else by content hash. The file is name
// in the folder abs, open as dirfd.
func (s *status) modified(e *entry, dirfd int, abs, name string) (bool, error) {
	if e.skipWorktree || e.intentToAdd {
		return e.intentToAdd, nil
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return true, nil
		}
		return false, fmt.Errorf("stat %s: %w", filepath.Join(abs, name), err)
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
	file := filepath.Join(abs, name)
	var data []byte
	var err error
	if e.mode == filemode.Symlink {
		target, err := os.Readlink(file)
		if err != nil {
			return false, fmt.Errorf("read link %s: %w", file, err)
		}
		data = []byte(target)
	} else if data, err = os.ReadFile(file); err != nil {
		return false, fmt.Errorf("read %s: %w", file, err)
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
