// Package sourcetree decides what a component's build receives from the
// repository: the one rule that the builders (pipelines/build) cut their
// source trees by and that the input digest (pipelines/digest) counts
// files by, so that a digest covers exactly the files a build can read.
//
// A go, python, node, custom or dagger build gets, at their repository
// paths, the component's whole folder (nested components' folders and the
// files its ignore globs skip included: those decide selection, not what
// is sent), the folders of every component it depends on, the files of
// its inputs globs and, for a go package of a module rooted higher up,
// that module's go.mod and go.sum. A dagger component's module is loaded
// from that tree: its dagger.json and module source in its folder, and
// local module dependencies outside the folder through its inputs globs
// (monopipe init proposes them from dagger.json). A docker build gets its
// whole build context (the component's folder joined with build.context),
// wherever that is. None gets what Excluded names.
//
// Tree is the decision as directory filter patterns (what a builder hands
// Dagger); Tree.Files is the same decision over a revision's file list
// (what the digest counts), matched as Dagger matches the patterns (see
// pathglob.Filter).
package sourcetree

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/pathglob"
)

// Excluded never enters a build, relative to the tree's root: VCS data,
// installed packages and caches that tools write into the tree.
var Excluded = []string{".git", "**/node_modules", "**/__pycache__", "**/.pytest_cache", "**/*.egg-info"}

// Tree is what one component's build receives: the repository's folder
// Root ("." for the repository) filtered by Include (all of it when
// empty) and Exclude, patterns relative to Root in the syntax of Dagger's
// directory filters (no brace alternatives).
type Tree struct {
	Root             string
	Include, Exclude []string
	// GoModule is, for a go component, the folder of the go.mod that owns
	// its folder: its own, else its nearest parent's; "" when there is
	// none (its build cannot run).
	GoModule string
}

// Exists reports whether a revision has a file at the repo-relative path.
type Exists func(path string) bool

// ListExists is Exists over a file list (sorted best: else it sorts a
// copy).
func ListExists(list []string) Exists {
	sorted := list
	if !slices.IsSorted(sorted) {
		sorted = slices.Sorted(slices.Values(list))
	}
	return func(p string) bool {
		i := sort.SearchStrings(sorted, p)
		return i < len(sorted) && sorted[i] == p
	}
}

// Of decides the tree of c, whose dependencies (direct or not) are deps,
// in the order the builder mounts them (sorted by name); exists answers
// for the revision's files (a go component's module root is the folder of
// the nearest go.mod). The error is for a docker build.context that
// leaves the repository.
func Of(c *manifest.Component, deps []*manifest.Component, exists Exists) (Tree, error) {
	if c.Kind == manifest.KindDocker {
		dir := path.Join(c.Dir, c.Build.Context)
		if dir == ".." || strings.HasPrefix(dir, "../") {
			return Tree{}, fmt.Errorf("%s: build.context %q leaves the repository", c.Path, c.Build.Context)
		}
		return Tree{Root: dir, Exclude: Excluded}, nil
	}
	t := Tree{Root: ".", Include: []string{dirGlob(c.Dir)}, Exclude: Excluded}
	for _, d := range deps {
		t.Include = append(t.Include, dirGlob(d.Dir))
	}
	for _, g := range manifest.RepoGlobs(c.Dir, c.Inputs) {
		t.Include = append(t.Include, pathglob.Expand(g)...) // Dagger's filter knows no {a,b}
	}
	if c.Kind == manifest.KindGo {
		t.GoModule = ModuleRoot(c.Dir, exists)
		if t.GoModule != "" && t.GoModule != c.Dir {
			t.Include = append(t.Include, pathglob.Escape(path.Join(t.GoModule, "go.mod")), pathglob.Escape(path.Join(t.GoModule, "go.sum")))
		}
	}
	return t, nil
}

// ModuleRoot is the folder of the go.mod that owns dir: dir itself or its
// nearest parent with a go.mod; "" when there is none.
func ModuleRoot(dir string, exists Exists) string {
	for d := dir; ; d = path.Dir(d) {
		if exists(path.Join(d, "go.mod")) {
			return d
		}
		if d == "." || d == "/" || d == "" {
			return ""
		}
	}
}

// dirGlob is the pattern of everything in folder dir.
func dirGlob(dir string) string {
	if dir == "." || dir == "" {
		return "**"
	}
	return pathglob.Escape(dir) + "/**"
}

// Has reports whether the tree has the repo-relative path p.
func (t Tree) Has(p string) bool {
	rel, ok := t.rel(p)
	return ok && pathglob.NewFilter(t.Include, t.Exclude).Keeps(rel)
}

// rel is p relative to Root, when below it.
func (t Tree) rel(p string) (string, bool) {
	if t.Root == "." || t.Root == "" {
		return p, true
	}
	return strings.CutPrefix(p, t.Root+"/")
}

// Files are the paths of a revision's sorted file list that the tree
// has, sorted: what the build receives of that revision.
func (t Tree) Files(sorted []string) []string {
	base := ""
	if t.Root != "." && t.Root != "" {
		base = t.Root + "/"
	}
	include := t.Include
	if len(include) == 0 {
		include = []string{"**"}
	}
	// Each include pattern can only keep paths that start with its
	// literal prefix: search those alone.
	var idx []int
	for _, g := range include {
		lp := pathglob.LiteralPrefix(g)
		whole := g == "**" || strings.HasSuffix(lp, "/") && g == lp+"**" // a folder
		lo := sort.SearchStrings(sorted, base+lp)
		for i := lo; i < len(sorted) && strings.HasPrefix(sorted[i], base+lp); i++ {
			if whole || pathglob.MatchesOrParent(g, sorted[i][len(base):]) {
				idx = append(idx, i)
			}
		}
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	exclude := pathglob.NewFilter(nil, t.Exclude)
	out := make([]string, 0, len(idx))
	for _, i := range idx {
		if exclude.Keeps(sorted[i][len(base):]) {
			out = append(out, sorted[i])
		}
	}
	return out
}
