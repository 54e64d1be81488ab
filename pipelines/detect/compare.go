package detect

import (
	"fmt"
	"path/filepath"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"golang.org/x/sys/unix"
)

// modified says whether a tracked file differs from its index entry: by
// stat data when it is trustworthy, else by content hash. The file is name
// relative to the folder dirfd.
func (s *scan) modified(e *entry, dirfd int, name string) (bool, error) {
	if e.skipWorktree || e.intentToAdd {
		return e.intentToAdd, nil
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT || err == unix.ENOTDIR {
			return true, nil
		}
		return false, fmt.Errorf("stat %s: %w", filepath.Join(s.root, e.name), err)
	}
	if gitMode(st.Mode) != e.mode || uint32(st.Size) != e.size {
		return true, nil
	}
	sameStat := uint32(st.Mtim.Sec) == e.mtimeSec && uint32(st.Mtim.Nsec) == e.mtimeNsec && (e.ino == 0 || uint32(st.Ino) == e.ino)
	// Racily clean: written in the same instant as the index or later, so
	// the stat data cannot tell (git's racy-git rule).
	racy := s.indexSec != 0 && (e.mtimeSec > s.indexSec || e.mtimeSec == s.indexSec && e.mtimeNsec >= s.indexNsec)
	if sameStat && !racy {
		return false, nil
	}
	var data []byte
	var err error
	if e.mode == filemode.Symlink {
		data = make([]byte, unix.PathMax)
		var n int
		n, err = unix.Readlinkat(dirfd, name, data)
		data = data[:max(n, 0)]
	} else {
		data, err = readFileAt(dirfd, name)
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", filepath.Join(s.root, e.name), err)
	}
	return plumbing.ComputeHash(plumbing.BlobObject, data) != e.hash, nil
}

// gitMode is the git file mode of a stat mode, as the index records it.
func gitMode(m uint32) filemode.FileMode {
	switch m & unix.S_IFMT {
	case unix.S_IFLNK:
		return filemode.Symlink
	case unix.S_IFDIR:
		return filemode.Dir
	case unix.S_IFREG:
		if m&0o111 != 0 {
			return filemode.Executable
		}
		return filemode.Regular
	}
	return filemode.Empty
}
