package detect

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/go-git/go-git/v5/plumbing"
)

// The working tree's file system as status and the manifest reader see
// it, the same on every system. The primitives that differ (list a
// folder, stat and open relative to a folder) are in dirent_linux.go and
// dirent_portable.go, the stat data extraction in stat_unix.go and
// stat_windows.go.

// dirent is a folder entry.
type dirent struct {
	name  string
	isDir bool
	// other: neither a folder, a regular file nor a symbolic link (a
	// named pipe, a socket, a device), which git never lists as untracked.
	other bool
}

// fileStat is the stat data status compares, in one form on every
// system: mode holds POSIX type and permission bits (made up from what
// the system has on Windows, as Git for Windows does).
type fileStat struct {
	mode                uint32
	size                int64
	mtimeSec, mtimeNsec int64
	ctimeSec, ctimeNsec int64
	ino, dev            uint64
	uid, gid            uint32
}

// POSIX file types, as in st_mode.
const (
	sIFMT  = 0o170000
	sIFDIR = 0o040000
	sIFREG = 0o100000
	sIFLNK = 0o120000
)

// posixMode is the st_mode of an os.FileMode.
func posixMode(m fs.FileMode) uint32 {
	perm := uint32(m.Perm())
	switch {
	case m.IsRegular():
		return sIFREG | perm
	case m.IsDir():
		return sIFDIR | perm
	case m&fs.ModeSymlink != 0:
		return sIFLNK | perm
	}
	return perm // another type: never equal to what the index records
}

var (
	errNotFolder  = errors.New("not a folder")
	errNotRegular = errors.New("not a regular file")
)

// notRegularError is errNotRegular saying what the file is instead.
type notRegularError struct{ what string }

func (e notRegularError) Error() string        { return e.what + ", not a regular file" }
func (e notRegularError) Is(target error) bool { return target == errNotRegular }

// notRegular is the error for opening something that is not a regular
// file; mode is its st_mode.
func notRegular(mode uint32) error {
	switch mode & sIFMT {
	case 0o010000:
		return notRegularError{"a named pipe"}
	case 0o020000, 0o060000:
		return notRegularError{"a device"}
	case 0o140000:
		return notRegularError{"a socket"}
	case sIFDIR:
		return notRegularError{"a folder"}
	}
	return errNotRegular
}

// isNotExist says whether err means that a path is not there (or that a
// folder on the way is a file).
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// openRegular opens the regular file at path for reading; anything else
// is refused, without blocking on a named pipe.
func openRegular(path string) (*os.File, int64, error) {
	f, fi, err := openNoBlock(path)
	if err != nil {
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, notRegular(posixMode(fi.Mode()) | typeBits(fi.Mode()))
	}
	return f, fi.Size(), nil
}

// openNoBlock opens path for reading without blocking (a named pipe opens
// at once) and stats what it opened.
func openNoBlock(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// typeBits are the st_mode type bits of the types posixMode leaves out.
func typeBits(m fs.FileMode) uint32 {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return 0o010000
	case m&fs.ModeCharDevice != 0:
		return 0o020000
	case m&fs.ModeDevice != 0:
		return 0o060000
	case m&fs.ModeSocket != 0:
		return 0o140000
	}
	return 0
}

// readFileAt reads the regular file name relative to f: as many bytes as
// it had when opened (as git does), so that a file growing while it is
// read cannot make the read unbounded. Anything but a regular file is an
// error.
func readFileAt(f folder, name string) ([]byte, error) {
	r, size, err := f.open(name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	buf := make([]byte, size)
	n, err := io.ReadFull(r, buf)
	if err == io.ErrUnexpectedEOF { // it shrank while read
		err = nil
	}
	return buf[:n], err
}

// hashFileAt is the blob id of the regular file name relative to f,
// streamed (a large tracked file is not read into memory). A file that
// changes size while it is read gets the zero id, which matches nothing.
func hashFileAt(f folder, name string, buf []byte) (plumbing.Hash, error) {
	r, size, err := f.open(name)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	defer r.Close()
	h := plumbing.NewHasher(plumbing.BlobObject, size)
	n, err := io.CopyBuffer(h, io.LimitReader(r, size), buf)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if n != size {
		return plumbing.ZeroHash, nil
	}
	return h.Sum(), nil
}
