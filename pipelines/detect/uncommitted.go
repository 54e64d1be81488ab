package detect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Uncommitted is how the working tree differs from the HEAD commit's tree,
// worked out somewhere else: the Dagger engine computes it from the copy
// of the repository it was given, whose stat data matches nothing in the
// index. Paths are repository-relative with forward slashes; a path ending
// in "/" names a folder (everything below it). Git-ignored files are not
// part of the working tree.
//
// With it, the folder on disk holds the git folder and only the files of
// Added and Modified; every other file of the working tree is HEAD's.
type Uncommitted struct {
	// Added are paths that HEAD's tree does not have.
	Added []string
	// Modified are files whose content or mode differs from HEAD's.
	Modified []string
	// Removed are paths of HEAD's tree that the working tree lacks.
	Removed []string
}

// ErrNeedsWorktree is the error for a repository whose working-tree state
// an Uncommitted cannot describe (submodules, nested repositories, links
// to changed files): plan from the whole working tree instead.
var ErrNeedsWorktree = errors.New("the working tree's changes cannot be given as a list here: plan from the whole working tree")

// OpenUncommitted opens the repository at dir, where the working tree is
// HEAD's tree changed as u says (see Uncommitted): nothing of the working
// tree is read but the changed files. It fails with ErrNeedsWorktree
// where that cannot give git's answer.
func OpenUncommitted(dir string, u Uncommitted) (*Repo, error) {
	r, err := Open(dir)
	if err != nil {
		return nil, err
	}
	if r.over, err = newOverlay(r, u); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// overlay is the working tree of an Uncommitted: HEAD's files, less the
// removed ones, with the added and modified ones on disk.
type overlay struct {
	head    *treeFS                  // HEAD's tree
	git     *git.Repository          // read under head.mu
	sizes   map[string]int64         // unchanged regular files known from the index
	changed map[string]bool          // added or modified files
	removed map[string]bool          // HEAD's files the working tree lacks
	blobs   map[string]plumbing.Hash // HEAD's unchanged files
	files   []string                 // the working tree's files, sorted
	dirs    map[string]bool          // folders with a file below them
	paths   []string                 // changed paths: added, modified, removed
	staged  []string                 // where the index differs from HEAD
}

func newOverlay(r *Repo, u Uncommitted) (*overlay, error) {
	o := &overlay{changed: map[string]bool{}, removed: map[string]bool{}, blobs: map[string]plumbing.Hash{}, dirs: map[string]bool{".": true}}
	head, err := r.commit("--head", "HEAD")
	if err != nil {
		return nil, err
	}
	tree, err := commitTree(head)
	if err != nil {
		return nil, fmt.Errorf("HEAD: %w", err)
	}
	o.head, o.git, o.sizes = TreeFS(tree).(*treeFS), r.git, map[string]int64{}
	// HEAD's files, from the index where it agrees with HEAD (decoding
	// every tree of a large repository takes a second; the index is read
	// in milliseconds), and from HEAD's tree where it does not (staged
	// changes, conflicts, sparse directories).
	sc := startScan(r.gitDir, r.root, "", true)
	o.staged, err = sc.staged(r.git, head)
	if _, werr := sc.wait(); werr != nil {
		return nil, werr
	}
	if err != nil {
		return nil, err
	}
	staged := map[string]bool{}
	for _, p := range o.staged {
		staged[p] = true
	}
	entries := map[string]object.TreeEntry{}
	add := func(p string, e object.TreeEntry) error {
		if e.Mode == filemode.Submodule {
			return fmt.Errorf("%s is a submodule: %w", p, ErrNeedsWorktree)
		}
		entries[p] = e
		return nil
	}
	for _, e := range sc.entries {
		switch {
		case e.stage != 0 || staged[e.name]:
		case e.isSparseDir():
			t, err := r.git.TreeObject(e.hash)
			if err != nil {
				return nil, fmt.Errorf("read tree of sparse directory %s: %w", e.name, err)
			}
			if err := treeFiles(r.git.TreeObject, e.name, t, add); err != nil {
				return nil, err
			}
		default:
			if err := add(e.name, object.TreeEntry{Mode: e.mode, Hash: e.hash}); err != nil {
				return nil, err
			}
			if e.mode == filemode.Regular || e.mode == filemode.Executable {
				o.sizes[e.name] = int64(e.size)
			}
		}
	}
	for _, p := range o.staged {
		te, err := tree.FindEntry(p)
		if err == nil && te.Mode != filemode.Dir {
			if err := add(p, *te); err != nil {
				return nil, err
			}
		}
	}
	// Folders of HEAD that the index does not list are missed here:
	// a staged deletion of a whole folder is in o.staged, file by file.
	headFiles := make([]string, 0, len(entries))
	var links []string
	for p, e := range entries {
		headFiles = append(headFiles, p)
		if e.Mode == filemode.Symlink {
			links = append(links, p)
		}
	}
	slices.Sort(headFiles)
	below := func(dir string) []string { // HEAD's files below dir
		i, _ := slices.BinarySearch(headFiles, dir+"/")
		j := i
		for j < len(headFiles) && strings.HasPrefix(headFiles[j], dir+"/") {
			j++
		}
		return headFiles[i:j]
	}
	var added []string
	for _, list := range [][]string{u.Added, u.Modified} {
		for _, p := range list {
			p, isDir, err := changePath(p)
			if err != nil {
				return nil, err
			}
			if p == "" {
				continue // the git folder
			}
			if !isDir {
				added = append(added, p)
				continue
			}
			// A new folder: its files are on disk.
			err = filepath.WalkDir(filepath.Join(r.root, filepath.FromSlash(p)), func(fp string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if d.IsDir() {
					if d.Name() == ".git" {
						return fmt.Errorf("%s: a nested repository: %w", fp, ErrNeedsWorktree)
					}
					return nil
				}
				rel, err := filepath.Rel(r.root, fp)
				if err != nil {
					return err
				}
				added = append(added, filepath.ToSlash(rel))
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("read added folder %s: %w", p, err)
			}
		}
	}
	for _, p := range u.Removed {
		p, isDir, err := changePath(p)
		if err != nil {
			return nil, err
		}
		if p == "" {
			continue // the git folder
		}
		if !isDir {
			if _, ok := entries[p]; ok {
				o.removed[p] = true
			}
		}
		for _, f := range below(p) {
			o.removed[f] = true
		}
	}
	for _, p := range added {
		if path.Base(p) == ".git" {
			return nil, fmt.Errorf("%s: a nested repository: %w", p, ErrNeedsWorktree)
		}
		fi, err := os.Lstat(filepath.Join(r.root, filepath.FromSlash(p)))
		if err != nil {
			return nil, fmt.Errorf("uncommitted change %s: %w", p, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s is a changed link: %w", p, ErrNeedsWorktree)
		}
		o.changed[p] = true
		delete(o.removed, p)
	}
	for _, p := range headFiles {
		if !o.removed[p] && !o.changed[p] {
			o.files = append(o.files, p)
			if e := entries[p]; e.Mode.IsFile() {
				o.blobs[p] = e.Hash
			}
		}
	}
	o.files = append(o.files, added...)
	o.files = sortUnique(o.files)
	for _, f := range o.files {
		for d := path.Dir(f); !o.dirs[d]; d = path.Dir(d) {
			o.dirs[d] = true
		}
	}
	for p := range o.changed {
		o.paths = append(o.paths, p)
	}
	for p := range o.removed {
		o.paths = append(o.paths, p)
	}
	o.paths = sortUnique(o.paths)
	// An unchanged link read from HEAD's tree leads to HEAD's content:
	// wrong when what it leads to changed.
	for _, l := range links {
		if o.removed[l] {
			continue
		}
		target, err := o.head.ReadLink(l)
		if err != nil {
			return nil, fmt.Errorf("read link %s: %w", l, err)
		}
		t := path.Join(path.Dir(l), target)
		for _, c := range o.paths {
			if c == t || strings.HasPrefix(c, t+"/") {
				return nil, fmt.Errorf("link %s leads to %s, which changed: %w", l, c, ErrNeedsWorktree)
			}
		}
	}
	return o, nil
}

// changePath checks and cleans a path of an Uncommitted; "" for the
// git folder, which is not part of the working tree.
func changePath(p string) (clean string, isDir bool, err error) {
	isDir = strings.HasSuffix(p, "/")
	clean = strings.TrimSuffix(p, "/")
	if !fs.ValidPath(clean) || clean == "." {
		return "", false, fmt.Errorf("uncommitted change %q: not a repository-relative path", p)
	}
	if clean == ".git" || strings.HasPrefix(clean, ".git/") {
		return "", false, nil
	}
	return clean, isDir, nil
}

// blob is the blob id of an unchanged file.
func (o *overlay) blob(p string) (plumbing.Hash, bool) {
	h, ok := o.blobs[p]
	return h, ok
}

// stat describes a file or folder of HEAD's tree that the working tree
// still has.
func (o *overlay) stat(name string) (fs.FileInfo, error) {
	if o.removed[name] || o.changed[name] || !o.dirs[name] && !o.has(name) {
		return nil, fs.ErrNotExist
	}
	if size, ok := o.sizes[name]; ok {
		// Unchanged, so as the index says (its size is a hint: ReadFile's
		// callers check the length read).
		return sparseInfo{sparseDirEntry{name: path.Base(name)}, size}, nil
	}
	return o.head.Stat(name)
}

// has says whether name is a file of the working tree.
func (o *overlay) has(name string) bool {
	_, ok := slices.BinarySearch(o.files, name)
	return ok
}

// readFile reads an unchanged file from HEAD's tree.
func (o *overlay) readFile(name string) ([]byte, error) {
	if o.removed[name] || o.changed[name] || !o.has(name) {
		return nil, fs.ErrNotExist
	}
	if _, ok := o.sizes[name]; ok {
		o.head.mu.Lock() // go-git's objects are not safe for concurrent use
		defer o.head.mu.Unlock()
		b, err := o.git.BlobObject(o.blobs[name])
		if err != nil {
			return nil, fmt.Errorf("blob %s: %w", o.blobs[name], err)
		}
		return blobBytes(b)
	}
	return o.head.ReadFile(name)
}

// list is what HEAD's tree has directly in dir that the working tree
// still has.
func (o *overlay) list(dir string) ([]sparseDirEntry, error) {
	if !o.dirs[dir] {
		return nil, nil
	}
	ents, err := o.head.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []sparseDirEntry
	for _, e := range ents {
		p := path.Join(dir, e.Name())
		if e.IsDir() && o.dirs[p] || !e.IsDir() && !o.removed[p] && o.has(p) {
			out = append(out, sparseDirEntry{name: e.Name(), isDir: e.IsDir()})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}
