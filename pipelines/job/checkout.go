package job

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"dagger.io/dagger"

	"github.com/monopipe/monopipe/pipelines/detect"
)

// Checkout exports the whole repository directory (with its .git) to a
// local folder and returns the folder.
func Checkout(ctx context.Context, source *dagger.Directory) (string, error) {
	return export(ctx, source)
}

func export(ctx context.Context, d *dagger.Directory) (string, error) {
	dir, err := os.MkdirTemp("", "monopipe-source-")
	if err != nil {
		return "", err
	}
	if _, err := d.Export(ctx, dir); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("export source: %w", err)
	}
	return dir, nil
}

// planCopy calls plan with a local folder that holds what planning reads
// from the repository in source, and removes it after. Exporting the whole
// repository costs what the repository weighs (seconds per hundred
// megabytes, and every file's stat data then matches nothing in the
// index), so:
//   - without the working tree (a head commit is given), the folder holds
//     only the git folder;
//   - with it, the git folder and the files that differ from HEAD, which
//     the engine finds by content (GitRepository.uncommitted), listed in
//     u for detect.OpenUncommitted;
//   - the whole repository where that cannot give git's answer: a linked
//     work tree (.git is a file), nested repositories (git clean, which
//     the engine's changeset is made with, keeps them), or what planning
//     refuses with detect.ErrNeedsWorktree (submodules, links).
func planCopy(ctx context.Context, source *dagger.Directory, worktree bool, plan func(dir string, u *detect.Uncommitted) error) error {
	dir, u, why := partialCopy(ctx, source, worktree)
	if why == nil {
		err := plan(dir, u)
		os.RemoveAll(dir)
		if !errors.Is(err, detect.ErrNeedsWorktree) {
			return err
		}
		why = err
	}
	fmt.Fprintf(os.Stderr, "monopipe: planning on a copy of the whole repository: %v\n", why)
	dir, err := export(ctx, source)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	return plan(dir, nil)
}

// partialCopy exports the git folder, and with worktree the working
// tree's changes from HEAD; an error says why it cannot.
func partialCopy(ctx context.Context, source *dagger.Directory, worktree bool) (dir string, u *detect.Uncommitted, err error) {
	include := []string{".git"}
	if worktree {
		nested, err := source.Glob(ctx, "**/.git")
		if err != nil {
			return "", nil, fmt.Errorf("look for nested repositories: %w", err)
		}
		for _, n := range nested {
			if n = strings.TrimSuffix(n, "/"); n != ".git" {
				return "", nil, fmt.Errorf("%s: a nested repository", n)
			}
		}
		cs := source.AsGit().Uncommitted()
		u = &detect.Uncommitted{}
		for _, l := range []struct {
			to  *[]string
			get func(context.Context) ([]string, error)
		}{{&u.Added, cs.AddedPaths}, {&u.Modified, cs.ModifiedPaths}, {&u.Removed, cs.RemovedPaths}} {
			if *l.to, err = l.get(ctx); err != nil {
				return "", nil, fmt.Errorf("uncommitted changes: %w", err)
			}
		}
		for _, p := range append(u.Added, u.Modified...) {
			if !strings.HasSuffix(p, "/") {
				include = append(include, escapePattern(p))
			}
		}
	}
	dir, err = export(ctx, source.Filter(dagger.DirectoryFilterOpts{Include: include}))
	if err != nil {
		return "", nil, err
	}
	if fi, err := os.Stat(filepath.Join(dir, ".git")); err != nil || !fi.IsDir() {
		os.RemoveAll(dir)
		return "", nil, errors.New("no .git folder (a linked work tree or no repository)")
	}
	return dir, u, nil
}

// escapePattern makes path a Filter pattern that matches only itself.
func escapePattern(path string) string {
	var b strings.Builder
	for _, r := range path {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
