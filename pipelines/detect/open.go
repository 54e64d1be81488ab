package detect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/filesystem/dotgit"
)

// openRepo finds the work tree that contains dir and opens its
// repository read-only. go-git refuses every repository extension;
// sparse checkouts turn on extensions.worktreeConfig, which only says
// that config.worktree files exist (loadConfig reads them), so the
// extensions that do not change how objects and refs are stored are
// accepted here and hidden from go-git. Any other is refused by name.
func openRepo(dir string) (*git.Repository, string, *filesystem.Storage, error) {
	root, gitDir, err := findWorkTree(dir)
	if err != nil {
		return nil, "", nil, err
	}
	common := commonDirOf(gitDir)
	if err := checkExtensions(common); err != nil {
		return nil, "", nil, err
	}
	var repoFS billy.Filesystem = osfs.New(gitDir)
	if common != gitDir {
		repoFS = dotgit.NewRepositoryFilesystem(osfs.New(gitDir), osfs.New(common))
	}
	// Pack descriptors are kept open: by default go-git opens the
	// packfile again for every object it reads.
	st := filesystem.NewStorageWithOptions(repoFS, cache.NewObjectLRUDefault(), filesystem.Options{KeepDescriptors: true})
	r, err := git.Open(knownExtensions{st}, osfs.New(root))
	if err != nil {
		st.Close()
		return nil, "", nil, err
	}
	return r, root, st, nil
}

// findWorkTree walks up from dir to the folder that holds .git (a
// folder, or a file that names the git folder as "gitdir: path").
func findWorkTree(dir string) (root, gitDir string, err error) {
	p, err := filepath.Abs(dir)
	if err != nil {
		return "", "", err
	}
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
		p = filepath.Dir(p)
	}
	for {
		dotGit := filepath.Join(p, ".git")
		fi, err := os.Stat(dotGit)
		switch {
		case err == nil && fi.IsDir():
			return p, dotGit, nil
		case err == nil:
			data, err := os.ReadFile(dotGit)
			if err != nil {
				return "", "", err
			}
			line, _, _ := strings.Cut(string(data), "\n")
			gd, ok := strings.CutPrefix(strings.TrimSpace(line), "gitdir: ")
			if !ok {
				return "", "", fmt.Errorf("%s: no \"gitdir: \" line", dotGit)
			}
			if !filepath.IsAbs(gd) {
				gd = filepath.Join(p, gd)
			}
			return p, filepath.Clean(gd), nil
		case !errors.Is(err, fs.ErrNotExist):
			return "", "", err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return "", "", git.ErrRepositoryNotExists
		}
		p = parent
	}
}

// readOnlySafeExtensions are the repository extensions that a reader of
// commits, trees, blobs, refs and the index may ignore: worktreeConfig
// (per-worktree config files, read by loadConfig), partialClone (objects
// may be missing: reading one then fails with a clear error),
// preciousObjects (forbids deleting objects) and noop.
var readOnlySafeExtensions = map[string]bool{"worktreeconfig": true, "partialclone": true, "preciousobjects": true, "noop": true, "noop-v1": true}

// checkExtensions refuses repositories whose extensions change how they
// are stored (sha256 objects, reftable refs, …), naming them.
func checkExtensions(commonDir string) error {
	c := &gitConfig{}
	file := filepath.Join(commonDir, "config")
	if err := c.readFile(configScope{}, file, 0); err != nil {
		return err
	}
	var bad []string
	for _, v := range c.vals {
		name, ok := strings.CutPrefix(v.key, "extensions.")
		if !ok || readOnlySafeExtensions[name] || name == "objectformat" && strings.EqualFold(v.value, "sha1") {
			continue
		}
		bad = append(bad, fmt.Sprintf("extensions.%s = %s", name, v.value))
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("%s: unsupported repository extension (%s)", file, strings.Join(bad, ", "))
	}
	return nil
}

// knownExtensions is the repository's storage with the extensions that
// checkExtensions accepted hidden from go-git, which refuses them all.
type knownExtensions struct{ *filesystem.Storage }

// Config is the repository's configuration without its extensions.
func (k knownExtensions) Config() (*config.Config, error) {
	c, err := k.Storage.Config()
	if err != nil {
		return nil, err
	}
	if c.Raw != nil {
		c.Raw.RemoveSection("extensions")
	}
	return c, nil
}
