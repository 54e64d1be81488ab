package release

import (
	"errors"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/ownership"
)

// Commit is one entry of release notes.
type Commit struct {
	Hash    string `json:"hash"`
	Subject string `json:"subject"`
	Author  string `json:"author"`
}

// Notes are the commits that touched a component between two of its tags.
type Notes struct {
	Tag string `json:"tag"`
	// Previous is the component's previous release tag ("" for the first).
	Previous string `json:"previous,omitempty"`
	// Commits are newest first (by commit time); merge commits are left out (the commits
	// they merge are listed).
	Commits []Commit `json:"commits"`
}

// Markdown renders the notes as a GitHub release body.
func (n Notes) Markdown() string {
	var b strings.Builder
	if n.Previous == "" {
		b.WriteString("First release.\n\n")
	} else {
		fmt.Fprintf(&b, "Changes since %s:\n\n", n.Previous)
	}
	if len(n.Commits) == 0 {
		b.WriteString("No changes to this component.\n")
	}
	for _, c := range n.Commits {
		fmt.Fprintf(&b, "- %s (%s, %s)\n", c.Subject, c.Hash[:min(12, len(c.Hash))], c.Author)
	}
	return b.String()
}

// ReleaseNotes lists the commits reachable from t's tag, and not from the
// component's previous tag, that changed a path affecting the component,
// by the rule plan uses (package ownership): its folder less nested
// components' folders, its inputs and the workspace's global globs, less
// its own and the workspace's ignore globs. ws and comps are the
// repository's workspace and components at the tag.
func ReleaseNotes(repo *git.Repository, ws *manifest.Workspace, t Target, comps []*manifest.Component) (Notes, error) {
	n := Notes{Tag: t.Tag}
	head, err := tagCommit(repo, t.Tag)
	if err != nil {
		return n, err
	}
	if n.Previous, err = previousTag(repo, t); err != nil {
		return n, err
	}
	seen := map[plumbing.Hash]bool{}
	if n.Previous != "" {
		prev, err := tagCommit(repo, n.Previous)
		if err != nil {
			return n, err
		}
		err = object.NewCommitPreorderIter(prev, nil, nil).ForEach(func(c *object.Commit) error {
			seen[c.Hash] = true
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("walk history of %s: %w", n.Previous, err)
		}
	}
	rules := ownership.New(ws, comps)
	touches := func(p string) bool { return rules.Touches(t.Component, p) }
	err = object.NewCommitIterCTime(head, seen, nil).ForEach(func(c *object.Commit) error {
		if c.NumParents() > 1 {
			return nil
		}
		hit, err := touched(c, touches)
		if err != nil || !hit {
			return err
		}
		subject, _, _ := strings.Cut(strings.TrimSpace(c.Message), "\n")
		n.Commits = append(n.Commits, Commit{Hash: c.Hash.String(), Subject: subject, Author: c.Author.Name})
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("walk history of %s: %w", t.Tag, err)
	}
	return n, nil
}

// tagCommit resolves a tag name, lightweight or annotated, to its commit.
func tagCommit(repo *git.Repository, tag string) (*object.Commit, error) {
	ref, err := repo.Tag(tag)
	if err != nil {
		return nil, fmt.Errorf("tag %s: %w", tag, err)
	}
	h := ref.Hash()
	if to, err := repo.TagObject(h); err == nil {
		c, err := to.Commit()
		if err != nil {
			return nil, fmt.Errorf("tag %s: %w", tag, err)
		}
		return c, nil
	} else if !errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("tag %s: %w", tag, err)
	}
	c, err := repo.CommitObject(h)
	if err != nil {
		return nil, fmt.Errorf("tag %s: not a commit: %w", tag, err)
	}
	return c, nil
}

// previousTag is the component's highest release tag below t's version;
// a stable release skips pre-releases, so its notes cover the whole cycle.
func previousTag(repo *git.Repository, t Target) (string, error) {
	iter, err := repo.Tags()
	if err != nil {
		return "", fmt.Errorf("list tags: %w", err)
	}
	var best *semver.Version
	var bestTag string
	err = iter.ForEach(func(ref *plumbing.Reference) error {
		name := ref.Name().Short()
		rest, ok := strings.CutPrefix(name, t.Prefix)
		if !ok {
			return nil
		}
		v, err := semver.StrictNewVersion(rest)
		if err != nil || !v.LessThan(t.Version) || (t.Version.Prerelease() == "" && v.Prerelease() != "") {
			return nil
		}
		if best == nil || v.GreaterThan(best) {
			best, bestTag = v, name
		}
		return nil
	})
	if err != nil && !errors.Is(err, storer.ErrStop) {
		return "", fmt.Errorf("list tags: %w", err)
	}
	return bestTag, nil
}

// touched reports whether commit c (not a merge) changed a matching path.
func touched(c *object.Commit, match func(string) bool) (bool, error) {
	tree, err := c.Tree()
	if err != nil {
		return false, fmt.Errorf("commit %s: %w", c.Hash, err)
	}
	var parentTree *object.Tree
	if c.NumParents() == 1 {
		p, err := c.Parent(0)
		if err != nil {
			return false, fmt.Errorf("commit %s: parent: %w", c.Hash, err)
		}
		if parentTree, err = p.Tree(); err != nil {
			return false, fmt.Errorf("commit %s: parent tree: %w", c.Hash, err)
		}
	}
	changes, err := object.DiffTree(parentTree, tree)
	if err != nil {
		return false, fmt.Errorf("commit %s: diff: %w", c.Hash, err)
	}
	for _, ch := range changes {
		for _, p := range []string{ch.From.Name, ch.To.Name} {
			if p != "" && match(p) {
				return true, nil
			}
		}
	}
	return false, nil
}
