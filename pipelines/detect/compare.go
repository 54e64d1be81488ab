package detect

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// statRules are the settings that say how git compares a file with its
// index entry (read by git_default_core_config).
type statRules struct {
	trustExec   bool // core.fileMode: the owner's x bit counts
	hasSymlinks bool // core.symlinks: false checks links out as plain files
	trustCtime  bool // core.trustCtime
	checkStat   bool // core.checkStat is "default", not "minimal"
	ignoreCase  bool // core.ignoreCase
}

// loadStatRules reads the rules from c, with git's defaults.
func loadStatRules(c *gitConfig) (statRules, error) {
	r := statRules{checkStat: true}
	var errs [4]error
	r.trustExec, errs[0] = c.boolValue("core.filemode", true)
	r.hasSymlinks, errs[1] = c.boolValue("core.symlinks", true)
	r.trustCtime, errs[2] = c.boolValue("core.trustctime", true)
	r.ignoreCase, errs[3] = c.boolValue("core.ignorecase", false)
	if err := errors.Join(errs[:]...); err != nil {
		return r, err
	}
	if v, ok := c.get("core.checkstat"); ok {
		switch strings.ToLower(v.value) {
		case "default":
		case "minimal":
			r.checkStat = false
		default:
			return r, fmt.Errorf("%s:%d: invalid value for core.checkStat: %q (want default or minimal)", v.file, v.line, v.value)
		}
	}
	return r, nil
}

// What ie_match_stat finds (git's read-cache.c), as a bit set.
const (
	statChanged = 1 << iota // times, owner or inode: the content may be the same
	dataChanged             // the size
	typeChanged             // the file type, or the x bit
)

// emptyBlob is the id of the empty blob.
var emptyBlob = plumbing.NewHash("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")

// modified says whether a tracked file differs from its index entry, as
// git's refresh does (ie_match_stat, then ie_modified): by stat data when
// it is trustworthy, else by content. The file is name relative to the
// folder f; buf is scratch space for hashing.
func (s *scan) modified(e *entry, f folder, name string, buf []byte) (bool, error) {
	if e.skipWorktree || e.assumeValid {
		return false, nil // the user promised git not to look
	}
	if e.intentToAdd {
		return true, nil
	}
	st, err := f.lstat(name)
	if err != nil {
		if isNotExist(err) {
			return true, nil
		}
		return false, fmt.Errorf("stat %s: %w", filepath.Join(s.root, e.name), err)
	}
	if e.mode == filemode.Submodule {
		return st.mode&sIFMT != sIFDIR, nil
	}
	changed := s.matchStat(e, &st)
	switch {
	case changed == 0:
		// Racily clean: written in the same second as the index or
		// later, so the stat data cannot tell (git's racy-git rule; git
		// is built without USE_NSEC, so it compares whole seconds).
		if s.indexSec == 0 || e.mtimeSec < s.indexSec {
			return false, nil
		}
	case changed&typeChanged != 0:
		return true, nil
	case changed&dataChanged != 0 && e.size != 0:
		// Another size. A size of 0 in the index means "not known"
		// (after read-tree or update-index --cacheinfo) or "smudged" (a
		// racily clean entry git could not trust when it wrote the
		// index): the content decides.
		return true, nil
	}
	return s.contentDiffers(e, &st, f, name, buf)
}

// matchStat compares the file's stat data with the entry's, as git's
// ce_match_stat_basic and match_stat_data do.
func (s *scan) matchStat(e *entry, st *fileStat) int {
	changed := 0
	typ := st.mode & sIFMT
	switch uint32(e.mode) & sIFMT {
	case sIFREG:
		if typ != sIFREG {
			changed |= typeChanged
		}
		// Only the owner's x bit counts, and only with core.fileMode.
		if s.rules.trustExec && (uint32(e.mode)^st.mode)&0o100 != 0 {
			changed |= typeChanged
		}
	case sIFLNK:
		// With core.symlinks=false a link is checked out as a file
		// holding the target.
		if typ != sIFLNK && (s.rules.hasSymlinks || typ != sIFREG) {
			changed |= typeChanged
		}
	default:
		return typeChanged // git refuses such an entry
	}
	if e.mtimeSec != uint32(st.mtimeSec) {
		changed |= statChanged
	}
	if s.rules.trustCtime && s.rules.checkStat && e.ctimeSec != uint32(st.ctimeSec) {
		changed |= statChanged
	}
	if s.rules.checkStat && (e.uid != st.uid || e.gid != st.gid || e.ino != uint32(st.ino)) {
		changed |= statChanged
	}
	if e.size != indexSize(st.size) {
		changed |= dataChanged
	}
	// A smudged entry (size 0) of a blob that is not empty.
	if e.size == 0 && e.hash != emptyBlob {
		changed |= dataChanged
	}
	return changed
}

// indexSize is a file size as the index records it: 32 bits, and a
// non-zero multiple of 4 GiB made non-zero (git's munge_st_size).
func indexSize(n int64) uint32 {
	if sd := uint32(n); sd != 0 || n == 0 {
		return sd
	}
	return 0x80000000
}

// contentDiffers compares the file's content with the entry's blob, as
// git's ce_modified_check_fs does: a regular file by its content (even
// for a link entry, with core.symlinks=false), a link by its target.
func (s *scan) contentDiffers(e *entry, st *fileStat, f folder, name string, buf []byte) (bool, error) {
	var h plumbing.Hash
	switch st.mode & sIFMT {
	case sIFREG:
		var err error
		h, err = hashFileAt(f, name, buf)
		if isNotExist(err) || errors.Is(err, errNotRegular) {
			return true, nil // replaced while we looked
		}
		if err != nil {
			return false, fmt.Errorf("read %s: %w", filepath.Join(s.root, e.name), err)
		}
	case sIFLNK:
		target, err := f.readlink(name)
		if isNotExist(err) {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("read link %s: %w", filepath.Join(s.root, e.name), err)
		}
		h = plumbing.ComputeHash(plumbing.BlobObject, target)
	default:
		return true, nil
	}
	return h != e.hash, nil
}
