package detect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
)

// Sparse checkouts. Index entries with the skip-worktree bit are not in
// the working tree and never reported as changed; a sparse index also
// has sparse-directory entries ("dir/", mode 040000, skip-worktree) that
// each stand for a whole tree. Like git (2.37 and later), when sparse
// checkout is on and sparse.expectFilesOutsideOfPatterns is not, a
// skip-worktree path that is present on disk loses the bit and is
// compared as usual, and a sparse directory present on disk is expanded
// into its files first.

// isSparseDir says whether e is a sparse-directory entry.
func (e *entry) isSparseDir() bool {
	return e.mode == filemode.Dir && strings.HasSuffix(e.name, "/")
}

// applySparse clears the skip-worktree bit of entries present on disk
// and expands the sparse directories present on disk, as git does when
// it reads the index.
func (s *scan) applySparse() error {
	on, err := s.cfg.boolValue("core.sparsecheckout", false)
	if err != nil {
		return err
	}
	expect, err := s.cfg.boolValue("sparse.expectfilesoutsideofpatterns", false)
	if err != nil {
		return err
	}
	if !on || expect {
		return nil
	}
	var expand []int
	// Most skip-worktree entries sit in folders that are not on disk at
	// all: one lstat per such folder rather than per entry.
	lastDir, lastDirMissing := "\x00", false
	for i := range s.entries {
		e := &s.entries[i]
		if !e.skipWorktree {
			continue
		}
		name := strings.TrimSuffix(e.name, "/")
		if d := parentDir(name); d != lastDir {
			lastDir = d
			_, err := os.Lstat(filepath.Join(s.root, filepath.FromSlash(d)))
			lastDirMissing = d != "" && err != nil
		}
		if lastDirMissing {
			continue
		}
		if _, err := os.Lstat(filepath.Join(s.root, filepath.FromSlash(name))); err != nil {
			continue
		}
		if e.isSparseDir() {
			expand = append(expand, i)
		} else {
			e.skipWorktree = false
		}
	}
	if len(expand) == 0 {
		return nil
	}
	// The caller's go-git repository is in use on another goroutine;
	// this reads trees through a storage of its own.
	st := objectStorage(s.gitDir)
	defer st.Close()
	var out []entry
	prev := 0
	for _, i := range expand {
		out = append(out, s.entries[prev:i]...)
		prev = i + 1
		e := s.entries[i]
		t, err := object.GetTree(st, e.hash)
		if err != nil {
			return fmt.Errorf("read tree of sparse directory %s: %w", e.name, err)
		}
		get := func(h plumbing.Hash) (*object.Tree, error) { return object.GetTree(st, h) }
		// The size stays 0 ("not known"): a file on disk is compared by
		// content, as it has no stat data.
		err = treeFiles(get, e.name, t, func(p string, f object.TreeEntry) error {
			fe := entry{name: p, hash: f.Hash, mode: f.Mode, skipWorktree: true}
			if _, err := os.Lstat(filepath.Join(s.root, filepath.FromSlash(fe.name))); err == nil {
				fe.skipWorktree = false // compared by content: it has no stat data
			}
			out = append(out, fe)
			return nil
		})
		if err != nil {
			return fmt.Errorf("list sparse directory %s: %w", e.name, err)
		}
	}
	s.entries = append(out, s.entries[prev:]...)
	return nil
}

// objectStorage opens the object store of the repository whose git
// folder is gitDir.
func objectStorage(gitDir string) *filesystem.Storage {
	var repoFS billy.Filesystem = osfs.New(gitDir)
	if common := commonDirOf(gitDir); common != gitDir {
		repoFS = dotgit.NewRepositoryFilesystem(osfs.New(gitDir), osfs.New(common))
	}
	return filesystem.NewStorageWithOptions(repoFS, cache.NewObjectLRUDefault(), filesystem.Options{KeepDescriptors: true})
}

// withSparseFiles adds to present (sorted) the files that the sparse
// directories not on disk stand for, read from their trees: they are
// part of head as much as the files on disk.
func (s *scan) withSparseFiles(repo *git.Repository, present []string) ([]string, error) {
	n := len(present)
	for _, i := range s.sparseDirs {
		e := s.entries[i]
		t, err := repo.TreeObject(e.hash)
		if err != nil {
			return nil, fmt.Errorf("read tree of sparse directory %s: %w", e.name, err)
		}
		err = treeFiles(repo.TreeObject, e.name, t, func(p string, _ object.TreeEntry) error {
			present = append(present, p)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list sparse directory %s: %w", e.name, err)
		}
	}
	if len(present) == n {
		return present, nil
	}
	return sortUnique(present), nil
}

// stagedSparseDir compares a sparse-directory entry, which stands for the
// tree e.hash at dir, with head's tree there (nil when head has none).
func stagedSparseDir(repo *git.Repository, dir string, head *object.Tree, e entry, out *[]string) error {
	if head != nil && head.Hash == e.hash {
		return nil
	}
	t, err := repo.TreeObject(e.hash)
	if err != nil {
		return fmt.Errorf("read tree of sparse directory %s: %w", e.name, err)
	}
	return (&Repo{git: repo}).diffTrees(context.Background(), dir+"/", head, t, out)
}

// sparseFiles reads, for a working-tree file system, the files that a
// sparse checkout leaves out of the working tree: from the index's blob
// for a skip-worktree entry, from the tree of a sparse-directory entry.
type sparseFiles struct {
	gitDir string
	repo   *git.Repository

	once    sync.Once
	entries []entry // the index, sorted by name; nil when unreadable
	mu      sync.Mutex
}

func (sf *sparseFiles) load() {
	sf.once.Do(func() {
		idx, err := readIndex(filepath.Join(sf.gitDir, "index"))
		if err == nil {
			sf.entries = idx.entries
		}
	})
}

// lookup finds the skip-worktree entry for name: the file itself, or the
// sparse directory that holds it, with name's path inside it.
func (sf *sparseFiles) lookup(name string) (e entry, rest string, ok bool) {
	sf.load()
	ents := sf.entries
	i := sort.Search(len(ents), func(i int) bool { return ents[i].name >= name })
	if i < len(ents) && ents[i].name == name && ents[i].skipWorktree && ents[i].stage == 0 && (ents[i].mode == filemode.Regular || ents[i].mode == filemode.Executable) {
		return ents[i], "", true
	}
	// A sparse directory "a/b/" sorts before "a/b/c": look at each
	// folder above name.
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		j := sort.Search(len(ents), func(j int) bool { return ents[j].name >= d+"/" })
		if j < len(ents) && ents[j].name == d+"/" && ents[j].isSparseDir() {
			return ents[j], name[len(d)+1:], true
		}
	}
	return entry{}, "", false
}

// readFile reads name from the index or the tree it belongs to;
// fs.ErrNotExist when the sparse checkout does not account for it.
func (sf *sparseFiles) readFile(name string) ([]byte, error) {
	b, err := sf.blob(name)
	if err != nil {
		return nil, err
	}
	sf.mu.Lock() // go-git's objects are not safe for concurrent use
	defer sf.mu.Unlock()
	return blobBytes(b)
}

// blob is the blob of name in the index or the tree it belongs to;
// fs.ErrNotExist when the sparse checkout does not account for it.
func (sf *sparseFiles) blob(name string) (*object.Blob, error) {
	e, rest, ok := sf.lookup(name)
	if !ok {
		return nil, fs.ErrNotExist
	}
	sf.mu.Lock()
	defer sf.mu.Unlock()
	if rest == "" {
		b, err := sf.repo.BlobObject(e.hash)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil, fmt.Errorf("blob %s of skip-worktree file: %w", e.hash, ErrMissingObject)
		}
		if err != nil {
			return nil, fmt.Errorf("blob %s of skip-worktree file: %w", e.hash, err)
		}
		return b, nil
	}
	t, err := sf.repo.TreeObject(e.hash)
	if err != nil {
		return nil, fmt.Errorf("tree %s of sparse directory %s: %w", e.hash, e.name, err)
	}
	f, err := t.File(rest)
	if errors.Is(err, object.ErrFileNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
		return nil, fs.ErrNotExist
	}
	if err != nil {
		return nil, err
	}
	if f.Mode != filemode.Regular && f.Mode != filemode.Executable {
		return nil, fs.ErrNotExist
	}
	return &f.Blob, nil
}

// stat describes name when the sparse checkout leaves it out: a file by
// its blob's size, a folder when something is left out below it.
func (sf *sparseFiles) stat(name string) (fs.FileInfo, error) {
	b, err := sf.blob(name)
	if err == nil {
		return sparseInfo{sparseDirEntry{name: path.Base(name)}, b.Size}, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if name == "." {
		return nil, fs.ErrNotExist
	}
	ents, err := sf.list(name)
	if err != nil {
		return nil, err
	}
	if len(ents) == 0 {
		return nil, fs.ErrNotExist
	}
	return sparseInfo{sparseDirEntry{name: path.Base(name), isDir: true}, 0}, nil
}

// blobBytes reads a blob's content.
func blobBytes(b *object.Blob) ([]byte, error) {
	rd, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

// sparseDirEntry is a file or folder that a sparse checkout leaves out,
// as an fs.DirEntry.
type sparseDirEntry struct {
	name  string
	isDir bool
}

func (d sparseDirEntry) Name() string { return d.name }
func (d sparseDirEntry) IsDir() bool  { return d.isDir }
func (d sparseDirEntry) Type() fs.FileMode {
	if d.isDir {
		return fs.ModeDir
	}
	return 0
}
func (d sparseDirEntry) Info() (fs.FileInfo, error) { return sparseInfo{d, 0}, nil }

// sparseInfo describes a left-out file or folder (size: a file's, when
// known).
type sparseInfo struct {
	d    sparseDirEntry
	size int64
}

func (i sparseInfo) Name() string       { return i.d.name }
func (i sparseInfo) Size() int64        { return i.size }
func (i sparseInfo) Mode() fs.FileMode  { return i.d.Type() | 0o444 }
func (i sparseInfo) ModTime() time.Time { return time.Time{} }
func (i sparseInfo) IsDir() bool        { return i.d.isDir }
func (i sparseInfo) Sys() any           { return nil }

// list is what the sparse checkout leaves out directly in the folder dir
// ("." for the top): from skip-worktree entries below it, or from the
// tree of the sparse directory that holds it.
func (sf *sparseFiles) list(dir string) ([]sparseDirEntry, error) {
	sf.load()
	ents := sf.entries
	prefix := ""
	if dir != "." {
		prefix = dir + "/"
		// Inside a sparse directory: list its tree.
		for d := dir; d != "."; d = path.Dir(d) {
			j := sort.Search(len(ents), func(j int) bool { return ents[j].name >= d+"/" })
			if j == len(ents) || ents[j].name != d+"/" || !ents[j].isSparseDir() {
				continue
			}
			sf.mu.Lock()
			defer sf.mu.Unlock()
			t, err := sf.repo.TreeObject(ents[j].hash)
			if err == nil && d != dir {
				t, err = t.Tree(dir[len(d)+1:])
			}
			if errors.Is(err, object.ErrDirectoryNotFound) {
				return nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("tree of sparse directory %s: %w", ents[j].name, err)
			}
			out := make([]sparseDirEntry, 0, len(t.Entries))
			for _, te := range t.Entries {
				if te.Mode == filemode.Dir || te.Mode == filemode.Regular || te.Mode == filemode.Executable {
					out = append(out, sparseDirEntry{name: te.Name, isDir: te.Mode == filemode.Dir})
				}
			}
			return out, nil
		}
	}
	var out []sparseDirEntry
	i := sort.Search(len(ents), func(i int) bool { return ents[i].name >= prefix })
	for ; i < len(ents) && strings.HasPrefix(ents[i].name, prefix); i++ {
		e := ents[i]
		if !e.skipWorktree || e.stage != 0 {
			continue
		}
		rest := e.name[len(prefix):]
		if k := strings.IndexByte(rest, '/'); k >= 0 {
			if n := rest[:k]; len(out) == 0 || out[len(out)-1].name != n {
				out = append(out, sparseDirEntry{name: n, isDir: true})
			}
		} else if e.mode == filemode.Regular || e.mode == filemode.Executable {
			out = append(out, sparseDirEntry{name: rest})
		}
	}
	return out, nil
}

// sparseGitignores maps each folder whose .gitignore is a skip-worktree
// entry to its blob: git reads such a file from the index when it is
// not on disk.
func (s *scan) sparseGitignores() {
	for _, e := range s.entries {
		if e.skipWorktree && e.stage == 0 && (e.name == ".gitignore" || strings.HasSuffix(e.name, "/.gitignore")) {
			if s.indexIgnores == nil {
				s.indexIgnores = map[string]plumbing.Hash{}
			}
			s.indexIgnores[parentDir(e.name)] = e.hash
		}
	}
}

// indexGitignore reads the .gitignore of dir from the index, when it is
// a skip-worktree entry (ok false otherwise). The walk runs beside the
// caller's use of its go-git repository, so blobs are read through a
// storage of the scan's own.
func (s *scan) indexGitignore(dir string) (data []byte, ok bool, err error) {
	h, ok := s.indexIgnores[dir]
	if !ok {
		return nil, false, nil
	}
	s.objMu.Lock()
	defer s.objMu.Unlock()
	if s.objects == nil {
		s.objects = objectStorage(s.gitDir)
	}
	b, err := object.GetBlob(s.objects, h)
	if err != nil {
		return nil, true, fmt.Errorf("read %s from the index: %w", path.Join(dir, ".gitignore"), err)
	}
	data, err = blobBytes(b)
	return data, true, err
}
