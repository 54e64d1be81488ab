package digest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
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
	List() ([]string, error)
	// Blob is the hex git blob id of the file at path.
	Blob(path string) (string, error)
}

// Commit is the files of the tree root of repo: a symbolic link is its
// target's text (as git stores it); a submodule is its commit id. Folders
// are read when first needed, through a cache kept in cacheFile ("" for
// none): tree objects never change, so the folders a commit shares with
// the last one listed are not decoded again. Besides the list, it answers
// for single paths and folders without reading the rest of the tree,
// which lets Compute use its memo (see Source.Memo).
func Commit(repo *git.Repository, root plumbing.Hash, cacheFile string) Files {
	tc := loadTreeCache(cacheFile)
	// Sized for reading each folder's tree id and a file or two in it.
	return &commitFiles{repo: repo, root: root, tc: tc, ents: make(map[string]pathEnt, tc.dirs), expanded: make(map[string]bool, tc.dirs)}
}

// commitFiles are a commit's files, read as needed.
type commitFiles struct {
	repo *git.Repository
	root plumbing.Hash
	tc   *treeCache

	// ents are the entries of the folders in expanded, by path.
	ents     map[string]pathEnt
	expanded map[string]bool

	// The whole list, once made: list sorted, ids[i] the blob id of
	// list[i], dirs the tree id of every folder ("" the root).
	listed  bool
	listErr error
	list    []string
	ids     []plumbing.Hash
	dirs    map[string]plumbing.Hash
}

type pathEnt struct {
	hash plumbing.Hash
	dir  bool
}

func (c *commitFiles) List() ([]string, error) {
	if c.listed {
		return c.list, c.listErr
	}
	c.listed = true
	tc := c.tc
	c.dirs = make(map[string]plumbing.Hash, tc.dirs+1)
	c.dirs[""] = c.root
	c.list, c.ids = make([]string, 0, tc.files), make([]plumbing.Hash, 0, tc.files)
	var walk func(prefix string, h plumbing.Hash) error
	walk = func(prefix string, h plumbing.Hash) error {
		ents, err := tc.tree(c.repo, h)
		if err != nil {
			return err
		}
		for _, e := range ents {
			p := e.name
			if prefix != "" {
				p = prefix + "/" + e.name
			}
			if e.dir {
				c.dirs[p] = e.hash
				if err := walk(p, e.hash); err != nil {
					return err
				}
				continue
			}
			c.list = append(c.list, p)
			c.ids = append(c.ids, e.hash)
		}
		return nil
	}
	if err := walk("", c.root); err != nil {
		c.list, c.ids, c.listErr = nil, nil, fmt.Errorf("list tree %s: %w", c.root, err)
		return nil, c.listErr
	}
	tc.save()
	c.sort()
	return c.list, nil
}

// sort sorts list and ids by path. Git orders a folder's entries as if a
// subfolder's name ended in "/", so a walk lists paths sorted already.
func (c *commitFiles) sort() {
	if slices.IsSorted(c.list) {
		return
	}
	idx := make([]int, len(c.list))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return strings.Compare(c.list[a], c.list[b]) })
	list, ids := make([]string, len(idx)), make([]plumbing.Hash, len(idx))
	for i, j := range idx {
		list[i], ids[i] = c.list[j], c.ids[j]
	}
	c.list, c.ids = list, ids
}

func (c *commitFiles) Blob(p string) (string, error) {
	id, dir, ok, err := c.entry(p)
	switch {
	case err != nil:
		return "", err
	case !ok || dir:
		return "", fmt.Errorf("%s: not in the tree", p)
	}
	return id.String(), nil
}

// entry is what the tree has at p: a folder's tree id (dir), a file's
// blob id, or nothing (ok false).
func (c *commitFiles) entry(p string) (h plumbing.Hash, dir, ok bool, err error) {
	if p == "" {
		return c.root, true, true, nil
	}
	if c.listed && c.listErr == nil {
		if h, ok := c.dirs[p]; ok {
			return h, true, true, nil
		}
		if i, ok := slices.BinarySearch(c.list, p); ok {
			return c.ids[i], false, true, nil
		}
		return plumbing.ZeroHash, false, false, nil
	}
	parent := path.Dir(p)
	if parent == "." {
		parent = ""
	}
	if err := c.expand(parent); err != nil {
		return plumbing.ZeroHash, false, false, err
	}
	e, ok := c.ents[p]
	return e.hash, e.dir, ok, nil
}

// expand reads the entries of folder dir into ents (none when there is
// no such folder).
func (c *commitFiles) expand(dir string) error {
	if c.expanded[dir] {
		return nil
	}
	h, isDir, ok, err := c.entry(dir)
	if err != nil {
		return err
	}
	if ok && isDir {
		ents, err := c.tc.tree(c.repo, h)
		if err != nil {
			return fmt.Errorf("read folder %q of tree %s: %w", dir, c.root, err)
		}
		prefix := ""
		if dir != "" {
			prefix = dir + "/"
		}
		for _, e := range ents {
			c.ents[prefix+e.name] = pathEnt{hash: e.hash, dir: e.dir}
		}
	}
	c.expanded[dir] = true
	return nil
}

// filesAt is the files at or below each of paths, sorted.
func (c *commitFiles) filesAt(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		fs, err := c.under(p)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// under is the files at p or below it, sorted, read without listing the
// rest of the tree.
func (c *commitFiles) under(p string) ([]string, error) {
	if c.listed && c.listErr == nil {
		if p == "" {
			return c.list, nil
		}
		if i, ok := slices.BinarySearch(c.list, p); ok {
			return c.list[i : i+1], nil // a file: then no folder p
		}
		lo, _ := slices.BinarySearch(c.list, p+"/")
		hi := lo
		for hi < len(c.list) && strings.HasPrefix(c.list[hi], p+"/") {
			hi++
		}
		return c.list[lo:hi], nil
	}
	if p == "" {
		return c.List()
	}
	h, dir, ok, err := c.entry(p)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, nil
	case !dir:
		return []string{p}, nil
	}
	var out []string
	var walk func(prefix string, h plumbing.Hash) error
	walk = func(prefix string, h plumbing.Hash) error {
		ents, err := c.tc.tree(c.repo, h)
		if err != nil {
			return fmt.Errorf("read folder %q of tree %s: %w", prefix, c.root, err)
		}
		for _, e := range ents {
			q := prefix + "/" + e.name
			if e.dir {
				if err := walk(q, e.hash); err != nil {
					return err
				}
			} else {
				out = append(out, q)
			}
		}
		return nil
	}
	if err := walk(p, h); err != nil {
		return nil, err
	}
	slices.Sort(out) // sorted already, as for List
	return out, nil
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

func (w *worktreeFiles) List() ([]string, error) { return w.list, nil }

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
