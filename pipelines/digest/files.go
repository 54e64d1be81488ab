package digest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/monopipe/monopipe/pipelines/detect"
)

// Files are one revision's files: their repo-relative paths and the git
// blob id of each.
type Files interface {
	// List is every file's path, sorted.
	List() []string
	// Blob is the hex git blob id of the file at path.
	Blob(path string) (string, error)
}

// Commit is the files of the tree root of repo: a symbolic link is its
// target's text (as git stores it); a submodule is its commit id. Folders
// are read through a cache kept in cacheFile ("" for none): tree objects
// never change, so the folders a commit shares with the last one read are
// not decoded again. The answer also knows each folder's tree id, which
// lets Compute use its memo (see Source.Memo).
func Commit(repo *git.Repository, root plumbing.Hash, cacheFile string) (Files, error) {
	tc := loadTreeCache(cacheFile)
	cf := &commitFiles{dirs: make(map[string]plumbing.Hash, tc.dirs+1), list: make([]string, 0, tc.files)}
	cf.dirs[""] = root
	ids := make([]plumbing.Hash, 0, tc.files)
	var walk func(prefix string, h plumbing.Hash) error
	walk = func(prefix string, h plumbing.Hash) error {
		ents, err := tc.tree(repo, h)
		if err != nil {
			return err
		}
		for _, e := range ents {
			p := e.name
			if prefix != "" {
				p = prefix + "/" + e.name
			}
			if e.dir {
				cf.dirs[p] = e.hash
				if err := walk(p, e.hash); err != nil {
					return err
				}
				continue
			}
			cf.list = append(cf.list, p)
			ids = append(ids, e.hash)
		}
		return nil
	}
	if err := walk("", root); err != nil {
		return nil, fmt.Errorf("list tree %s: %w", root, err)
	}
	tc.save()
	// Git orders a folder's entries as if a subfolder's name ended in
	// "/", so the walk lists paths sorted already.
	if !slices.IsSorted(cf.list) {
		idx := make([]int, len(cf.list))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return strings.Compare(cf.list[a], cf.list[b]) })
		list, hs := make([]string, len(idx)), make([]plumbing.Hash, len(idx))
		for i, j := range idx {
			list[i], hs[i] = cf.list[j], ids[j]
		}
		cf.list, ids = list, hs
	}
	cf.ids = ids
	return cf, nil
}

// commitFiles are a commit's files: list sorted, ids[i] the blob id of
// list[i], dirs the tree id of every folder ("" the root).
type commitFiles struct {
	list []string
	ids  []plumbing.Hash
	dirs map[string]plumbing.Hash
}

func (c *commitFiles) List() []string { return c.list }

func (c *commitFiles) Blob(p string) (string, error) {
	if i, ok := slices.BinarySearch(c.list, p); ok {
		return c.ids[i].String(), nil
	}
	return "", fmt.Errorf("%s: not in the tree", p)
}

// entry is what the tree has at p: a folder's tree id (dir), a file's
// blob id, or nothing (ok false).
func (c *commitFiles) entry(p string) (h plumbing.Hash, dir, ok bool) {
	if h, ok := c.dirs[p]; ok {
		return h, true, true
	}
	if i, ok := slices.BinarySearch(c.list, p); ok {
		return c.ids[i], false, true
	}
	return plumbing.ZeroHash, false, false
}

// Worktree is the working tree's files as res lists them (tracked and
// untracked, not ignored; res must be of the working tree): a clean
// tracked file has the index's blob id, known without reading it; any
// other is read from root and hashed as git would store it (a symbolic
// link is its target's text). Content filters (core.autocrlf, clean
// filters such as git-lfs) are not applied: such a modified file digests
// as its raw bytes. A listed file missing from the working tree (one a
// sparse checkout leaves out) has the blob id of repo's index.
func Worktree(repo *git.Repository, root string, res *detect.Result) Files {
	list := append([]string(nil), res.Files...)
	slices.Sort(list)
	return &worktreeFiles{repo: repo, root: root, res: res, list: list}
}

type worktreeFiles struct {
	repo *git.Repository
	root string
	res  *detect.Result
	list []string

	once  sync.Once
	index map[string]string
	err   error

	// hashed are the ids of files read and hashed, by path: a dependency's
	// folder is in the digest of each of its dependents.
	mu     sync.Mutex
	hashed map[string]string
}

// fromIndex is the index's blob id of p, read once.
func (w *worktreeFiles) fromIndex(p string) (string, error) {
	w.once.Do(func() {
		idx, err := w.repo.Storer.Index()
		if err != nil {
			w.err = fmt.Errorf("read the index: %w", err)
			return
		}
		w.index = map[string]string{}
		for _, e := range idx.Entries {
			w.index[e.Name] = e.Hash.String()
		}
	})
	if w.err != nil {
		return "", w.err
	}
	if id, ok := w.index[p]; ok {
		return id, nil
	}
	return "", fmt.Errorf("%s: neither in the working tree nor in the index", p)
}

func (w *worktreeFiles) List() []string { return w.list }

func (w *worktreeFiles) Blob(p string) (string, error) {
	if h, ok := w.res.Blob(p); ok {
		return h.String(), nil
	}
	w.mu.Lock()
	id, ok := w.hashed[p]
	w.mu.Unlock()
	if ok {
		return id, nil
	}
	id, err := w.hash(p)
	if err != nil {
		return "", err
	}
	w.mu.Lock()
	if w.hashed == nil {
		w.hashed = map[string]string{}
	}
	w.hashed[p] = id
	w.mu.Unlock()
	return id, nil
}

// hash is the blob id of p, not known from the index.
func (w *worktreeFiles) hash(p string) (string, error) {
	name := filepath.Join(w.root, filepath.FromSlash(p))
	if fi, err := os.Lstat(name); err == nil && fi.IsDir() {
		// A submodule: its checked-out commit, as its gitlink records it
		// once committed (changes inside it are not seen).
		sub, err := git.PlainOpen(name)
		if err != nil {
			return "", fmt.Errorf("%s: submodule: %w", p, err)
		}
		head, err := sub.Head()
		if err != nil {
			return "", fmt.Errorf("%s: submodule: %w", p, err)
		}
		return head.Hash().String(), nil
	}
	id, err := HashFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return w.fromIndex(p)
	}
	return id, err
}

// HashFile is the git blob id of the file at name: of its bytes, or of
// its target's text for a symbolic link.
func HashFile(name string) (string, error) {
	fi, err := os.Lstat(name)
	if err != nil {
		return "", err
	}
	var data []byte
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(name)
		if err != nil {
			return "", err
		}
		data = []byte(filepath.ToSlash(target))
	case fi.Mode().IsRegular():
		if data, err = os.ReadFile(name); err != nil {
			return "", err
		}
	default:
		return "", fmt.Errorf("%s: not a file (%s)", name, fi.Mode().Type())
	}
	return plumbing.ComputeHash(plumbing.BlobObject, data).String(), nil
}
