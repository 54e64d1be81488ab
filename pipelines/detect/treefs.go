package detect

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// TreeFS presents a git tree as a read-only fs.FS, so that manifests can be
// read at a commit exactly as they are read from the working tree. It is
// safe for concurrent use (go-git's objects and pack readers are not, so
// reads are serialised); folders read once are remembered.
func TreeFS(t *object.Tree) fs.FS { return &treeFS{dirs: map[string]*object.Tree{".": t}} }

type treeFS struct {
	mu   sync.Mutex
	dirs map[string]*object.Tree
}

var (
	_ fs.ReadDirFS  = (*treeFS)(nil)
	_ fs.ReadFileFS = (*treeFS)(nil)
)

// dir finds a folder's tree; t.mu must be held.
func (t *treeFS) dir(name string) (*object.Tree, error) {
	if !fs.ValidPath(name) {
		return nil, fs.ErrInvalid
	}
	if d, ok := t.dirs[name]; ok {
		return d, nil
	}
	parent, err := t.dir(path.Dir(name))
	if err != nil {
		return nil, err
	}
	sub, err := parent.Tree(path.Base(name))
	if err != nil {
		return nil, fs.ErrNotExist
	}
	t.dirs[name] = sub
	return sub, nil
}

// ReadDir lists a folder of the tree.
func (t *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d, err := t.dir(name)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	out := make([]fs.DirEntry, len(d.Entries))
	for i, e := range d.Entries {
		out[i] = treeEntry{e: e, fs: t, parent: d}
	}
	return out, nil
}

// ReadFile reads a file of the tree.
func (t *treeFS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.readFile(name)
}

func (t *treeFS) readFile(name string) ([]byte, error) {
	d, err := t.dir(path.Dir(name))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	f, err := d.File(path.Base(name))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	rd, err := f.Reader()
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	defer rd.Close()
	return io.ReadAll(rd)
}

// TreeID is the id of the tree.
func (t *treeFS) TreeID() plumbing.Hash {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dirs["."].Hash
}

// BlobID is the blob id of the file name, known without reading it.
func (t *treeFS) BlobID(name string) (plumbing.Hash, bool) {
	if !fs.ValidPath(name) {
		return plumbing.ZeroHash, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	d, err := t.dir(path.Dir(name))
	if err != nil {
		return plumbing.ZeroHash, false
	}
	e, err := d.FindEntry(path.Base(name))
	if err != nil || !e.Mode.IsFile() {
		return plumbing.ZeroHash, false
	}
	return e.Hash, true
}

// Open opens a file or folder of the tree.
func (t *treeFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if d, err := t.dir(name); err == nil {
		return &treeFile{info: treeEntry{e: object.TreeEntry{Name: path.Base(name), Mode: filemode.Dir}}, dir: d, fs: t}, nil
	}
	data, err := t.readFile(name)
	if err != nil {
		return nil, err
	}
	return &treeFile{info: treeEntry{e: object.TreeEntry{Name: path.Base(name), Mode: filemode.Regular}}, size: int64(len(data)), r: bytes.NewReader(data)}, nil
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
