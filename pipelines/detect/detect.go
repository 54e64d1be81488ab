// Package detect finds the paths that changed between two revisions of a
// git repository, with go-git: it picks the default base the way CI needs
// it, diffs trees (never history), adds the working tree's uncommitted and
// untracked files, and refuses to answer "nothing changed" when it cannot
// know.
package detect

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Worktree is the head name that means "HEAD plus the working tree".
const Worktree = "worktree"

// ZeroID is the all-zero commit id CI systems send for "no previous commit".
const ZeroID = "0000000000000000000000000000000000000000"

// Repo is an opened repository.
type Repo struct {
	git    *git.Repository
	root   string
	gitDir string
	close  func() error
	over   *overlay // the working tree of OpenUncommitted, else nil
}

// Open opens the repository that contains dir.
func Open(dir string) (*Repo, error) {
	r, root, st, err := openRepo(dir)
	if err != nil {
		return nil, fmt.Errorf("open git repository at %s: %w", dir, err)
	}
	return &Repo{git: r, root: root, gitDir: gitDirOf(r, root), close: st.Close}, nil
}

// gitDirOf is the git folder of repo, whose work tree is root.
func gitDirOf(repo *git.Repository, root string) string {
	if st, ok := repo.Storer.(interface{ Filesystem() billy.Filesystem }); ok {
		return st.Filesystem().Root()
	}
	return filepath.Join(root, ".git")
}

// Close releases the open pack files.
func (r *Repo) Close() error { return r.close() }

// Root is the repository's top folder.
func (r *Repo) Root() string { return r.root }

// GitDir is the repository's git folder (.git, or a linked work tree's
// own folder).
func (r *Repo) GitDir() string { return r.gitDir }

// Git is the underlying go-git repository.
func (r *Repo) Git() *git.Repository { return r.git }

// HeadFS is the tree that manifests are read from: the working tree when
// head is empty, else the tree of commit head.
func (r *Repo) HeadFS(head string) (fs.FS, error) {
	if head == "" {
		if r.over != nil {
			return workFS{root: r.root, absent: r.over}, nil
		}
		return workFS{root: r.root, absent: &sparseFiles{gitDir: r.gitDir, repo: r.git}}, nil
	}
	c, err := r.commit("--head", head)
	if err != nil {
		return nil, err
	}
	t, err := commitTree(c)
	if err != nil {
		return nil, fmt.Errorf("--head %s: %w", head, err)
	}
	return TreeFS(t), nil
}

// workFS is os.DirFS that never blocks and never reads what is not a
// regular file: Open refuses a named pipe, a device or a socket (os.DirFS
// would wait forever for a pipe's writer, or read a device without end),
// and ReadFile reads a regular file in four system calls rather than nine
// (it reads the manifests of thousands of components), as many bytes as
// the file had when opened. Stat and ReadDir do not open files. A file
// that is part of the working tree but not on disk is read from where it
// is kept (see absentFiles).
type workFS struct {
	root   string
	absent absentFiles
}

// absentFiles answer for the files of the working tree that are not on
// disk: a sparse checkout's, from the index (sparseFiles), or an
// Uncommitted's unchanged files, from HEAD's tree (overlay). Each says
// fs.ErrNotExist for what it does not account for.
type absentFiles interface {
	stat(name string) (fs.FileInfo, error)
	readFile(name string) ([]byte, error)
	list(dir string) ([]sparseDirEntry, error)
}

// path is the file system path of name, or an error for a name that is
// not valid (or names a device, on Windows).
func (w workFS) path(op, name string) (string, error) {
	local, err := filepath.Localize(name)
	if err != nil || !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return filepath.Join(w.root, local), nil
}

// Open opens the named file or folder.
func (w workFS) Open(name string) (fs.File, error) {
	p, err := w.path("open", name)
	if err != nil {
		return nil, err
	}
	f, fi, err := openNoBlock(p)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: unwrapPath(err)}
	}
	if !fi.IsDir() && !fi.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: notRegular(posixMode(fi.Mode()) | typeBits(fi.Mode()))}
	}
	return f, nil
}

// Stat describes the named file (following symbolic links) without
// opening it.
func (w workFS) Stat(name string) (fs.FileInfo, error) {
	p, err := w.path("stat", name)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(p)
	if isNotExist(err) && w.absent != nil {
		if fi, err2 := w.absent.stat(name); !errors.Is(err2, fs.ErrNotExist) {
			if err2 != nil {
				return nil, &fs.PathError{Op: "stat", Path: name, Err: err2}
			}
			return fi, nil
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: unwrapPath(err)}
	}
	return fi, nil
}

// diskReadDir lists the named folder on disk, sorted by name.
func (w workFS) diskReadDir(name string) ([]fs.DirEntry, error) {
	p, err := w.path("readdir", name)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(p)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: unwrapPath(err)}
	}
	return ents, nil
}

// unwrapPath is the error inside a *fs.PathError, so that it can be named
// by the path the caller gave.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ReadFile reads the named file.
func (w workFS) ReadFile(name string) ([]byte, error) {
	p, err := w.path("read", name)
	if err != nil {
		return nil, err
	}
	data, err := readFileAt(cwd, p)
	if isNotExist(err) && w.absent != nil {
		if data, err2 := w.absent.readFile(name); !errors.Is(err2, fs.ErrNotExist) {
			if err2 != nil {
				return nil, &fs.PathError{Op: "read", Path: name, Err: err2}
			}
			return data, nil
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}

// ReadDir lists the named folder, sorted by name, with the files and
// folders of the working tree that are not on disk (see absentFiles).
func (w workFS) ReadDir(name string) ([]fs.DirEntry, error) {
	disk, err := w.diskReadDir(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) || w.absent == nil {
		return disk, err
	}
	more, serr := w.absent.list(name)
	if serr != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: serr}
	}
	if len(more) == 0 {
		return disk, err
	}
	have := map[string]bool{}
	for _, d := range disk {
		have[d.Name()] = true
	}
	out := disk
	for _, d := range more {
		if !have[d.name] {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

// Range says what to compare.
type Range struct {
	// Base and Head are revisions; empty means the defaults (see Changes).
	Base, Head string
	// BaseBranch is the workspace's base branch (e.g. "main").
	BaseBranch string
	// Marker, when found in a commit message between base and head, makes
	// the answer "everything".
	Marker string
	// IgnoreSubmodules is git's --ignore-submodules for the working tree:
	// "none", "untracked", "dirty" or "all" (see SubmodulesNone…); ""
	// means what git's configuration says (submodule.<name>.ignore in
	// the config or .gitmodules, then diff.ignoreSubmodules, else none).
	IgnoreSubmodules string
}

// Result is what changed.
type Result struct {
	// Base is the commit compared against; "" when unknown.
	Base string
	// BaseHow says how base was chosen, for people.
	BaseHow string
	// Head is the head commit id.
	Head string
	// Worktree is true when uncommitted and untracked files were included.
	Worktree bool
	// Everything is true when every component must be considered changed;
	// Reason says why (unknown base, first commit, marker).
	Everything bool
	Reason     string
	// Paths are the changed repo-relative paths (both sides of a rename),
	// sorted and unique.
	Paths []string
	// Files are the files present in the working tree (tracked and
	// untracked, not ignored) when Worktree is true.
	Files []string

	blob func(path string) (plumbing.Hash, bool)
}

// Blob is the blob id of the working tree's file at path when it is known
// without reading the file: a tracked file whose stat data matches the
// index. It says false for anything else, and always when Worktree is
// false.
func (r *Result) Blob(path string) (plumbing.Hash, bool) {
	if r.blob == nil {
		return plumbing.ZeroHash, false
	}
	return r.blob(path)
}

// Changes compares the two revisions. Defaults: head is HEAD plus the
// working tree; on the base branch, base is the first parent of HEAD;
// elsewhere it is the merge-base with the base branch (local or origin).
// An explicit base is compared through its merge-base with head, as git
// diff base...head does (a pull request is charged only with its own
// changes, not with those merged to its base branch since it forked); when
// base is an ancestor of head that is base itself.
// A base that cannot be known (missing from the clone, the all-zero id, a
// first commit) gives Everything with a reason; a revision name that does
// not resolve is an error.
func (r *Repo) Changes(ctx context.Context, rg Range) (*Result, error) {
	res := &Result{Worktree: rg.Head == ""}
	if rg.IgnoreSubmodules != "" && !validIgnoreSubmodules(rg.IgnoreSubmodules) {
		return nil, fmt.Errorf("ignore submodules %q: want none, untracked, dirty or all", rg.IgnoreSubmodules)
	}
	headRev := rg.Head
	if headRev == "" {
		headRev = "HEAD"
	}
	head, err := r.commit("--head", headRev)
	if err != nil {
		return nil, err
	}
	res.Head = head.Hash.String()
	// The working-tree walk reads only the file system: it runs while
	// the history is read here.
	var sc *scan
	if res.Worktree && r.over == nil {
		sc = startScan(r.gitDir, r.root, rg.IgnoreSubmodules, false)
		defer sc.wait() // on error returns, let the walk finish first
	}

	base, others, err := r.chooseBase(ctx, rg, head, res)
	if err != nil {
		return nil, err
	}
	if base != nil {
		res.Base = base.Hash.String()
		id, err := r.compare(ctx, base, head, rg.Marker, res)
		if err != nil {
			return nil, err
		}
		for _, o := range others {
			if err := r.diffCommits(ctx, o, head, &res.Paths); err != nil {
				return nil, err
			}
		}
		if id != "" {
			res.Everything = true
			res.Reason = fmt.Sprintf("commit %s says %q", id[:12], rg.Marker)
		}
	}
	if r.over != nil && res.Worktree {
		// The working tree is HEAD's with the given changes (see
		// OpenUncommitted), and the index was compared then.
		res.Paths = append(append(res.Paths, r.over.staged...), r.over.paths...)
		res.Files, res.blob = r.over.files, r.over.blob
	}
	if sc != nil {
		staged, err := sc.staged(r.git, head)
		if err != nil {
			return nil, err
		}
		wt, err := sc.wait()
		if err != nil {
			return nil, err
		}
		res.Paths = append(append(res.Paths, staged...), wt.Changed...)
		if res.Files, err = sc.withSparseFiles(r.git, wt.Present); err != nil {
			return nil, err
		}
		res.blob = sc.blob
	}
	res.Paths = sortUnique(res.Paths)
	return res, nil
}

// chooseBase returns the base commit, or nil with res.Everything set when
// the base cannot be known; others are further merge-bases (criss-cross
// merges) whose changes count too.
func (r *Repo) chooseBase(ctx context.Context, rg Range, head *object.Commit, res *Result) (base *object.Commit, others []*object.Commit, err error) {
	unknown := func(why string) (*object.Commit, []*object.Commit, error) {
		res.Everything, res.Reason = true, why
		return nil, nil, nil
	}
	if rg.Base != "" {
		res.BaseHow = "--base " + rg.Base
		if rg.Base == ZeroID {
			if mb, how, err := r.mergeBaseWithBranch(ctx, head, rg.BaseBranch); err != nil {
				return nil, nil, err
			} else if mb != nil && mb.Hash != head.Hash {
				res.BaseHow = "base is the all-zero id (new branch); using the " + how
				return mb, nil, nil
			}
			return unknown("base is the all-zero id (a new branch): no previous commit to compare with")
		}
		c, err := r.commit("--base", rg.Base)
		if err != nil {
			if errors.Is(err, plumbing.ErrObjectNotFound) {
				if fullHexRE.MatchString(rg.Base) {
					return unknown(fmt.Sprintf("base commit %s is not in this clone (shallow clone or force push)", rg.Base[:12]))
				}
				if r.isShallow() {
					return unknown(fmt.Sprintf("base %s reaches past this shallow clone's history", rg.Base))
				}
			}
			return nil, nil, err
		}
		return r.threeDot(ctx, rg, c, head, res)
	}

	branch := r.currentBranch()
	if branch != rg.BaseBranch {
		mb, how, err := r.mergeBaseWithBranch(ctx, head, rg.BaseBranch)
		switch {
		case err != nil:
			return nil, nil, err
		case how == "":
			return unknown(fmt.Sprintf("base branch %q not found locally or in origin", rg.BaseBranch))
		case mb == nil:
			return unknown(fmt.Sprintf("no common ancestor with %s (shallow clone or unrelated history)", how))
		case mb.Hash != head.Hash || branch != "":
			res.BaseHow = how
			return mb, nil, nil
		}
		// Detached HEAD already contained in the base branch: treat it as a
		// commit on the base branch.
	}
	res.BaseHow = "first parent of HEAD on " + rg.BaseBranch
	if head.NumParents() == 0 {
		return unknown("HEAD is the first commit: nothing to compare with")
	}
	p, err := head.Parent(0)
	if err != nil {
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return unknown("the parent of HEAD is not in this clone (shallow clone)")
		}
		return nil, nil, fmt.Errorf("read parent of %s: %w", head.Hash, err)
	}
	return p, nil, nil
}

// threeDot compares from the merge-base of an explicit base and head, as
// git diff base...head does, so that a branch is charged only with its own
// changes, not with those made on the base branch since it forked. When
// base is an ancestor of head that is base itself.
func (r *Repo) threeDot(ctx context.Context, rg Range, base, head *object.Commit, res *Result) (*object.Commit, []*object.Commit, error) {
	if base.Hash == head.Hash {
		return base, nil, nil
	}
	headName := rg.Head
	if headName == "" {
		headName = "HEAD"
	}
	bases, cut, err := r.mergeBases(ctx, base, head)
	if err != nil {
		return nil, nil, err
	}
	if len(bases) == 0 {
		res.Everything = true
		if cut || r.isShallow() {
			res.Reason = fmt.Sprintf("--base %s and %s have no common ancestor in this shallow clone's history (fetch more history to compare)", rg.Base, headName)
		} else {
			res.Reason = fmt.Sprintf("--base %s and %s have no common history", rg.Base, headName)
		}
		return nil, nil, nil
	}
	if bases[0].Hash == base.Hash {
		return base, nil, nil
	}
	res.BaseHow = fmt.Sprintf("merge-base of --base %s and %s", rg.Base, headName)
	switch {
	case bases[0].Hash == head.Hash:
		res.BaseHow += fmt.Sprintf(" (%s is already in %s)", headName, rg.Base)
	case len(bases) > 1:
		res.BaseHow += fmt.Sprintf(" (one of %d merge-bases; changes since each count)", len(bases))
	}
	return bases[0], bases[1:], nil
}

// commit resolves a revision name to a commit as git rev-parse --verify
// REV^{commit} does (see revision.go); flag names it in errors.
func (r *Repo) commit(flag, rev string) (*object.Commit, error) {
	c, err := r.resolveCommit(rev)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, rev, err)
	}
	return c, nil
}

// currentBranch is the short name of the checked-out branch, "" if detached.
func (r *Repo) currentBranch() string {
	ref, err := r.git.Storer.Reference(plumbing.HEAD)
	if err != nil || ref.Type() != plumbing.SymbolicReference {
		return ""
	}
	return ref.Target().Short()
}

// mergeBaseWithBranch finds the best merge-base of head with the base
// branch, trying the local branch and origin's; how names what was used
// ("" when neither ref exists).
func (r *Repo) mergeBaseWithBranch(ctx context.Context, head *object.Commit, branch string) (best *object.Commit, how string, err error) {
	for _, name := range []plumbing.ReferenceName{plumbing.NewBranchReferenceName(branch), plumbing.NewRemoteReferenceName("origin", branch)} {
		ref, err := r.git.Reference(name, true)
		if err != nil {
			continue
		}
		if how == "" {
			how = "merge-base with " + name.Short()
		}
		tip, err := r.git.CommitObject(ref.Hash())
		if err != nil {
			continue
		}
		bases, _, err := r.mergeBases(ctx, head, tip)
		if err != nil {
			return nil, "", err
		}
		if len(bases) == 0 {
			continue
		}
		mb := bases[0]
		if best == nil {
			best, how = mb, "merge-base with "+name.Short()
		} else if newer, _, err := r.mergeBases(ctx, best, mb); err == nil && len(newer) == 1 && newer[0].Hash == best.Hash && mb.Hash != best.Hash {
			best, how = mb, "merge-base with "+name.Short()
		}
	}
	return best, how, nil
}

func (r *Repo) isShallow() bool {
	s, err := r.git.Storer.Shallow()
	return err == nil && len(s) > 0
}

// diffCommits appends the paths that differ between the two commits' trees.
func (r *Repo) diffCommits(ctx context.Context, base, head *object.Commit, out *[]string) error {
	bt, err := commitTree(base)
	if err != nil {
		return err
	}
	ht, err := commitTree(head)
	if err != nil {
		return err
	}
	return r.diffTrees(ctx, "", bt, ht, out)
}

// emptyTree is the id of the tree with no entries, which git knows
// without storing it.
var emptyTree = plumbing.NewHash("4b825dc642cb6eb9a060e54bf8d69288fbee4904")

// commitTree reads the tree of commit c.
func commitTree(c *object.Commit) (*object.Tree, error) {
	t, err := c.Tree()
	if errors.Is(err, plumbing.ErrObjectNotFound) && c.TreeHash == emptyTree {
		// git knows the empty tree without storing it (a commit of
		// nothing, after every file was removed).
		return &object.Tree{Hash: emptyTree}, nil
	}
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("read tree %s of commit %s: %w", c.TreeHash, c.Hash, ErrMissingObject)
	}
	if err != nil {
		return nil, fmt.Errorf("read tree of %s: %w", c.Hash, err)
	}
	return t, nil
}

// diffTrees appends the file paths that differ between trees a and b (either
// may be nil). Subtrees with equal hashes are skipped without being read, so
// the cost follows the size of the change, not of the repository; go-git's
// DiffTree reads every child tree of each folder it visits.
func (r *Repo) diffTrees(ctx context.Context, prefix string, a, b *object.Tree, out *[]string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if a != nil && b != nil && a.Hash == b.Hash {
		return nil
	}
	byName := map[string]object.TreeEntry{}
	if a != nil {
		for _, e := range a.Entries {
			byName[e.Name] = e
		}
	}
	visit := func(name string, ea, eb *object.TreeEntry) error {
		if ea != nil && eb != nil && ea.Hash == eb.Hash && ea.Mode == eb.Mode {
			return nil
		}
		p := prefix + name
		var ta, tb *object.Tree
		for _, side := range []struct {
			e *object.TreeEntry
			t **object.Tree
		}{{ea, &ta}, {eb, &tb}} {
			if side.e == nil {
				continue
			}
			if side.e.Mode != filemode.Dir {
				*out = append(*out, p)
				continue
			}
			t, err := r.git.TreeObject(side.e.Hash)
			if errors.Is(err, plumbing.ErrObjectNotFound) {
				return fmt.Errorf("read folder %s: tree %s: %w", p, side.e.Hash, ErrMissingObject)
			}
			if err != nil {
				return fmt.Errorf("read tree %s: %w", p, err)
			}
			*side.t = t
		}
		if ta != nil || tb != nil {
			return r.diffTrees(ctx, p+"/", ta, tb, out)
		}
		return nil
	}
	if b != nil {
		for i := range b.Entries {
			eb := &b.Entries[i]
			var ea *object.TreeEntry
			if e, ok := byName[eb.Name]; ok {
				ea = &e
				delete(byName, eb.Name)
			}
			if err := visit(eb.Name, ea, eb); err != nil {
				return err
			}
		}
	}
	for name, e := range byName {
		if err := visit(name, &e, nil); err != nil {
			return err
		}
	}
	return nil
}

func sortUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// treeFiles calls fn for every entry below tree t that is not a folder
// (files, links, gitlinks), named under prefix, reading subtrees with get.
// Unlike go-git's Tree.Files it takes every name git takes (a tab, say)
// and lists gitlinks.
func treeFiles(get func(plumbing.Hash) (*object.Tree, error), prefix string, t *object.Tree, fn func(path string, e object.TreeEntry) error) error {
	for _, e := range t.Entries {
		p := prefix + e.Name
		if e.Mode != filemode.Dir {
			if err := fn(p, e); err != nil {
				return err
			}
			continue
		}
		sub, err := get(e.Hash)
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return fmt.Errorf("read folder %s: tree %s: %w", p, e.Hash, ErrMissingObject)
		}
		if err != nil {
			return fmt.Errorf("read tree %s: %w", p, err)
		}
		if err := treeFiles(get, p+"/", sub, fn); err != nil {
			return err
		}
	}
	return nil
}
