package detect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// TreeFS presents a git tree as a read-only fs.FS, so that manifests can be
// read at a commit exactly as they are read from the working tree. Like the
// working tree, it follows symbolic links that stay inside the tree
// (relative targets, chains, links to files and to folders); ReadDir lists
// a link as a link, as os.DirFS does. A link that leaves the tree or loops
// is an error naming it, and so is a file whose content is missing from the
// clone (a partial clone). It is safe for concurrent use (go-git's objects
// and pack readers are not, so reads are serialised); folders read once are
// remembered.
func TreeFS(t *object.Tree) fs.FS { return &treeFS{dirs: map[string]*object.Tree{".": t}} }

type treeFS struct {
	mu   sync.Mutex
	dirs map[string]*object.Tree
}

var (
	_ fs.ReadDirFS  = (*treeFS)(nil)
	_ fs.ReadFileFS = (*treeFS)(nil)
	_ fs.StatFS     = (*treeFS)(nil)
	_ fs.ReadLinkFS = (*treeFS)(nil)
)

// maxSymlinks is how many links one lookup follows, as Linux's ELOOP limit.
const maxSymlinks = 40

// ErrMissingObject is the error for a file or folder whose object is not
// in the clone: a partial clone (git clone --filter) that has not fetched
// it.
var ErrMissingObject = errors.New("object missing from this clone (a partial clone?): fetch it (git fetch, git checkout) or use a full clone")

// dir finds the tree of a folder by its real path (no links in it); t.mu
// must be held.
func (t *treeFS) dir(name string) (*object.Tree, error) {
	if d, ok := t.dirs[name]; ok {
		return d, nil
	}
	parent, err := t.dir(path.Dir(name))
	if err != nil {
		return nil, err
	}
	e, err := parent.FindEntry(path.Base(name))
	if err != nil || e.Mode != filemode.Dir {
		return nil, fs.ErrNotExist
	}
	sub, err := parent.Tree(path.Base(name))
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("folder %s: tree %s: %w", name, e.Hash, ErrMissingObject)
	}
	if err != nil {
		return nil, fmt.Errorf("folder %s: %w", name, err)
	}
	t.dirs[name] = sub
	return sub, nil
}

// found is what a lookup found: the entry at a real path, and the tree
// holding it (nil for the root).
type found struct {
	real   string
	entry  object.TreeEntry
	parent *object.Tree
}

// lookup finds name, following links in every element, and in the last one
// too when follow is set; t.mu must be held.
func (t *treeFS) lookup(name string, follow bool) (found, error) {
	if !fs.ValidPath(name) {
		return found{}, fs.ErrInvalid
	}
	root := found{real: ".", entry: object.TreeEntry{Name: ".", Mode: filemode.Dir, Hash: t.dirs["."].Hash}}
	if name == "." {
		return root, nil
	}
	var real []string // resolved elements so far
	todo := strings.Split(name, "/")
	cur, hops := root, 0
	var link, linkTarget string // the last link followed
	for len(todo) > 0 {
		elem := todo[0]
		todo = todo[1:]
		switch elem {
		case "", ".":
			continue
		case "..": // only from a link's target
			if len(real) == 0 {
				return found{}, fmt.Errorf("symbolic link %s points outside the repository (%s)", link, linkTarget)
			}
			real = real[:len(real)-1]
			cur = found{real: strings.Join(real, "/")}
			if cur.real == "" {
				cur = root
			}
			continue
		}
		dirName := "."
		if len(real) > 0 {
			dirName = strings.Join(real, "/")
		}
		d, err := t.dir(dirName)
		if err != nil {
			return found{}, err
		}
		e, err := d.FindEntry(elem)
		if err != nil {
			return found{}, fs.ErrNotExist
		}
		here := path.Join(dirName, elem)
		if e.Mode == filemode.Symlink && (len(todo) > 0 || follow) {
			if hops++; hops > maxSymlinks {
				return found{}, fmt.Errorf("symbolic link %s: too many levels of symbolic links (a loop?)", here)
			}
			target, err := readBlob(d, e)
			if err != nil {
				return found{}, fmt.Errorf("symbolic link %s: %w", here, err)
			}
			tg := string(target)
			if tg == "" || strings.HasPrefix(tg, "/") {
				return found{}, fmt.Errorf("symbolic link %s points outside the repository (%s)", here, tg)
			}
			link, linkTarget = here, tg
			// The target is relative to the link's folder; what is left
			// of the name follows it.
			todo = append(strings.Split(tg, "/"), todo...)
			continue
		}
		if len(todo) > 0 && e.Mode != filemode.Dir {
			return found{}, errors.New("not a directory") // a file used as a folder, as the system says
		}
		real = append(real, elem)
		cur = found{real: here, entry: *e, parent: d}
	}
	if cur.parent == nil && cur.real != "." {
		// The walk ended on ".." back into a folder: find its entry.
		return t.lookup(cur.real, false)
	}
	return cur, nil
}

// readBlob reads the content of entry e of tree d.
func readBlob(d *object.Tree, e *object.TreeEntry) ([]byte, error) {
	f, err := d.TreeEntryFile(e)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("blob %s: %w", e.Hash, ErrMissingObject)
	}
	if err != nil {
		return nil, err
	}
	return blobBytes(&f.Blob)
}

// ReadDir lists a folder of the tree.
func (t *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d, err := t.openDir(name)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	out := make([]fs.DirEntry, len(d.Entries))
	for i, e := range d.Entries {
		out[i] = treeEntry{e: e, fs: t, parent: d}
	}
	return out, nil
}

// openDir finds the folder name, following links; t.mu must be held.
func (t *treeFS) openDir(name string) (*object.Tree, error) {
	if d, ok := t.dirs[name]; ok { // a real path, read before
		return d, nil
	}
	f, err := t.lookup(name, true)
	if err != nil {
		return nil, err
	}
	if f.entry.Mode != filemode.Dir {
		return nil, errors.New("not a directory")
	}
	return t.dir(f.real)
}

// ReadFile reads a file of the tree.
func (t *treeFS) ReadFile(name string) ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.readFile(name)
}

func (t *treeFS) readFile(name string) ([]byte, error) {
	f, err := t.lookup(name, true)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	if !f.entry.Mode.IsFile() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a directory")}
	}
	data, err := readBlob(f.parent, &f.entry)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}

// TreeID is the id of the tree.
func (t *treeFS) TreeID() plumbing.Hash {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dirs["."].Hash
}

// BlobID is the blob id of the content of file name (of the file a link
// leads to), known without reading it.
func (t *treeFS) BlobID(name string) (plumbing.Hash, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, err := t.lookup(name, true)
	if err != nil || !f.entry.Mode.IsFile() {
		return plumbing.ZeroHash, false
	}
	return f.entry.Hash, true
}

// Stat describes a file or folder of the tree, following links.
func (t *treeFS) Stat(name string) (fs.FileInfo, error) {
	return t.stat("stat", name, true)
}

func (t *treeFS) stat(op, name string, follow bool) (fs.FileInfo, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, err := t.lookup(name, follow)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	e := treeEntry{e: f.entry, fs: t, parent: f.parent}
	e.e.Name = path.Base(name)
	var size int64
	if f.entry.Mode.IsFile() {
		if size, err = blobSize(f.parent, &f.entry); err != nil {
			return nil, &fs.PathError{Op: op, Path: name, Err: err}
		}
	}
	return treeInfo{e, size}, nil
}

// Lstat describes a file or folder of the tree; a link is described
// itself, not followed.
func (t *treeFS) Lstat(name string) (fs.FileInfo, error) {
	return t.stat("lstat", name, false)
}

// ReadLink is the target of the symbolic link name.
func (t *treeFS) ReadLink(name string) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, err := t.lookup(name, false)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	if f.entry.Mode != filemode.Symlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	data, err := readBlob(f.parent, &f.entry)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return string(data), nil
}

// blobSize is the size of the blob of entry e of tree d.
func blobSize(d *object.Tree, e *object.TreeEntry) (int64, error) {
	f, err := d.TreeEntryFile(e)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return 0, fmt.Errorf("blob %s: %w", e.Hash, ErrMissingObject)
	}
	if err != nil {
		return 0, err
	}
	return f.Size, nil
}

// Open opens a file or folder of the tree, following links.
func (t *treeFS) Open(name string) (fs.File, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, err := t.lookup(name, true)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if f.entry.Mode == filemode.Dir {
		d, err := t.dir(f.real)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &treeFile{info: treeEntry{e: object.TreeEntry{Name: path.Base(name), Mode: filemode.Dir}}, dir: d, fs: t}, nil
	}
	if !f.entry.Mode.IsFile() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("mode %s is neither a file nor a folder", f.entry.Mode)}
	}
	data, err := readBlob(f.parent, &f.entry)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &treeFile{info: treeEntry{e: object.TreeEntry{Name: path.Base(name), Mode: f.entry.Mode}}, size: int64(len(data)), r: bytes.NewReader(data)}, nil
}

type treeFile struct {
	info treeEntry
	size int64
	r    *bytes.Reader
	dir  *object.Tree
	fs   *treeFS
	pos  int // entries of dir already listed
}

func (f *treeFile) Stat() (fs.FileInfo, error) { return treeInfo{f.info, f.size}, nil }

// ReadDir lists an opened folder, n entries at a time when n > 0.
func (f *treeFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if f.dir == nil {
		return nil, errors.New("not a directory")
	}
	rest := f.dir.Entries[f.pos:]
	if n > 0 && len(rest) > n {
		rest = rest[:n]
	}
	if n > 0 && len(rest) == 0 {
		return nil, io.EOF
	}
	f.pos += len(rest)
	out := make([]fs.DirEntry, len(rest))
	for i, e := range rest {
		out[i] = treeEntry{e: e, fs: f.fs, parent: f.dir}
	}
	return out, nil
}
func (f *treeFile) Close() error { return nil }
func (f *treeFile) Read(p []byte) (int, error) {
	if f.r == nil {
		return 0, errors.New("is a directory")
	}
	return f.r.Read(p)
}

// treeEntry is a tree entry as an fs.DirEntry.
type treeEntry struct {
	e      object.TreeEntry
	fs     *treeFS
	parent *object.Tree
}

func (e treeEntry) Name() string      { return e.e.Name }
func (e treeEntry) IsDir() bool       { return e.e.Mode == filemode.Dir }
func (e treeEntry) Type() fs.FileMode { return e.mode().Type() }
func (e treeEntry) Info() (fs.FileInfo, error) {
	if e.IsDir() || e.parent == nil {
		return treeInfo{e, 0}, nil
	}
	e.fs.mu.Lock()
	defer e.fs.mu.Unlock()
	f, err := e.parent.TreeEntryFile(&e.e)
	if err != nil {
		return nil, err
	}
	return treeInfo{e, f.Size}, nil
}
func (e treeEntry) mode() fs.FileMode {
	m, err := e.e.Mode.ToOSFileMode()
	if err != nil {
		return 0
	}
	return m
}

type treeInfo struct {
	e    treeEntry
	size int64
}

func (i treeInfo) Name() string       { return i.e.Name() }
func (i treeInfo) Size() int64        { return i.size }
func (i treeInfo) Mode() fs.FileMode  { return i.e.mode() }
func (i treeInfo) ModTime() time.Time { return time.Time{} }
func (i treeInfo) IsDir() bool        { return i.e.IsDir() }
func (i treeInfo) Sys() any           { return nil }
