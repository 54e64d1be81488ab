package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"dagger.io/dagger"

	"github.com/monopipe/monopipe/pipelines/build"
	"github.com/monopipe/monopipe/pipelines/deploy"
	"github.com/monopipe/monopipe/pipelines/detect"
	"github.com/monopipe/monopipe/pipelines/github"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/release"
	"github.com/monopipe/monopipe/pipelines/trigger"
)

// ReleaseOptions are the inputs of a release.
type ReleaseOptions struct {
	// Tag is the pushed tag, <component>/vX.Y.Z or vX.Y.Z.
	Tag string
	// Repo is the GitHub repository, owner/name; default the one the
	// checkout's origin remote names.
	Repo string
	// DefaultBranch is the repository's default branch as the CI host
	// names it ("" when unknown): its monopipe.yaml says which branches a
	// release tag may be on (see release.CheckReachable).
	DefaultBranch string
	Secrets       Secrets
	// GitHubAPI is the GitHub API root; default https://api.github.com/.
	GitHubAPI string
	// DryRun builds and tests, and only prints what publish, deploy and the
	// GitHub release would do.
	DryRun      bool
	Concurrency int
	// Log receives progress (default os.Stderr).
	Log io.Writer
}

// Release releases the component a tag names: it checks the tag and the
// component's recorded version, builds and tests the component at the tag
// (which source must be checked out at, with no uncommitted or untracked
// files; the build reads the tagged commit's git tree), publishes it with version tags,
// deploys it when release.deploy says so, and creates or updates the GitHub
// release with notes. Unlike CI, a failed build fails the release.
func Release(ctx context.Context, client *dagger.Client, source *dagger.Directory, o ReleaseOptions) (*Report, error) {
	o.Secrets.exchangeAWS(ctx, logTo(o.Log))
	rep, err := runRelease(ctx, client, source, o)
	return rep, o.Secrets.scrub(err)
}

func runRelease(ctx context.Context, client *dagger.Client, source *dagger.Directory, o ReleaseOptions) (*Report, error) {
	log := logTo(o.Log)
	dir, err := Checkout(ctx, source)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	rel, gh, err := prepare(ctx, dir, o)
	if err != nil {
		return nil, err
	}
	name := rel.Component.Name
	p, err := plan.Make(ctx, plan.Options{Dir: dir, Head: rel.Commit, All: true, Components: []string{name}, Trees: true})
	if err != nil {
		return nil, err
	}
	p.Reason = fmt.Sprintf("release %s of %s", rel.Version, name)
	d := trigger.Decision{Action: trigger.ActionRelease, Head: rel.Commit, Tag: o.Tag, Publish: true, Deploy: rel.Deploy(), Secrets: true, Trusted: true,
		Reason: fmt.Sprintf("tag %s: release %s %s", o.Tag, name, rel.Version)}
	fmt.Fprintln(log, d.Reason)

	// Build the git tree of the tagged commit, not the checkout: no
	// uncommitted, untracked or ignored file reaches the release (prepare
	// refused the first two already).
	tagged := source.AsGit().Commit(rel.Commit).Tree(dagger.GitRefTreeOpts{DiscardGitDir: true})
	b := build.New(client, tagged, p.Workspace, p.Manifests, build.WithTrees(p.Trees), build.WithCacheScope(cacheScope(repoOf(dir, o.Repo), d.Trusted)), build.WithSecrets(o.Secrets.Build))
	sh, err := newShipper(b, p.Workspace)
	if err != nil {
		return nil, err
	}
	defer sh.close()
	sh.ship = func(plan.Component) (bool, string) { return true, "" }
	sh.commit, sh.version, sh.when = rel.Commit, rel.Version.String(), deploy.When{Release: true}
	sh.repoDir = dir
	sh.provenance = provenanceOf(dir, rel.Commit, o.Repo, log)
	sh.secrets, sh.dryRun = o.Secrets.Publish, o.DryRun
	if !rel.Deploy() {
		sh.noDeploy = "release.deploy is not set for " + name
	}
	if gh != nil {
		sh.reporter = &ghDeployments{gh: gh, redact: o.Secrets.redactor(), log: log}
	}
	r, err := Run(ctx, b, p, BuildOptions{Concurrency: o.Concurrency, Secrets: o.Secrets.values(), Pairs: o.Secrets.pairs(), Steps: sh.steps()})
	if err != nil {
		return nil, err
	}
	if r.Err != nil {
		return nil, fmt.Errorf("release %s failed (no GitHub release made):\n%s", o.Tag, r.Summary())
	}
	info := "\n### Release notes\n\n" + rel.Notes.Markdown()
	note, err := githubRelease(ctx, gh, rel, o.DryRun)
	if err != nil {
		return nil, err
	}
	if note != "" {
		fmt.Fprintln(log, note)
		info += "\n" + note + "\n"
	}
	return newReport(d, r, info, nil, o.Secrets)
}

// githubRelease creates or updates the GitHub release of rel with its
// notes (gh nil: none is wanted) and says what it did.
func githubRelease(ctx context.Context, gh *github.Client, rel *release.Release, dryRun bool) (string, error) {
	ghr := github.Release{Tag: rel.Tag, Name: rel.Name(), Body: rel.Notes.Markdown(), Prerelease: rel.Version.Prerelease() != ""}
	switch {
	case !rel.GitHubRelease():
		return "", nil
	case dryRun:
		return "dry run: would create or update the GitHub release " + ghr.Name, nil
	}
	url, err := gh.UpsertRelease(ctx, ghr)
	if err != nil {
		return "", fmt.Errorf("release %s: built and published, but the GitHub release failed (re-run to finish): %w", rel.Tag, err)
	}
	return "GitHub release: " + url, nil
}

// prepare checks everything a release can check before building: the tag
// (a component, a semantic version, the recorded version, on the base
// branch or a release branch), that dir is checked out at it with no
// uncommitted or untracked files, and the GitHub client for the release
// (nil when none is made).
func prepare(ctx context.Context, dir string, o ReleaseOptions) (*release.Release, *github.Client, error) {
	rel, err := release.PrepareFrom(dir, o.Tag, o.DefaultBranch)
	if err != nil {
		return nil, nil, err
	}
	if err := atCommit(ctx, dir, rel.Commit, o.Tag); err != nil {
		return nil, nil, err
	}
	if !rel.GitHubRelease() || o.DryRun {
		return rel, nil, nil
	}
	gh, err := releaseClient(dir, o)
	return rel, gh, err
}

// atCommit checks that the checkout in dir is at the tag's commit, with
// no uncommitted or untracked files (git-ignored ones aside), so that what
// is built is what the tag names. (The build then reads the tag's git tree,
// which leaves out ignored files too.)
func atCommit(ctx context.Context, dir, commit, tag string) error {
	repo, err := detect.Open(dir)
	if err != nil {
		return err
	}
	defer repo.Close()
	head, err := repo.Git().Head()
	if err != nil {
		return fmt.Errorf("read HEAD: %w", err)
	}
	if h := head.Hash().String(); h != commit {
		return fmt.Errorf("release %s: the source is at %s but the tag points at %s: check out the tag", tag, h, commit)
	}
	res, err := repo.Changes(ctx, detect.Range{Base: commit})
	if err != nil {
		return fmt.Errorf("release %s: check the working tree: %w", tag, err)
	}
	if len(res.Paths) > 0 {
		const most = 5
		paths := res.Paths
		more := ""
		if len(paths) > most {
			paths, more = paths[:most], fmt.Sprintf(" and %d more", len(res.Paths)-most)
		}
		return fmt.Errorf("release %s: the checkout has uncommitted or untracked files (%s%s): a release builds exactly the tagged commit; commit, stash (git stash -u) or remove them, or release from a fresh clone",
			tag, strings.Join(paths, ", "), more)
	}
	return nil
}

// releaseClient is the GitHub client for the release: the token is
// required, and the repository comes from o.Repo or the origin remote.
func releaseClient(dir string, o ReleaseOptions) (*github.Client, error) {
	repo := o.Repo
	if repo == "" {
		var err error
		if repo, err = originRepo(dir); err != nil {
			return nil, fmt.Errorf("release %s: %w (pass --repo owner/name)", o.Tag, err)
		}
	}
	r, err := trigger.ParseRepo(repo)
	if err != nil {
		return nil, err
	}
	if o.Secrets.GitHubToken == "" {
		return nil, fmt.Errorf("release %s: creating the GitHub release needs --github-token (or set release.githubRelease: false)", o.Tag)
	}
	return github.New(github.Options{Token: o.Secrets.GitHubToken, Owner: r.Owner, Repo: r.Name, BaseURL: o.GitHubAPI, HTTPClient: apiClient})
}

// githubURLRE matches a GitHub remote: https://host/owner/name(.git),
// git@host:owner/name(.git), ssh://git@host/owner/name(.git).
var githubURLRE = regexp.MustCompile(`^(?:[a-z+]+://)?(?:[^@/]+@)?[^/:]+[:/]([^/]+)/([^/]+?)(?:\.git)?/?$`)

// originRepo reads owner/name from the origin remote's URL.
func originRepo(dir string) (string, error) {
	repo, err := detect.Open(dir)
	if err != nil {
		return "", err
	}
	defer repo.Close()
	remote, err := repo.Git().Remote("origin")
	if err != nil {
		return "", fmt.Errorf("no origin remote to name the GitHub repository: %w", err)
	}
	return repoFromURL(remote.Config().URLs[0])
}

// repoFromURL reads owner/name from a git remote URL.
func repoFromURL(u string) (string, error) {
	m := githubURLRE.FindStringSubmatch(u)
	if m == nil {
		return "", errors.New("the origin remote's URL names no owner/name") // the URL may hold a credential
	}
	return m[1] + "/" + m[2], nil
}
