package release

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/monopipe/monopipe/pipelines/detect"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/pathglob"
)

// branchRef is a branch as the clone knows it: a local branch or a
// remote-tracking one (refs/remotes/<remote>/<name>), by its name.
type branchRef struct {
	name string
	ref  plumbing.ReferenceName
	hash plumbing.Hash
}

// branchRefs lists the local and remote-tracking branches, local ones
// first, each by its branch name (origin/main is "main").
func branchRefs(repo *git.Repository) ([]branchRef, error) {
	iter, err := repo.References()
	if err != nil {
		return nil, fmt.Errorf("list branches: %w", err)
	}
	defer iter.Close()
	var local, remote []branchRef
	err = iter.ForEach(func(r *plumbing.Reference) error {
		if r.Type() != plumbing.HashReference {
			return nil // origin/HEAD
		}
		n := r.Name()
		switch {
		case n.IsBranch():
			local = append(local, branchRef{name: n.Short(), ref: n, hash: r.Hash()})
		case n.IsRemote():
			// refs/remotes/<remote>/<branch...>
			_, name, ok := strings.Cut(strings.TrimPrefix(n.String(), "refs/remotes/"), "/")
			if ok && name != "HEAD" {
				remote = append(remote, branchRef{name: name, ref: n, hash: r.Hash()})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list branches: %w", err)
	}
	byRef := func(a, b branchRef) int { return strings.Compare(a.ref.String(), b.ref.String()) }
	slices.SortFunc(local, byRef)
	slices.SortFunc(remote, byRef)
	return append(local, remote...), nil
}

// workspaceAt reads monopipe.yaml at the tip of a branch (the first of its
// local and remote-tracking refs).
func workspaceAt(repo *git.Repository, refs []branchRef) (*manifest.Workspace, error) {
	b := refs[0]
	c, err := repo.CommitObject(b.hash)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", b.ref, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", b.ref, err)
	}
	ws, err := manifest.ReadWorkspace(detect.TreeFS(tree))
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", manifest.WorkspaceFile, b.ref, err)
	}
	return ws, nil
}

// named are the refs of the branch called name.
func named(refs []branchRef, name string) []branchRef {
	var out []branchRef
	for _, b := range refs {
		if b.name == name {
			out = append(out, b)
		}
	}
	return out
}

// CheckReachable checks that commit, which tag points at, is in the
// history of the base branch or of a branch that release.branches names:
// a release is made from reviewed history only. Local and remote-tracking
// branches both count. It returns the branch that holds the commit.
//
// The rules are read from a branch, never from the tag: from the
// repository's default branch when the CI host names it (defaultBranch:
// its monopipe.yaml gives baseBranch and release.branches), else from the
// base branch the tag's monopipe.yaml names (tagBase), whose own
// monopipe.yaml must name itself.
func CheckReachable(repo *git.Repository, tag string, commit *object.Commit, tagBase, defaultBranch string) (string, error) {
	refs, err := branchRefs(repo)
	if err != nil {
		return "", fmt.Errorf("tag %s: %w", tag, err)
	}
	from := tagBase
	if defaultBranch != "" {
		from = defaultBranch
	}
	cfgRefs := named(refs, from)
	if len(cfgRefs) == 0 {
		return "", fmt.Errorf("tag %s: no branch %s (local or remote-tracking) in the clone to check that the tag is on it: fetch it (actions/checkout with fetch-depth: 0)", tag, from)
	}
	ws, err := workspaceAt(repo, cfgRefs)
	if err != nil {
		return "", fmt.Errorf("tag %s: %w", tag, err)
	}
	baseBranch := ws.BaseBranch
	if defaultBranch == "" && baseBranch != tagBase {
		return "", fmt.Errorf("tag %s: the tag's %s names base branch %s, but %s on %s names %s", tag, manifest.WorkspaceFile, tagBase, manifest.WorkspaceFile, tagBase, baseBranch)
	}
	patterns := ws.Release.Branches
	for _, b := range refs {
		if b.name != baseBranch && !pathglob.Any(patterns, b.name) {
			continue
		}
		if b.hash == commit.Hash {
			return b.name, nil
		}
		tip, err := repo.CommitObject(b.hash)
		if err != nil {
			return "", fmt.Errorf("tag %s: read %s: %w", tag, b.ref, err)
		}
		ok, err := commit.IsAncestor(tip)
		if err != nil {
			if errors.Is(err, plumbing.ErrObjectNotFound) {
				return "", fmt.Errorf("tag %s: the history of %s is incomplete (a shallow clone?): fetch it whole (fetch-depth: 0): %w", tag, b.ref.Short(), err)
			}
			return "", fmt.Errorf("tag %s: %w", tag, err)
		}
		if ok {
			return b.name, nil
		}
	}
	where := "the base branch " + baseBranch
	if len(patterns) > 0 {
		where += " or a release branch (release.branches: " + strings.Join(patterns, ", ") + ")"
	}
	return "", fmt.Errorf("tag %s: commit %s is not on %s: a release is made only from reviewed history; tag a commit of %s, or list its branch under release.branches in %s on %s",
		tag, commit.Hash.String()[:12], where, baseBranch, manifest.WorkspaceFile, from)
}
