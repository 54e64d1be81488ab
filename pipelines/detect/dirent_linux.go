package detect

import (
	"bytes"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dirent is a folder entry as getdents returns it.
type dirent struct {
	name  string
	isDir bool
}

// readDir lists the open folder fd without sorting and without a stat per
// entry (the file type comes with the entry on the file systems git runs
// on; where it does not, lstat tells). It reads until getdents says the
// end: a short read is not proof of the end on every file system.
func readDir(fd int, buf []byte) ([]dirent, error) {
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
				if st.Mode&unix.S_IFMT == unix.S_IFDIR {
					typ = unix.DT_DIR
				}
			}
			out = append(out, dirent{name, typ == unix.DT_DIR})
		}
	}
}

// readFileAt reads the file name relative to the folder fd, with plain
// system calls (os.ReadFile registers every file with the poller).
func readFileAt(fd int, name string) ([]byte, error) {
	f, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(f)
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := unix.Read(f, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return out, nil
		}
		out = append(out, buf[:n]...)
	}
}
