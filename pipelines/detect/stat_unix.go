//go:build unix

package detect

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// openNonblock makes opening a named pipe return at once rather than
// wait for a writer; it changes nothing for regular files and folders.
const openNonblock = syscall.O_NONBLOCK

// statFromUnix is the portable form of st (x/sys/unix names the times
// Mtim and Ctim on every Unix, macOS included; the field widths differ).
func statFromUnix(st *unix.Stat_t) fileStat {
	return fileStat{
		mode:      uint32(st.Mode),
		size:      int64(st.Size),
		mtimeSec:  int64(st.Mtim.Sec),
		mtimeNsec: int64(st.Mtim.Nsec),
		ctimeSec:  int64(st.Ctim.Sec),
		ctimeNsec: int64(st.Ctim.Nsec),
		ino:       uint64(st.Ino),
		dev:       uint64(st.Dev),
		uid:       uint32(st.Uid),
		gid:       uint32(st.Gid),
	}
}

// lstatPath is lstat(2) of path.
func lstatPath(path string) (fileStat, error) {
	var st unix.Stat_t
	for {
		err := unix.Lstat(path, &st)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fileStat{}, err
		}
		return statFromUnix(&st), nil
	}
}

// linkTarget is a symbolic link's target as git records it.
func linkTarget(s string) string { return s }
