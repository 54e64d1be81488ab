package plan

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/monopipe/monopipe/pipelines/detect"
	"github.com/monopipe/monopipe/pipelines/graph"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/ownership"
)

// maxPathReasons caps how many changed paths a component's reasons list.
const maxPathReasons = 5

// changeSet is one range to judge: what changed, and head's workspace,
// components and graph.
type changeSet struct {
	repo *detect.Repo
	res  *detect.Result
	head fs.FS // head's files
	ws   *manifest.Workspace
	g    *graph.Graph

	base  fs.FS           // base's files, read when needed
	isNew map[string]bool // memo of newAtHead
}

// outcome is what a range affects.
type outcome struct {
	// reasons are the affected components' reasons, dependents included.
	reasons map[string][]string
	// all, when not "", says why every component is affected.
	all     string
	removed []Removed
}

// affected maps the changed paths to the components they affect, with
// reasons, and adds every component that depends on an affected one. Paths
// are owned as package ownership says, with two additions that need the
// base revision: monopipe.yaml's changes are judged key by key (see
// manifest.SettingsChanges), and a deleted path of a component that head
// no longer has (deleted, or moved to another folder) belongs to that
// component, not to the folder that encloses it at head.
func (cs *changeSet) affected() (*outcome, error) {
	out := &outcome{removed: []Removed{}}
	comps := make([]*manifest.Component, 0, len(cs.g.Order()))
	for _, n := range cs.g.Order() {
		comps = append(comps, cs.g.Component(n))
	}
	rules := ownership.New(cs.ws, comps)
	n := newNotes()

	// The workspace at base, when monopipe.yaml changed and is not global.
	baseWS := cs.ws
	wsChanged := cs.changed(manifest.WorkspaceFile) && rules.Global(manifest.WorkspaceFile) == ""
	var wsErr error
	if wsChanged {
		baseWS, wsErr = cs.baseWorkspace()
		if wsErr != nil {
			baseWS = cs.ws
		}
	}
	moved, gone, err := cs.baseComponents(baseWS, rules, out)
	if err != nil {
		return nil, err
	}
	if wsChanged {
		if wsErr != nil {
			out.all = fmt.Sprintf("%s at base cannot be read (%v): every component is affected", manifest.WorkspaceFile, wsErr)
			return out, nil
		}
		if keys := manifest.WorkspaceChanges(baseWS, cs.ws); len(keys) > 0 {
			out.all = fmt.Sprintf("%s: %s changed", manifest.WorkspaceFile, strings.Join(keys, ", "))
			return out, nil
		}
		for _, c := range comps {
			for _, k := range manifest.SettingsChanges(baseWS, cs.ws, c) {
				n.add(c.Name, fmt.Sprintf("%s: %s changed", manifest.WorkspaceFile, k))
			}
		}
	}
	for _, m := range moved {
		n.add(m.to.Name, fmt.Sprintf("moved from %s to %s", m.from, m.to.Dir))
	}

	for _, p := range cs.res.Paths {
		if p == manifest.WorkspaceFile && wsChanged {
			continue
		}
		own, note := rules.Owner(p), ""
		if len(gone) > 0 && !cs.existsAtHead(p) {
			// A path that head does not have belongs to the component
			// that had it at base.
			d, ok := ownership.Deepest(p, func(d string) bool { return gone[d] != nil || rules.OwnsDir(d) && !cs.newAtHead(d) })
			if g := gone[d]; ok && g != nil {
				own, note = g.headComp, fmt.Sprintf(" (component moved from %s)", d)
				if own == nil {
					note = ""
				}
			}
		}
		for _, h := range rules.AffectsOwnedBy(p, own) {
			var why string
			switch h.Why {
			case ownership.Global:
				why = fmt.Sprintf("global %s changed (matches %q)", p, h.Glob)
			case ownership.Manifest:
				why = "manifest " + p + " changed"
			case ownership.Owned:
				why = p + " changed" + note
			case ownership.Input:
				why = fmt.Sprintf("input %s changed (matches %q)", p, h.Glob)
			}
			n.addPath(h.Component.Name, why)
		}
	}
	// A component folder that head no longer has, but whose files stay,
	// hands them to the component that encloses it at head.
	for _, dir := range slices.Sorted(maps.Keys(gone)) {
		if !cs.filesRemainAtHead(dir) {
			continue
		}
		if h := rules.Owner(dir + "/x"); h != nil {
			n.add(h.Name, fmt.Sprintf("%s is no longer a component: its files now belong to %s", dir, h.Name))
		}
	}
	out.reasons = addDependents(cs.g, n.done())
	return out, nil
}

// baseGone is a component folder of base that head does not have.
type baseGone struct {
	comp *manifest.Component
	// headComp is the same component (by name) at head, in another
	// folder; nil when head has no component of that name.
	headComp *manifest.Component
}

// movedComp is a component whose folder moved.
type movedComp struct {
	from string
	to   *manifest.Component
}

// baseComponents reads, at base, the component files among the changed
// paths (every component whose file did not change is the same at base and
// head), and sorts out the components that head lost or moved: gone maps
// their base folders (that are not component folders at head) to them;
// removed ones are added to out.removed.
func (cs *changeSet) baseComponents(baseWS *manifest.Workspace, rules *ownership.Rules, out *outcome) ([]movedComp, map[string]*baseGone, error) {
	var files []string
	for _, p := range cs.res.Paths {
		if path.Base(p) == manifest.ComponentFile {
			files = append(files, p)
		}
	}
	files, err := manifest.MatchComponents(files, baseWS.Components)
	if err != nil || len(files) == 0 {
		return nil, nil, nil // a folder at base named component.yaml: nothing to learn
	}
	base, err := cs.baseFS()
	if err != nil {
		return nil, nil, err
	}
	var moved []movedComp
	gone := map[string]*baseGone{}
	for _, f := range files {
		data, err := manifest.ReadFile(base, f)
		if err != nil {
			continue // absent at base (added), or unreadable: head's ownership stands
		}
		bc, err := manifest.ParseComponent(f, data)
		if err != nil {
			continue
		}
		hc := cs.g.Component(bc.Name)
		if hc != nil && hc.Dir == bc.Dir {
			continue // the same component
		}
		if !rules.OwnsDir(bc.Dir) {
			gone[bc.Dir] = &baseGone{comp: bc, headComp: hc}
		}
		if hc != nil {
			moved = append(moved, movedComp{from: bc.Dir, to: hc})
			continue
		}
		why := f + " deleted"
		if at := rules.Owner(f); at != nil && at.Path == f {
			why = fmt.Sprintf("renamed to %s in %s", at.Name, f)
		}
		out.removed = append(out.removed, Removed{Name: bc.Name, Dir: bc.Dir, Reason: why})
	}
	return moved, gone, nil
}

// newAtHead reports whether head's component folder d is new at head (its
// component file was added), so that at base it owned nothing.
func (cs *changeSet) newAtHead(d string) bool {
	f := path.Join(d, manifest.ComponentFile)
	if !cs.changed(f) {
		return false
	}
	if isNew, ok := cs.isNew[d]; ok {
		return isNew
	}
	isNew := false
	if base, err := cs.baseFS(); err == nil {
		_, err = manifest.StatFile(base, f)
		isNew = err != nil
	}
	if cs.isNew == nil {
		cs.isNew = map[string]bool{}
	}
	cs.isNew[d] = isNew
	return isNew
}

// baseWorkspace reads monopipe.yaml at base.
func (cs *changeSet) baseWorkspace() (*manifest.Workspace, error) {
	base, err := cs.baseFS()
	if err != nil {
		return nil, err
	}
	return manifest.ReadWorkspace(base)
}

// baseFS is the base revision's tree.
func (cs *changeSet) baseFS() (fs.FS, error) {
	if cs.base == nil {
		if cs.res.Base == "" {
			return nil, fmt.Errorf("no base commit to read")
		}
		b, err := cs.repo.HeadFS(cs.res.Base)
		if err != nil {
			return nil, err
		}
		cs.base = b
	}
	return cs.base, nil
}

// changed reports whether p is among the changed paths.
func (cs *changeSet) changed(p string) bool {
	_, ok := slices.BinarySearch(cs.res.Paths, p)
	return ok
}

// existsAtHead reports whether head has the file p.
func (cs *changeSet) existsAtHead(p string) bool {
	if cs.res.Worktree {
		_, ok := slices.BinarySearch(cs.res.Files, p)
		return ok
	}
	_, err := manifest.StatFile(cs.head, p)
	return err == nil
}

// filesRemainAtHead reports whether head has files in folder dir.
func (cs *changeSet) filesRemainAtHead(dir string) bool {
	if cs.res.Worktree {
		i, _ := slices.BinarySearch(cs.res.Files, dir+"/")
		return i < len(cs.res.Files) && strings.HasPrefix(cs.res.Files[i], dir+"/")
	}
	info, err := manifest.StatFile(cs.head, dir)
	return err == nil && info.IsDir()
}

// notes collects the direct reasons of each component, listing at most
// maxPathReasons changed paths.
type notes struct {
	direct map[string][]string
	paths  map[string]int
}

func newNotes() *notes { return &notes{direct: map[string][]string{}, paths: map[string]int{}} }

// add records a reason that is not a changed path.
func (n *notes) add(name, why string) { n.direct[name] = append(n.direct[name], why) }

// addPath records a changed path's reason, within the cap.
func (n *notes) addPath(name, why string) {
	n.paths[name]++
	if n.paths[name] <= maxPathReasons {
		n.add(name, why)
	}
}

// done returns the reasons, with a count of the paths left out.
func (n *notes) done() map[string][]string {
	for name, k := range n.paths {
		if k > maxPathReasons {
			n.add(name, fmt.Sprintf("and %d more changed paths", k-maxPathReasons))
		}
	}
	return n.direct
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
