package plan

import (
	"context"
	"errors"
	"io/fs"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/monopipe/monopipe/pipelines/detect"
	"github.com/monopipe/monopipe/pipelines/graph"
	"github.com/monopipe/monopipe/pipelines/manifest"
)

// Manifests are a revision's workspace and components, found and checked
// exactly as Make finds and checks them, without comparing revisions.
type Manifests struct {
	// Workspace is the parsed monopipe.yaml (the default when absent).
	Workspace *manifest.Workspace
	// Components are every component, sorted by folder.
	Components []*manifest.Component
	// Graph is their checked dependency graph.
	Graph *graph.Graph
	// FS is the revision's files: the working tree, or a commit's tree.
	// It is readable until Close.
	FS fs.FS
	// Files are the working tree's files as git lists them (tracked and
	// untracked, not ignored); nil for a commit, whose FS holds exactly
	// its files.
	Files []string

	repo *detect.Repo
}

// Open reads and checks the manifests of opts.Head (the working tree when
// empty) in the repository at opts.Dir, as Make does with --all: the same
// discovery, the same parsing, the same graph checks. In a repository
// with no commit yet the working tree is searched as a folder. Base, All
// and Components are not used. Close the result when done.
func Open(ctx context.Context, opts Options) (*Manifests, error) {
	repo, err := openRepo(opts)
	if err != nil {
		return nil, err
	}
	m, err := open(ctx, repo, opts.Head)
	if err != nil {
		repo.Close()
		return nil, err
	}
	return m, nil
}

func open(ctx context.Context, repo *detect.Repo, head string) (*Manifests, error) {
	fsys, err := repo.HeadFS(head)
	if err != nil {
		return nil, err
	}
	ws, err := manifest.ReadWorkspace(fsys)
	if err != nil {
		return nil, err
	}
	var res *detect.Result
	if head == "" && !unborn(repo) {
		// The files git lists, as --all sees them.
		if res, err = repo.Changes(ctx, detect.Range{Base: "HEAD", BaseBranch: ws.BaseBranch}); err != nil {
			return nil, err
		}
	}
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
	m := &Manifests{Workspace: ws, Components: comps, Graph: g, FS: fsys, repo: repo}
	if res != nil {
		m.Files = res.Files
	}
	return m, nil
}

// unborn says whether HEAD names a branch with no commit yet (a new
// repository): git then lists no files to search among, and the working
// tree is searched as a folder (git-ignored folders included).
func unborn(repo *detect.Repo) bool {
	_, err := repo.Git().Head()
	return errors.Is(err, plumbing.ErrReferenceNotFound)
}

// Root is the repository's top folder on disk.
func (m *Manifests) Root() string { return m.repo.Root() }

// Close releases the repository.
func (m *Manifests) Close() error { return m.repo.Close() }
