//go:build linux && !monopipe_portable

package detect

import (
	"bytes"
	"io"
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file holds the walk's primitives on Linux: raw system calls
// relative to open folders (getdents, fstatat, openat), which make a
// fraction of the calls os.ReadDir and os.Lstat make. dirent_portable.go
// has the same primitives on top of package os, for every other system
// and for Linux built with -tags monopipe_portable; the walk itself
// (walk.go) is the same code on both.

// folder is an open folder: names are looked up relative to it.
type folder int

// cwd is the folder that relative names start from; absolute names work
// with any folder.
const cwd folder = unix.AT_FDCWD

// openRoot opens the work tree's top folder.
func openRoot(path string) (folder, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	return folder(fd), err
}

// openFolder opens the folder rel ("/"-separated) below f.
func (f folder) openFolder(rel string) (folder, error) {
	fd, err := unix.Openat(int(f), rel, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	return folder(fd), err
}

// close closes a folder opened by openRoot or openFolder.
func (f folder) close() { unix.Close(int(f)) }

// stat is the open folder's own stat data.
func (f folder) stat() (fileStat, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f), &st); err != nil {
		return fileStat{}, err
	}
	return statFromUnix(&st), nil
}

// lstat is the stat data of name relative to f, not following a last
// symbolic link.
func (f folder) lstat(name string) (fileStat, error) {
	var st unix.Stat_t
	for {
		err := unix.Fstatat(int(f), name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fileStat{}, err
		}
		return statFromUnix(&st), nil
	}
}

// open opens the regular file name relative to f for reading, following
// symbolic links, and returns its size; anything but a regular file (a
// named pipe, a device, a folder) is refused without blocking.
func (f folder) open(name string) (io.ReadCloser, int64, error) {
	var fd int
	var err error
	for {
		fd, err = unix.Openat(int(f), name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, 0, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, 0, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, 0, notRegular(uint32(st.Mode))
	}
	return fdFile(fd), st.Size, nil
}

// readlink is the target of the symbolic link name relative to f.
func (f folder) readlink(name string) ([]byte, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Readlinkat(int(f), name, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n < len(buf) {
			return buf[:n], nil
		}
		buf = make([]byte, 2*len(buf))
	}
}

// fdFile reads a file with plain system calls (an os.File registers every
// file with the poller).
type fdFile int

func (f fdFile) Read(b []byte) (int, error) {
	for {
		n, err := unix.Read(int(f), b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 && len(b) > 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f fdFile) Close() error { return unix.Close(int(f)) }

// list lists the open folder without sorting and without a stat per
// entry (the file type comes with the entry on the file systems git runs
// on; where it does not, lstat tells). It reads until getdents says the
// end: a short read is not proof of the end on every file system.
func (f folder) list(buf []byte) ([]dirent, error) {
	fd := int(f)
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
				switch st.Mode & unix.S_IFMT {
				case unix.S_IFDIR:
					typ = unix.DT_DIR
				case unix.S_IFREG:
					typ = unix.DT_REG
				case unix.S_IFLNK:
					typ = unix.DT_LNK
				}
			}
			out = append(out, dirent{name: name, isDir: typ == unix.DT_DIR,
				other: typ != unix.DT_DIR && typ != unix.DT_REG && typ != unix.DT_LNK})
		}
	}
}
