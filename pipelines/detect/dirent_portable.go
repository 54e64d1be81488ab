//go:build !linux || monopipe_portable

package detect

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// This file holds the walk's primitives on top of package os, for macOS,
// Windows and the rest, and for Linux built with -tags monopipe_portable
// (so that this code is tested there too). dirent_linux.go has the same
// primitives with raw system calls; the walk itself (walk.go) is the same
// code on both.

// folder is a folder's path: names are joined to it.
type folder string

// cwd is the folder that relative names start from; absolute names work
// with any folder.
const cwd folder = ""

// path is the file system path of name ("/"-separated) relative to f.
func (f folder) path(name string) string {
	return filepath.Join(string(f), filepath.FromSlash(name))
}

// openRoot opens the work tree's top folder.
func openRoot(path string) (folder, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", &os.PathError{Op: "open", Path: path, Err: errNotFolder}
	}
	return folder(path), nil
}

// openFolder opens the folder rel ("/"-separated) below f.
func (f folder) openFolder(rel string) (folder, error) {
	p := f.path(rel)
	st, err := lstatPath(p)
	if err != nil {
		return "", err
	}
	if st.mode&sIFMT != sIFDIR {
		return "", &os.PathError{Op: "open", Path: p, Err: errNotFolder}
	}
	return folder(p), nil
}

// close closes a folder opened by openRoot or openFolder.
func (f folder) close() {}

// stat is the folder's own stat data.
func (f folder) stat() (fileStat, error) { return lstatPath(string(f)) }

// lstat is the stat data of name relative to f, not following a last
// symbolic link.
func (f folder) lstat(name string) (fileStat, error) { return lstatPath(f.path(name)) }

// open opens the regular file name relative to f for reading, following
// symbolic links, and returns its size; anything but a regular file (a
// named pipe, a device, a folder) is refused without blocking.
func (f folder) open(name string) (io.ReadCloser, int64, error) {
	return openRegular(f.path(name))
}

// readlink is the target of the symbolic link name relative to f.
func (f folder) readlink(name string) ([]byte, error) {
	s, err := os.Readlink(f.path(name))
	if err != nil {
		return nil, err
	}
	return []byte(linkTarget(s)), nil
}

// list lists the folder, in no particular order.
func (f folder) list(buf []byte) ([]dirent, error) {
	d, err := os.Open(string(f))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	ents, err := d.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	out := make([]dirent, 0, len(ents))
	for _, e := range ents {
		t := e.Type()
		out = append(out, dirent{name: e.Name(), isDir: t.IsDir(), other: !t.IsDir() && !t.IsRegular() && t&fs.ModeSymlink == 0})
	}
	return out, nil
}
