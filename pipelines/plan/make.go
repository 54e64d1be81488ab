package plan

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/monopipe/monopipe/pipelines/detect"
	"github.com/monopipe/monopipe/pipelines/digest"
	"github.com/monopipe/monopipe/pipelines/graph"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/sourcetree"
)

// Make plans: it reads the manifests at head, asks detect what changed
// between base and head, selects the affected components and everything
// that depends on them, and lists the components head no longer has.
func Make(ctx context.Context, opts Options) (*Plan, error) {
	repo, err := openRepo(opts)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	fsys, err := repo.HeadFS(opts.Head)
	if err != nil {
		return nil, err
	}
	ws, err := manifest.ReadWorkspace(fsys)
	if err != nil {
		return nil, err
	}
	p := &Plan{Workspace: ws, Manifests: map[string]*manifest.Component{}, Removed: []Removed{}}
	var res *detect.Result
	switch {
	case !opts.All:
		res, err = repo.Changes(ctx, detect.Range{Base: opts.Base, Head: opts.Head, BaseBranch: ws.BaseBranch, Marker: ws.FullRebuildMarker, IgnoreSubmodules: ws.Submodules})
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
	comps, err := discover(repo, fsys, ws, res)
	if err != nil {
		return nil, err
	}
	g, err := graph.New(comps)
	if err != nil {
		return nil, err
	}
	if err := checkEnvironments(ws, comps); err != nil {
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
			cs := &changeSet{repo: repo, res: res, head: fsys, ws: ws, g: g}
			out, err := cs.affected()
			if err != nil {
				return nil, err
			}
			p.Removed = out.removed
			if out.all != "" {
				p.All, p.Reason = true, out.all
			} else {
				reasons = out.reasons
				p.Reason = summary(res, len(reasons))
			}
		}
	}
	if p.All {
		for _, n := range g.Order() {
			reasons[n] = []string{p.Reason}
		}
	}
	var results Results
	if opts.Results != nil {
		results = opts.Results(ws)
	}
	var sums map[string]*digest.Digest
	if results != nil && opts.Heal && !p.All && (opts.HealBranch == "" || opts.HealBranch == ws.BaseBranch) {
		if sums, err = digests(repo, fsys, res, ws, comps, g, g.Order(), !opts.DigestInputs); err != nil {
			return nil, err
		}
		if n := heal(ctx, results, g, sums, reasons); n > 0 {
			p.Reason += fmt.Sprintf("; %d more without a successful result for their inputs", n)
		}
	}
	p.Components = selectComponents(g, reasons, opts.Components)
	if opts.Trees {
		p.Trees = trees(fsys, res, g, p.Components)
	}
	if opts.Digest || results != nil {
		if sums == nil {
			names := make([]string, len(p.Components))
			for i, c := range p.Components {
				names[i] = c.Name
			}
			if sums, err = digests(repo, fsys, res, ws, comps, g, names, !opts.DigestInputs); err != nil {
				return nil, err
			}
		}
		for i := range p.Components {
			if d := sums[p.Components[i].Name]; d != nil {
				p.Components[i].Digest, p.Components[i].Inputs = d.Sum, d.Inputs
			}
		}
	}
	return p, nil
}

// healWorkers bounds the concurrent lookups of heal.
const healWorkers = 8

// heal adds to reasons every component whose digest (in sums) results
// has no successful result for, and returns how many it added. A lookup
// that fails selects the component too, saying why: a wrong "nothing to
// build" is worse than a build too many.
func heal(ctx context.Context, results Results, g *graph.Graph, sums map[string]*digest.Digest, reasons map[string][]string) int {
	var todo []string
	for _, n := range g.Order() {
		if _, ok := reasons[n]; !ok && sums[n] != nil {
			todo = append(todo, n)
		}
	}
	why := make([]string, len(todo))
	var wg sync.WaitGroup
	sem := make(chan struct{}, healWorkers)
	for i, n := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			sum := sums[n].Sum
			switch ok, err := results.Has(ctx, n, sum); {
			case err != nil:
				why[i] = fmt.Sprintf("could not look up a result for digest %s (%v): selected to be safe", sum, err)
			case !ok:
				why[i] = "no successful result for digest " + sum
			}
		}()
	}
	wg.Wait()
	added := 0
	for i, n := range todo {
		if why[i] != "" {
			reasons[n] = []string{why[i]}
			added++
		}
	}
	return added
}

// trees decides the source tree of each selected component and of every
// component it depends on, from head's files: as res lists them for the
// working tree (the list the digest counts), else as fsys (a commit's
// tree) has them.
func trees(fsys fs.FS, res *detect.Result, g *graph.Graph, sel []Component) map[string]sourcetree.Tree {
	var exists sourcetree.Exists
	if res != nil && res.Worktree {
		exists = sourcetree.ListExists(res.Files)
	} else {
		exists = func(p string) bool {
			fi, err := fs.Lstat(fsys, p)
			return err == nil && !fi.IsDir()
		}
	}
	out := map[string]sourcetree.Tree{}
	add := func(n string) {
		if _, ok := out[n]; ok {
			return
		}
		deps := g.Dependencies(n)
		comps := make([]*manifest.Component, len(deps))
		for i, d := range deps {
			comps[i] = g.Component(d)
		}
		if t, err := sourcetree.Of(g.Component(n), comps, exists); err == nil {
			out[n] = t
		}
	}
	for _, c := range sel {
		add(c.Name)
		for _, d := range g.Dependencies(c.Name) {
			add(d)
		}
	}
	return out
}

// digests computes the input digests of the named components, from the
// working tree's files when res lists them, else from the head commit's.
// In a repository with no commit yet there is no file list to digest, and
// the answer is empty. With memo, a commit's digests are remembered in
// <git dir>/monopipe/digest-memo and taken from there when their inputs
// are unchanged (without their Inputs).
func digests(repo *detect.Repo, fsys fs.FS, res *detect.Result, ws *manifest.Workspace, comps []*manifest.Component, g *graph.Graph, names []string, memo bool) (map[string]*digest.Digest, error) {
	var files digest.Files
	var memoFile string
	switch t, ok := fsys.(interface{ TreeID() plumbing.Hash }); {
	case res != nil && res.Worktree:
		files = digest.Worktree(repo.Git(), repo.Root(), res)
	case ok:
		files = digest.Commit(repo.Git(), t.TreeID(), filepath.Join(repo.GitDir(), "monopipe", "digest-trees"))
		if memo {
			memoFile = filepath.Join(repo.GitDir(), "monopipe", "digest-memo")
		}
	default:
		return map[string]*digest.Digest{}, nil
	}
	return digest.Compute(digest.Source{Workspace: ws, Components: comps, Graph: g, Files: files, Memo: memoFile}, names)
}

// discover finds and parses the component files of fsys: among the
// working tree's files that res lists when res is of the working tree,
// else by searching fsys.
func discover(repo *detect.Repo, fsys fs.FS, ws *manifest.Workspace, res *detect.Result) ([]*manifest.Component, error) {
	var paths []string
	var known func(string) (plumbing.Hash, bool)
	var err error
	if res != nil && res.Worktree {
		if paths, err = manifest.MatchComponents(res.Files, ws.Components); err != nil {
			return nil, err
		}
		known = res.Blob
	} else if paths, known, err = findComponents(repo.GitDir(), fsys, ws.Components); err != nil {
		return nil, err
	}
	return parseManifests(repo.GitDir(), fsys, paths, known)
}

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

// checkEnvironments reports a component's environments entry that names
// no environment of the workspace.
func checkEnvironments(ws *manifest.Workspace, comps []*manifest.Component) error {
	for _, c := range comps {
		if err := manifest.CheckEnvironments(ws, c); err != nil {
			return err
		}
	}
	return nil
}
