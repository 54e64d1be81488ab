package manifest

import (
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/monopipe/monopipe/pipelines/pathglob"
)

// skipDirs are never searched by the default (whole tree) discovery.
var skipDirs = map[string]bool{"vendor": true, "node_modules": true, "testdata": true}

// SkippedFolder reports whether default discovery never searches a folder
// named name: a hidden one, vendor, node_modules or testdata (their files
// are not the repository's own projects).
func SkippedFolder(name string) bool { return strings.HasPrefix(name, ".") || skipDirs[name] }

// InSkippedFolder reports whether the repo-relative path p lies below a
// folder that SkippedFolder names.
func InSkippedFolder(p string) bool {
	for _, d := range strings.Split(path.Dir(p), "/") {
		if d != "." && SkippedFolder(d) {
			return true
		}
	}
	return false
}

// ListFiles lists the regular files of fsys outside the folders that
// SkippedFolder names, for a repository git lists no files of yet.
func ListFiles(fsys fs.FS) ([]string, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("search %s: %w", p, err)
		}
		if d.IsDir() {
			if p != "." && SkippedFolder(d.Name()) {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	return files, err
}

// Load reads the workspace and every component from fsys, whose root is the
// repository root. Components are returned sorted by Dir.
func Load(fsys fs.FS) (*Workspace, []*Component, error) {
	ws, err := ReadWorkspace(fsys)
	if err != nil {
		return nil, nil, err
	}
	paths, err := FindComponents(fsys, ws.Components)
	if err != nil {
		return nil, nil, err
	}
	comps, err := ParseComponents(fsys, paths)
	if err != nil {
		return nil, nil, err
	}
	return ws, comps, nil
}

// FindComponents lists the repo-relative paths of the component.yaml files
// in folders matching globs (every folder when globs is empty), sorted.
// Submodules (gitlinks in a git tree) are not searched; a folder named
// component.yaml where one is looked for is an error.
func FindComponents(fsys fs.FS, globs []string) ([]string, error) {
	var found []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("search %s: %w", p, err)
		}
		if d.IsDir() {
			if p == "." {
				return nil
			}
			if d.Name() == ComponentFile && dirMatches(path.Dir(p), globs) {
				return fmt.Errorf("%s: is a directory, not a component file", p)
			}
			if !searchable(p, d.Name(), globs) {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeDir != 0 {
			return nil // a gitlink (submodule) in a git tree
		}
		if d.Name() == ComponentFile && dirMatches(path.Dir(p), globs) {
			found = append(found, p)
		}
		return nil
	})
	sort.Strings(found)
	return found, err
}

// MatchComponents picks from a list of repo-relative file paths the
// component.yaml files that FindComponents would find, sorted. A file below
// a folder named component.yaml, where one is looked for, is an error.
func MatchComponents(files []string, globs []string) ([]string, error) {
	var found []string
	for _, p := range files {
		if strings.Contains("/"+p, "/"+ComponentFile+"/") {
			dir := p[:strings.Index("/"+p, "/"+ComponentFile+"/")+len(ComponentFile)]
			if found, _ := MatchComponents([]string{dir}, globs); len(found) > 0 {
				return nil, fmt.Errorf("%s: is a directory, not a component file", dir)
			}
		}
		if path.Base(p) != ComponentFile {
			continue
		}
		dir := path.Dir(p)
		ok := dirMatches(dir, globs)
		for d := dir; ok && d != "."; d = path.Dir(d) {
			ok = searchable(d, path.Base(d), globs)
		}
		if ok {
			found = append(found, p)
		}
	}
	sort.Strings(found)
	return found, nil
}

// searchable says whether discovery descends into dir p: never into hidden
// folders; into vendor, node_modules and testdata only when a glob names
// them; else when a glob can match p or a folder below it.
func searchable(p, name string, globs []string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	if len(globs) == 0 {
		return !skipDirs[name]
	}
	for _, g := range globs {
		if ok, named := pathglob.CouldMatchBelow(g, p); ok && (named || !skipDirs[name]) {
			return true
		}
	}
	return false
}

func dirMatches(dir string, globs []string) bool {
	return len(globs) == 0 || pathglob.Any(globs, dir)
}

// ParseComponents reads and parses the component files at paths, in
// parallel, and checks that names are unique.
func ParseComponents(fsys fs.FS, paths []string) ([]*Component, error) {
	return ParseComponentsReusing(fsys, paths, nil)
}

// ParseComponentsReusing is ParseComponents for when some files were
// parsed before: reuse(path), when not nil, returns that earlier result,
// or nil to read and parse the file.
func ParseComponentsReusing(fsys fs.FS, paths []string, reuse func(path string) *Component) ([]*Component, error) {
	comps := make([]*Component, len(paths))
	errs := make([]error, len(paths))
	var todo []int
	for i, p := range paths {
		if reuse != nil {
			comps[i] = reuse(p)
		}
		if comps[i] == nil {
			todo = append(todo, i)
		}
	}
	var wg sync.WaitGroup
	var next atomic.Int64
	workers := min(runtime.GOMAXPROCS(0), len(todo))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := int(next.Add(1)) - 1; k < len(todo); k = int(next.Add(1)) - 1 {
				i := todo[k]
				data, err := ReadFile(fsys, paths[i])
				if err != nil {
					errs[i] = err
					continue
				}
				comps[i], errs[i] = ParseComponent(paths[i], data)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	byName := map[string]*Component{}
	for _, c := range comps {
		if prev, ok := byName[c.Name]; ok {
			return nil, fmt.Errorf("duplicate component name %q: %s and %s", c.Name, prev.Path, c.Path)
		}
		byName[c.Name] = c
	}
	return comps, nil
}

// MaxFileSize is the largest manifest monopipe reads: 1 MiB.
const MaxFileSize = 1 << 20

// ReadFile reads the manifest file name of fsys after checking, without
// opening it, that it is a regular file (a symbolic link to one counts) of
// at most MaxFileSize bytes: opening a FIFO blocks, a device never ends,
// and a huge file would be read whole. Errors name the file.
func ReadFile(fsys fs.FS, name string) ([]byte, error) {
	info, err := StatFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	switch {
	case info.IsDir():
		return nil, fmt.Errorf("%s: is a directory, not a manifest file", name)
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("%s: not a regular file (%s)", name, fileType(info.Mode()))
	case info.Size() > MaxFileSize:
		return nil, fmt.Errorf("%s: %d bytes; a manifest holds at most %d (1 MiB)", name, info.Size(), MaxFileSize)
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: more than %d bytes; a manifest holds at most 1 MiB", name, MaxFileSize)
	}
	return data, nil
}

// StatFile describes file name of fsys, following symbolic links, without
// opening it where fsys allows: through fs.StatFS, else through its
// folder's listing (a git tree gives sizes without reading contents); a
// symbolic link in a listing is opened to be followed.
func StatFile(fsys fs.FS, name string) (fs.FileInfo, error) {
	if sfs, ok := fsys.(fs.StatFS); ok {
		return sfs.Stat(name)
	}
	if _, ok := fsys.(fs.ReadDirFS); ok && fs.ValidPath(name) && name != "." {
		ents, err := fs.ReadDir(fsys, path.Dir(name))
		if err != nil {
			return nil, err
		}
		base := path.Base(name)
		for _, e := range ents {
			if e.Name() == base && e.Type()&fs.ModeSymlink == 0 {
				return e.Info()
			} else if e.Name() == base {
				return fs.Stat(fsys, name)
			}
		}
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return fs.Stat(fsys, name)
}

// fileType names a file mode's type for errors.
func fileType(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeDir != 0:
		return "a submodule or folder"
	}
	return m.Type().String()
}
