package plan

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/monopipe/monopipe/pipelines/detect"
	"github.com/monopipe/monopipe/pipelines/graph"
	"github.com/monopipe/monopipe/pipelines/manifest"
)

// maxPathReasons caps how many changed paths a component's reasons list.
const maxPathReasons = 5

// Make plans: it reads the manifests at head, asks detect what changed
// between base and head, and selects the affected components and everything
// that depends on them.
func Make(ctx context.Context, opts Options) (*Plan, error) {
	repo, err := detect.Open(opts.Dir)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	fsys, err := repo.HeadFS(opts.Head)
	if err != nil {
		return nil, err
	}
	if opts.Head == "" {
		fsys = statFS{FS: fsys, root: repo.Root()}
	}
	ws, err := manifest.ReadWorkspace(fsys)
	if err != nil {
		return nil, err
	}
	p := &Plan{Workspace: ws, Manifests: map[string]*manifest.Component{}, Removed: []Removed{}}
	var res *detect.Result
	switch {
	case !opts.All:
		res, err = repo.Changes(ctx, detect.Range{Base: opts.Base, Head: opts.Head, BaseBranch: ws.BaseBranch, Marker: ws.FullRebuildMarker})
	case opts.Head == "":
		// --all sees the components the default mode sees: the working
		// tree's files as git lists them (not ignored folders, nested
		// repositories or submodules' contents).
		res, err = repo.Changes(ctx, detect.Range{Base: "HEAD", BaseBranch: ws.BaseBranch})
	}
	if err != nil {
		return nil, err
	}
	// The working tree's file list comes with the change set; listing it
	// again would walk the whole tree a second time. Blob ids known
	// without reading the files let parsed manifests be reused from the
	// last run.
	var paths []string
	var known func(string) (plumbing.Hash, bool)
	if res != nil && res.Worktree {
		if paths, err = manifest.MatchComponents(res.Files, ws.Components); err != nil {
			return nil, err
		}
		known = res.Blob
	} else if paths, known, err = findComponents(repo.GitDir(), fsys, ws.Components); err != nil {
		return nil, err
	}
	comps, err := parseManifests(repo.GitDir(), fsys, paths, known)
	if err != nil {
		return nil, err
	}
	g, err := graph.New(comps)
	if err != nil {
		return nil, err
	}
	if err := checkNames(g, opts.Components); err != nil {
		return nil, err
	}
	for _, c := range comps {
		p.Manifests[c.Name] = c
	}

	reasons := map[string][]string{}
	if opts.All {
		p.All, p.Reason = true, "--all"
	} else {
		p.Base = res.Base
		p.HeadCommit = res.Head
		p.Head = res.Head
		if res.Worktree {
			p.Head = detect.Worktree
		}
		if res.Everything {
			p.All, p.Reason = true, res.Reason
		} else {
			reasons = Affected(ws, g, res.Paths)
			p.Reason = summary(res, len(reasons))
		}
	}
	if p.All {
		for _, n := range g.Order() {
			reasons[n] = []string{p.Reason}
		}
	}
	p.Components = selectComponents(g, reasons, opts.Components)
	return p, nil
}

// statFS is the working tree with a Stat that follows symbolic links
// without opening the file, for manifest.StatFile: opening a FIFO blocks.
type statFS struct {
	fs.FS
	root string
}

// Stat describes the named file, following symbolic links.
func (s statFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	return os.Stat(filepath.Join(s.root, filepath.FromSlash(name)))
}

// ReadFile reads the named file.
func (s statFS) ReadFile(name string) ([]byte, error) { return fs.ReadFile(s.FS, name) }

func checkNames(g *graph.Graph, names []string) error {
	for _, n := range names {
		if g.Component(n) == nil {
			known := append([]string(nil), g.Order()...)
			sort.Strings(known)
			return fmt.Errorf("--component %s: no such component (known: %s)", n, strings.Join(known, ", "))
		}
	}
	return nil
}

func summary(res *detect.Result, n int) string {
	where := res.BaseHow
	if res.Worktree {
		where += ", working tree included"
	}
	return fmt.Sprintf("%d changed paths affect %d components (%s)", len(res.Paths), n, where)
}

// Affected maps changed paths to the components they affect, with reasons,
// then adds every component that depends on an affected one, transitively,
// with the chain.
func Affected(ws *manifest.Workspace, g *graph.Graph, paths []string) map[string][]string {
	byDir := map[string]*globbed{}
	var all, withInputs []*globbed
	for _, n := range g.Order() {
		c := g.Component(n)
		gc := &globbed{c, manifest.RepoGlobs(c.Dir, c.Inputs), manifest.RepoGlobs(c.Dir, c.Ignore)}
		byDir[c.Dir] = gc
		all = append(all, gc)
		if len(gc.inputs) > 0 {
			withInputs = append(withInputs, gc)
		}
	}
	direct := map[string][]string{}
	hits := map[string]int{}
	note := func(c *globbed, p, why string) {
		if matchAny(c.ignore, p) {
			return
		}
		hits[c.Name]++
		if hits[c.Name] <= maxPathReasons {
			direct[c.Name] = append(direct[c.Name], why)
		}
	}
	for _, p := range paths {
		if matchAny(ws.Ignore, p) {
			continue
		}
		if m := firstMatch(ws.Global, p); m != "" {
			for _, c := range all {
				note(c, p, fmt.Sprintf("global %s changed (matches %q)", p, m))
			}
			continue
		}
		own := owner(byDir, p)
		if own != nil {
			if p == own.Path {
				note(own, p, "manifest "+p+" changed")
			} else {
				note(own, p, p+" changed")
			}
		}
		for _, c := range withInputs {
			if m := firstMatch(c.inputs, p); m != "" && c != own {
				note(c, p, fmt.Sprintf("input %s changed (matches %q)", p, m))
			}
		}
	}
	for n, k := range hits {
		if k > maxPathReasons {
			direct[n] = append(direct[n], fmt.Sprintf("and %d more changed paths", k-maxPathReasons))
		}
	}
	return addDependents(g, direct)
}

// globbed is a component with its globs made repo-relative.
type globbed struct {
	*manifest.Component
	inputs, ignore []string
}

// addDependents walks from the directly affected components to their
// dependents, breadth first, recording the shortest chain to a change.
func addDependents(g *graph.Graph, direct map[string][]string) map[string][]string {
	out := map[string][]string{}
	via := map[string]string{} // dependent → the component it was reached from
	var queue []string
	for _, n := range g.Order() { // deterministic order
		if rs, ok := direct[n]; ok {
			out[n] = rs
			queue = append(queue, n)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, d := range g.Dependents(n) {
			if _, done := out[d]; done {
				continue
			}
			via[d] = n
			chain := []string{d}
			for x := d; via[x] != ""; x = via[x] {
				chain = append(chain, via[x])
			}
			out[d] = []string{"depends on " + n + ": " + strings.Join(chain, " → ") + " (changed)"}
			queue = append(queue, d)
		}
	}
	return out
}

// owner is the component whose folder is the deepest one containing p.
func owner(byDir map[string]*globbed, p string) *globbed {
	for d := path.Dir(p); ; d = path.Dir(d) {
		if c, ok := byDir[d]; ok {
			return c
		}
		if d == "." || d == "/" {
			return nil
		}
	}
}

func matchAny(globs []string, p string) bool { return firstMatch(globs, p) != "" }

func firstMatch(globs []string, p string) string {
	for _, g := range globs {
		if ok, _ := doublestar.Match(strings.TrimPrefix(g, "/"), p); ok {
			return g
		}
	}
	return ""
}

// selectComponents orders the affected components dependencies first,
// narrows them to names when given, and assigns levels.
func selectComponents(g *graph.Graph, reasons map[string][]string, names []string) []Component {
	keep := map[string]bool{}
	for n := range reasons {
		keep[n] = true
	}
	if len(names) > 0 {
		want := map[string]bool{}
		for _, n := range names {
			want[n] = true
		}
		for n := range keep {
			keep[n] = want[n]
		}
	}
	levels := g.Levels(keep)
	out := []Component{}
	for _, n := range g.Order() {
		if !keep[n] {
			continue
		}
		c := g.Component(n)
		deps := append([]string{}, c.DependsOn...)
		sort.Strings(deps)
		out = append(out, Component{Name: n, Dir: c.Dir, Kind: c.Kind, DependsOn: deps, Reasons: reasons[n], Level: levels[n], Manifest: c})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Level != out[j].Level {
			return out[i].Level < out[j].Level
		}
		return out[i].Name < out[j].Name
	})
	return out
}
