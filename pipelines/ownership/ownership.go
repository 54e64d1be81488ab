// Package ownership says which components a changed path affects: the one
// rule that plan and release notes share. A path belongs to the deepest
// component folder containing it (nested components own their own files);
// the workspace's ignore globs affect nothing, its global globs affect
// every component, a component's inputs globs add paths outside its folder
// and its ignore globs take paths away from it. monopipe.yaml itself
// belongs to no folder: plan judges its changes key by key.
package ownership

import (
	"path"

	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/pathglob"
)

// Rules are one revision's workspace and components, ready to match paths.
type Rules struct {
	ws         *manifest.Workspace
	byDir      map[string]*manifest.Component
	all        []*globbed
	byName     map[string]*globbed
	withInputs []*globbed
}

// globbed is a component with its globs made repo-relative.
type globbed struct {
	*manifest.Component
	inputs, ignore []string
}

// Why says how a path affects a component.
type Why int

// The ways a path affects a component.
const (
	// Owned: the path is in the component's folder.
	Owned Why = iota
	// Manifest: the path is the component's component.yaml.
	Manifest
	// Global: the path matches a workspace global glob.
	Global
	// Input: the path matches one of the component's inputs globs.
	Input
)

// Hit is one component a path affects.
type Hit struct {
	Component *manifest.Component
	Why       Why
	// Glob is the matching glob, for Global and Input.
	Glob string
}

// New prepares the rules of ws and comps (in the order given).
func New(ws *manifest.Workspace, comps []*manifest.Component) *Rules {
	r := &Rules{ws: ws, byDir: map[string]*manifest.Component{}, byName: map[string]*globbed{}}
	for _, c := range comps {
		g := &globbed{c, manifest.RepoGlobs(c.Dir, c.Inputs), manifest.RepoGlobs(c.Dir, c.Ignore)}
		r.byDir[c.Dir] = c
		r.byName[c.Name] = g
		r.all = append(r.all, g)
		if len(g.inputs) > 0 {
			r.withInputs = append(r.withInputs, g)
		}
	}
	return r
}

// Ignored reports whether p matches a workspace ignore glob: a change
// there affects nothing. The workspace file is never ignored.
func (r *Rules) Ignored(p string) bool {
	return p != manifest.WorkspaceFile && pathglob.Any(r.ws.Ignore, p)
}

// Global is the workspace global glob that p matches, or "".
func (r *Rules) Global(p string) string { return pathglob.First(r.ws.Global, p) }

// Owner is the component whose folder is the deepest one containing p, or
// nil (always for the workspace file).
func (r *Rules) Owner(p string) *manifest.Component {
	if p == manifest.WorkspaceFile {
		return nil
	}
	if d, ok := Deepest(p, func(d string) bool { return r.byDir[d] != nil }); ok {
		return r.byDir[d]
	}
	return nil
}

// Deepest is the deepest folder containing p (".", the root, included)
// for which has says true.
func Deepest(p string, has func(dir string) bool) (string, bool) {
	for d := path.Dir(p); ; d = path.Dir(d) {
		if has(d) {
			return d, true
		}
		if d == "." || d == "/" {
			return "", false
		}
	}
}

// Excludes reports whether component c's own ignore globs take p away.
func (r *Rules) Excludes(c *manifest.Component, p string) bool {
	g := r.byName[c.Name]
	return g != nil && pathglob.Any(g.ignore, p)
}

// Affects lists the components a change at p affects, each once: nothing
// when p is ignored; every component when p is global; else its owner and
// the components whose inputs match it. Components whose own ignore globs
// match p are left out.
func (r *Rules) Affects(p string) []Hit { return r.AffectsOwnedBy(p, r.Owner(p)) }

// AffectsOwnedBy is Affects with p owned by own (nil: by no component at
// this revision), for a path whose owner plan took from another revision.
func (r *Rules) AffectsOwnedBy(p string, own *manifest.Component) []Hit {
	if r.Ignored(p) {
		return nil
	}
	var hits []Hit
	if g := r.Global(p); g != "" {
		for _, c := range r.all {
			if !pathglob.Any(c.ignore, p) {
				hits = append(hits, Hit{Component: c.Component, Why: Global, Glob: g})
			}
		}
		return hits
	}
	if own != nil && !r.Excludes(own, p) {
		why := Owned
		if p == own.Path {
			why = Manifest
		}
		hits = append(hits, Hit{Component: own, Why: why})
	}
	for _, c := range r.withInputs {
		if own != nil && c.Name == own.Name {
			continue
		}
		if g := pathglob.First(c.inputs, p); g != "" && !pathglob.Any(c.ignore, p) {
			hits = append(hits, Hit{Component: c.Component, Why: Input, Glob: g})
		}
	}
	return hits
}

// Touches reports whether a change at p affects component c.
func (r *Rules) Touches(c *manifest.Component, p string) bool {
	for _, h := range r.Affects(p) {
		if h.Component.Name == c.Name {
			return true
		}
	}
	return false
}

// OwnsDir reports whether dir is a component's folder.
func (r *Rules) OwnsDir(dir string) bool { return r.byDir[dir] != nil }
