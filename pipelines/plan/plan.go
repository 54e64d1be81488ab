// Package plan decides which components to build and why: it reads the
// manifests, asks detect what changed, and orders the answer by dependencies.
package plan

import (
	"context"

	"github.com/monopipe/monopipe/pipelines/detect"
	"github.com/monopipe/monopipe/pipelines/digest"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/sourcetree"
)

// Plan is the answer: the selected components, dependencies first.
type Plan struct {
	// Base is the commit compared against ("" when there is none).
	Base string `json:"base"`
	// Head is the commit compared, or "worktree" when the working tree's
	// uncommitted and untracked changes were included.
	Head string `json:"head"`
	// HeadCommit is the commit at head (HEAD when Head is "worktree").
	HeadCommit string `json:"headCommit"`
	// All is true when every component was selected.
	All bool `json:"all"`
	// Reason says why All is true, or summarises the selection.
	Reason string `json:"reason"`
	// Components are the selected components, dependencies first.
	Components []Component `json:"components"`
	// Removed are the components that exist at base and not at head
	// (deleted, or renamed), so that their deployments can be retired.
	Removed []Removed `json:"removed"`

	// Workspace is the parsed monopipe.yaml.
	Workspace *manifest.Workspace `json:"-"`
	// Manifests are every component of the repository, selected or not,
	// by name.
	Manifests map[string]*manifest.Component `json:"-"`
	// Trees are what the build of each selected component, and of every
	// component they depend on, receives from the repository, decided from
	// head's files (see package sourcetree), by name; set when
	// Options.Trees asks for them. A component whose
	// tree cannot be decided (a docker build.context outside the
	// repository) has none: its builder says why.
	Trees map[string]sourcetree.Tree `json:"-"`
}

// Component is one selected component.
type Component struct {
	Name      string        `json:"name"`
	Dir       string        `json:"dir"`
	Kind      manifest.Kind `json:"kind"`
	DependsOn []string      `json:"dependsOn"`
	// Reasons say why the component was selected.
	Reasons []string `json:"reasons"`
	// Level is the wave in which the component can build: every component
	// it depends on (among the selected) has a lower level.
	Level int `json:"level"`
	// Digest is the component's input digest ("sha256:<hex>"), set when
	// Options.Digest asks for it (see package digest).
	Digest string `json:"digest,omitempty"`
	// Inputs are the entries the digest is made of, when
	// Options.DigestInputs asks for them.
	Inputs []digest.Input `json:"-"`

	// Manifest is the component's parsed component.yaml.
	Manifest *manifest.Component `json:"-"`
}

// Removed is a component of the base revision that head no longer has.
type Removed struct {
	Name string `json:"name"`
	// Dir is the component's folder at base.
	Dir string `json:"dir"`
	// Reason says how it went, e.g. "services/old/component.yaml deleted".
	Reason string `json:"reason"`
}

// Options say what to plan.
type Options struct {
	// Dir is the repository root (or any folder inside it).
	Dir string
	// Base and Head are revisions; empty means the defaults: base is the
	// first parent of HEAD on the base branch or the merge-base with the
	// base branch elsewhere; head is HEAD plus the working tree.
	Base, Head string
	// All selects every component.
	All bool
	// Components narrows the selection to these names.
	Components []string
	// Digest computes each selected component's input digest.
	Digest bool
	// DigestInputs fills each digest's entries (Component.Inputs) too:
	// the digests are then computed in full, never taken from the memo of
	// earlier runs (which keeps sums alone).
	DigestInputs bool
	// Trees decides the source tree of each selected component and of
	// every component it depends on (Plan.Trees), for a builder.
	Trees bool
	// Uncommitted, when set, is the working tree's difference from HEAD,
	// worked out elsewhere (the Dagger engine): Dir then holds the git
	// folder and only the added and modified files (see
	// detect.Uncommitted). Planning fails with detect.ErrNeedsWorktree
	// where that cannot give git's answer.
	Uncommitted *detect.Uncommitted
	// Results, when set, is asked once the workspace is read (whose
	// cache section it may look at) for the results of earlier runs; when
	// it gives some, the plan computes the digest of every component it
	// selects (as Digest does), and heals when Heal says so.
	Results func(ws *manifest.Workspace) Results
	// Heal selects, besides what changed, every component whose input
	// digest has no successful result in Results (a component that
	// failed, or was never built with these inputs), so that a base
	// branch converges to green. See HealBranch.
	Heal bool
	// HealBranch, when set, limits Heal to a workspace whose base branch
	// it is (the branch a CI push built).
	HealBranch string
}

// Results says whether a component's result at an input digest is known
// good: a shared result cache (see package resultcache), which plan does
// not import.
type Results interface {
	// Has reports whether component has a successful result for digest.
	Has(ctx context.Context, component, digest string) (bool, error)
}

// openRepo opens the repository of opts.
func openRepo(opts Options) (*detect.Repo, error) {
	if opts.Uncommitted != nil {
		return detect.OpenUncommitted(opts.Dir, *opts.Uncommitted)
	}
	return detect.Open(opts.Dir)
}
