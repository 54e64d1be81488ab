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
//     git finds in a container that mounts source (worktreeChanges),
//     listed in u for detect.OpenUncommitted;
//   - the whole repository where that cannot give git's answer: a linked
//     work tree (.git is a file), no commit yet, a conflict, or what
//     planning refuses with detect.ErrNeedsWorktree (submodules, nested
//     repositories, links to changed files).
func planCopy(ctx context.Context, client *dagger.Client, source *dagger.Directory, worktree bool, plan func(dir string, u *detect.Uncommitted) error) error {
	dir, err := planCopyKept(ctx, client, source, worktree, plan)
	if dir != "" {
		os.RemoveAll(dir)
	}
	return err
}

// planCopyKept is planCopy that keeps the copy, for the caller to remove
// ("" when there is none): a CI run decides the order of its deploys in
// its history (see orderCheck).
func planCopyKept(ctx context.Context, client *dagger.Client, source *dagger.Directory, worktree bool, plan func(dir string, u *detect.Uncommitted) error) (string, error) {
	dir, u, why := partialCopy(ctx, client, source, worktree)
	if why == nil {
		err := plan(dir, u)
		if !errors.Is(err, detect.ErrNeedsWorktree) {
			return dir, err
		}
		os.RemoveAll(dir)
		why = err
	}
	fmt.Fprintf(os.Stderr, "monopipe: planning on a copy of the whole repository: %v\n", why)
	dir, err := export(ctx, source)
	if err != nil {
		return "", err
	}
	return dir, plan(dir, nil)
}

// partialCopy exports the git folder, and with worktree the working
// tree's changes from HEAD; an error says why it cannot.
func partialCopy(ctx context.Context, client *dagger.Client, source *dagger.Directory, worktree bool) (dir string, u *detect.Uncommitted, err error) {
	include := []string{".git"}
	if worktree {
		if u, err = worktreeChanges(ctx, client, source); err != nil {
			return "", nil, err
		}
		for _, p := range append(u.Added, u.Modified...) {
			include = append(include, escapePattern(strings.TrimSuffix(p, "/"))) // a folder with all below it
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

// worktreeChanges runs detect.StatusScript in a container of StatusImage
// that mounts source. The engine caches the run by source's content, so an
// unchanged repository costs nothing the second time; a changed one costs
// git's look at every file's size and time, and a read of the changed
// ones (GitRepository.uncommitted, which re-reads every file, took ten
// times as long on a 48,000-file repository).
func worktreeChanges(ctx context.Context, client *dagger.Client, source *dagger.Directory) (*detect.Uncommitted, error) {
	out, err := client.Container().From(StatusImage).
		WithMountedDirectory("/src", source).
		WithWorkdir("/src").
		WithExec([]string{"sh", "-c", detect.StatusScript}).
		Stdout(ctx)
	if err != nil {
		return nil, fmt.Errorf("uncommitted changes (git in %s): %w", StatusImage, err)
	}
	u, err := detect.ParseStatus([]byte(out))
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// StatusImage is the image worktreeChanges runs git in: Debian's git, on
// the base the default Go image is built from (golang:*-bookworm is
// FROM buildpack-deps:bookworm-scm), so a laptop that builds Go components
// has its layers already.
const StatusImage = "buildpack-deps:bookworm-scm"

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
