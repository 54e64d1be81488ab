//go:build windows

package detect

import (
	"os"
	"path/filepath"
	"syscall"
)

// openNonblock: Windows has no named pipes in the file system's folders.
const openNonblock = 0

// lstatPath is the stat data of path as Git for Windows records it: no
// inode, device, owner or group (all zero), the creation time as ctime,
// and the type and permission bits of a POSIX mode.
func lstatPath(path string) (fileStat, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return fileStat{}, err
	}
	st := fileStat{size: fi.Size(), mode: posixMode(fi.Mode())}
	mt := fi.ModTime()
	st.mtimeSec, st.mtimeNsec = mt.Unix(), int64(mt.Nanosecond())
	if d, ok := fi.Sys().(*syscall.Win32FileAttributeData); ok {
		ct := d.CreationTime.Nanoseconds()
		st.ctimeSec, st.ctimeNsec = ct/1e9, ct%1e9
	}
	return st, nil
}

// linkTarget is a symbolic link's target as git records it: with forward
// slashes.
func linkTarget(s string) string { return filepath.ToSlash(s) }
