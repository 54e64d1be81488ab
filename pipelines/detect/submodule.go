package detect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Submodules are reported as git status reports them: a submodule whose
// checked-out commit differs from the index's gitlink, or that has
// staged, modified or untracked content (its own status, worked out by
// the same scan, nested submodules included), is changed, unless its
// ignore setting says otherwise. An uninitialized submodule (a folder
// with no .git) is unchanged; a missing folder is deleted.

// Ignore settings for submodules, as git names them (--ignore-submodules,
// submodule.<name>.ignore, diff.ignoreSubmodules).
const (
	SubmodulesNone      = "none"      // new commits, modified and untracked content
	SubmodulesUntracked = "untracked" // new commits and modified content
	SubmodulesDirty     = "dirty"     // new commits only
	SubmodulesAll       = "all"       // never (staged gitlink changes still count)
)

func validIgnoreSubmodules(v string) bool {
	switch v {
	case SubmodulesNone, SubmodulesUntracked, SubmodulesDirty, SubmodulesAll:
		return true
	}
	return false
}

// submoduleState is what a submodule's own status found.
type submoduleState struct {
	moved     bool // HEAD differs from the gitlink
	modified  bool // staged or modified tracked content, or a nested submodule that is
	untracked bool // untracked files, or a nested submodule with only those
}

// visible is the part of the state that the ignore setting lets show.
func (st submoduleState) visible(ignore string) submoduleState {
	switch ignore {
	case SubmodulesAll:
		return submoduleState{}
	case SubmodulesDirty:
		return submoduleState{moved: st.moved}
	case SubmodulesUntracked:
		st.untracked = false
	}
	return st
}

func (st submoduleState) any() bool { return st.moved || st.modified || st.untracked }

// checkSubmodules works out which of the submodules found on disk (subs,
// index entry numbers) are changed, and which of those whose folder is
// gone are not ignored entirely; it adds them to changed and records in
// s whether any had tracked or untracked changes, for a superproject.
func (s *scan) checkSubmodules(subs, gone []int, changed []string) ([]string, error) {
	if len(subs)+len(gone) == 0 {
		return changed, nil
	}
	names := submoduleNames(filepath.Join(s.root, ".gitmodules"))
	def := SubmodulesNone
	if v, ok := s.cfg.get("diff.ignoresubmodules"); ok {
		if !validIgnoreSubmodules(v.value) {
			return nil, fmt.Errorf("%s:%d: diff.ignoreSubmodules = %q: want none, untracked, dirty or all", v.file, v.line, v.value)
		}
		def = v.value
	}
	for k, i := range append(subs[:len(subs):len(subs)], gone...) {
		e := s.entries[i]
		ignore := s.ignoreSubmodules
		if ignore == "" {
			ignore = def
			name := e.name
			if n, ok := names.byPath[e.name]; ok {
				name = n
			}
			if v, ok := s.cfg.get("submodule." + name + ".ignore"); ok && validIgnoreSubmodules(v.value) {
				ignore = v.value
			} else if v, ok := names.ignore[name]; ok && validIgnoreSubmodules(v) {
				ignore = v
			}
		}
		if ignore == SubmodulesAll {
			continue
		}
		if k >= len(subs) { // its folder is gone: deleted
			changed = append(changed, e.name)
			s.trackedChanges++
			continue
		}
		st, err := submoduleStatus(filepath.Join(s.root, filepath.FromSlash(e.name)), e.hash, ignore)
		if err != nil {
			return nil, fmt.Errorf("submodule %s: %w", e.name, err)
		}
		vis := st.visible(ignore)
		if vis.any() {
			changed = append(changed, e.name)
		}
		// What a superproject's status of this repository sees (git
		// reads it from this status's porcelain v2 output).
		s.subModified = s.subModified || vis.moved || vis.modified
		s.subUntracked = s.subUntracked || vis.untracked
	}
	return changed, nil
}

// submoduleStatus is the state of the submodule checked out at dir, whose
// gitlink is want. With ignore "dirty", only its HEAD is read.
func submoduleStatus(dir string, want plumbing.Hash, ignore string) (submoduleState, error) {
	var st submoduleState
	if _, err := os.Lstat(filepath.Join(dir, ".git")); errors.Is(err, fs.ErrNotExist) {
		return st, nil // not initialized: git says nothing
	} else if err != nil {
		return st, err
	}
	repo, root, storage, err := openRepo(dir)
	if err != nil {
		return st, err
	}
	defer storage.Close()
	ref, err := repo.Head()
	if err != nil {
		st.moved = true // an unborn or unreadable HEAD is not the gitlink
		return st, nil
	}
	st.moved = ref.Hash() != want
	if ignore == SubmodulesDirty {
		return st, nil
	}
	head, err := repo.CommitObject(ref.Hash())
	if err != nil {
		return st, fmt.Errorf("read HEAD: %w", err)
	}
	sc := startScan(gitDirOf(repo, root), root, "", false)
	staged, err := sc.staged(repo, head)
	_, werr := sc.wait()
	if err := errors.Join(werr, err); err != nil {
		return st, err
	}
	st.untracked = sc.untracked > 0 || sc.subUntracked
	st.modified = len(staged) > 0 || sc.trackedChanges > 0 || sc.subModified
	return st, nil
}

// gitmodules is what .gitmodules says: submodule names by path, and
// their ignore settings by name.
type gitmodules struct {
	byPath map[string]string
	ignore map[string]string
}

// submoduleNames reads .gitmodules (an unreadable file names nothing:
// each submodule is then known by its path, as git falls back to).
func submoduleNames(file string) gitmodules {
	g := gitmodules{byPath: map[string]string{}, ignore: map[string]string{}}
	data, err := os.ReadFile(file)
	if err != nil {
		return g
	}
	_ = parseConfig(data, file, func(v configValue) error {
		rest, ok := strings.CutPrefix(v.key, "submodule.")
		if !ok {
			return nil
		}
		k := strings.LastIndexByte(rest, '.')
		if k < 0 {
			return nil
		}
		name, key := rest[:k], rest[k+1:]
		switch key {
		case "path":
			g.byPath[strings.TrimSuffix(v.value, "/")] = name
		case "ignore":
			g.ignore[name] = v.value
		}
		return nil
	})
	return g
}

// withoutSubmodules drops staged gitlink changes when the override says
// "all": git status --ignore-submodules=all hides them too (the
// configured "all" does not).
func (s *scan) withoutSubmodules(head *object.Tree, staged []string) []string {
	if s.ignoreSubmodules != SubmodulesAll {
		return staged
	}
	out := staged[:0]
	for _, p := range staged {
		i := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].name >= p })
		inIndex := i < len(s.entries) && s.entries[i].name == p && s.entries[i].mode == filemode.Submodule
		te, err := head.FindEntry(p)
		inHead := err == nil && te.Mode == filemode.Submodule
		if !inIndex && !inHead {
			out = append(out, p)
		}
	}
	return out
}
