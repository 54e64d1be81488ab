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

	"github.com/bmatcuk/doublestar/v4"
)

// skipDirs are never searched by the default (whole tree) discovery.
var skipDirs = map[string]bool{"vendor": true, "node_modules": true, "testdata": true}

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
func FindComponents(fsys fs.FS, globs []string) ([]string, error) {
	var found []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("search %s: %w", p, err)
		}
		if d.IsDir() {
			if p != "." && !searchable(p, d.Name(), globs) {
				return fs.SkipDir
			}
			return nil
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
// component.yaml files that FindComponents would find, sorted.
func MatchComponents(files []string, globs []string) []string {
	var found []string
	for _, p := range files {
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
	return found
}

// searchable says whether discovery descends into dir p.
func searchable(p, name string, globs []string) bool {
	if len(globs) == 0 {
		return !strings.HasPrefix(name, ".") && !skipDirs[name]
	}
	if strings.HasPrefix(name, ".") {
		return false
	}
	for _, g := range globs {
		if skipDirs[name] && !strings.Contains("/"+g+"/", "/"+name+"/") {
			continue // only searched when a glob names it
		}
		if couldMatchBelow(g, p) {
			return true
		}
	}
	return false
}

// couldMatchBelow says whether dir, or a folder below it, can match glob.
func couldMatchBelow(glob, dir string) bool {
	gs := strings.Split(glob, "/")
	ds := strings.Split(dir, "/")
	for i, d := range ds {
		if i >= len(gs) {
			return false
		}
		if gs[i] == "**" {
			return true
		}
		if ok, _ := path.Match(gs[i], d); !ok {
			return false
		}
	}
	return true
}

func dirMatches(dir string, globs []string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if ok, _ := doublestar.Match(g, dir); ok {
			return true
		}
	}
	return false
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
				data, err := fs.ReadFile(fsys, paths[i])
				if err != nil {
					errs[i] = fmt.Errorf("read %s: %w", paths[i], err)
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
