// Package infer finds the dependencies between components that their own
// files show: a Go import of another component's module, a package.json
// dependency on another component's npm package, a pyproject.toml
// dependency on another component's Python project. A dependency that a
// component's dependsOn does not declare is the commonest way an affected
// set ends up too small, so Undeclared lists those. It reads files only; no
// git, no engine.
package infer

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/ownership"
)

// Ecosystems that dependencies are inferred from.
const (
	Go     = "go"
	Node   = "node"
	Python = "python"
)

// Dependency is one use of another component that a component's files show.
type Dependency struct {
	// From is the component whose file uses To.
	From string
	// To is the component used; "" for a Go package in a folder of the
	// repository that no component owns (see Folder).
	To string
	// Folder is the repo-relative folder of a Go package that no
	// component owns: changes there affect no component unless a glob
	// (inputs, global) says so.
	Folder string
	// Ecosystem is Go, Node or Python.
	Ecosystem string
	// Package is what From names: a Go import path, an npm package or a
	// Python project.
	Package string
	// File is the repo-relative file that names Package, Line its line.
	File string
	Line int
}

// String says what the dependency is, for people:
// "api imports example.com/greet (component greet)".
func (d Dependency) String() string {
	verb := "imports"
	if d.Ecosystem != Go {
		verb = "depends on " + d.Ecosystem + " package"
	}
	if d.To == "" {
		return fmt.Sprintf("%s %s %s (folder %s, in no component)", d.From, verb, d.Package, d.Folder)
	}
	return fmt.Sprintf("%s %s %s (component %s)", d.From, verb, d.Package, d.To)
}

// Undeclared is the message for a dependency that dependsOn lacks, with
// the file and line first: "api/main.go:5: api imports example.com/greet
// (component greet) but does not declare dependsOn: [greet]".
func (d Dependency) Undeclared() string {
	return fmt.Sprintf("%s:%d: %s", d.File, d.Line, d.Missing())
}

// Missing is Undeclared without the file and line.
func (d Dependency) Missing() string {
	if d.To == "" {
		return fmt.Sprintf("%s but no inputs glob covers it: a change there affects nothing (add inputs: [\"%s\"])", d, folderGlob(d.Folder))
	}
	return fmt.Sprintf("%s but does not declare dependsOn: [%s]", d, d.To)
}

// Find lists every dependency between comps that the files show, one per
// pair of components (at the first file and line that shows it), sorted
// by From then To. files are the repo-relative files of fsys to read (the
// working tree's files as git lists them, say); nil means every file of
// fsys. A file belongs to the component that owns its folder (package
// ownership); files under vendor, node_modules, testdata and hidden
// folders are skipped, and so are files that do not parse: the build
// will say what is wrong with them.
func Find(fsys fs.FS, files []string, comps []*manifest.Component) ([]Dependency, error) {
	if files == nil {
		var err error
		if files, err = manifest.ListFiles(fsys); err != nil {
			return nil, err
		}
	}
	owners := ownership.New(manifest.DefaultWorkspace(), comps)
	pk := &packages{owners: owners, goMods: map[string]string{}, goDirs: map[string]bool{}, npm: map[string]string{}, py: map[string]string{}}
	byComp := map[string][]string{} // component → its files, sorted
	sorted := append([]string(nil), files...)
	sort.Strings(sorted)
	for _, f := range sorted {
		if manifest.InSkippedFolder(f) {
			continue
		}
		if strings.HasSuffix(f, ".go") {
			pk.goDirs[path.Dir(f)] = true
		}
		if path.Base(f) == "go.mod" {
			// Any module, a component's or not: its packages' folders
			// tell which component an import reaches.
			if err := pk.readGoMod(fsys, f); err != nil {
				return nil, err
			}
		}
		if c := owners.Owner(f); c != nil {
			byComp[c.Name] = append(byComp[c.Name], f)
		}
	}
	for _, c := range comps {
		if err := pk.read(fsys, c.Name, byComp[c.Name]); err != nil {
			return nil, err
		}
	}
	seen := map[[2]string]bool{}
	var out []Dependency
	add := func(d Dependency) {
		k := [2]string{d.From, d.To + "\x00" + d.Folder}
		if d.From == d.To || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, d)
	}
	for _, c := range comps {
		for _, f := range byComp[c.Name] {
			var deps []Dependency
			var err error
			switch path.Base(f) {
			case "package.json":
				deps, err = pk.nodeDeps(fsys, f)
			case "pyproject.toml":
				deps, err = pk.pythonDeps(fsys, f)
			default:
				if strings.HasSuffix(f, ".go") {
					deps, err = pk.goImports(fsys, f)
				}
			}
			if err != nil {
				return nil, err
			}
			for _, d := range deps {
				d.From = c.Name
				add(d)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].From != out[j].From {
			return out[i].From < out[j].From
		}
		if out[i].To != out[j].To {
			return out[i].To < out[j].To
		}
		return out[i].Folder < out[j].Folder
	})
	return out, nil
}

// Undeclared picks from deps those that the workspace and components do
// not account for: a component that the using component's dependsOn does
// not list, or a folder in no component whose changes (a Go file there)
// do not affect the using component through its inputs or the
// workspace's global globs.
func Undeclared(deps []Dependency, ws *manifest.Workspace, comps []*manifest.Component) []Dependency {
	declared := map[[2]string]bool{}
	byName := map[string]*manifest.Component{}
	for _, c := range comps {
		byName[c.Name] = c
		for _, d := range c.DependsOn {
			declared[[2]string{c.Name, d}] = true
		}
	}
	rules := ownership.New(ws, comps)
	var out []Dependency
	for _, d := range deps {
		if d.To == "" {
			if c := byName[d.From]; c != nil && !rules.Touches(c, path.Join(d.Folder, "x.go")) {
				out = append(out, d)
			}
			continue
		}
		if !declared[[2]string{d.From, d.To}] {
			out = append(out, d)
		}
	}
	return out
}

// folderGlob is an inputs glob, repo-relative, for a folder's files.
func folderGlob(dir string) string {
	if dir == "." {
		return "/*.go"
	}
	return "/" + dir + "/**"
}

// packages maps what each ecosystem calls a component to the component.
type packages struct {
	owners *ownership.Rules
	goMods map[string]string // module path → its folder
	goDirs map[string]bool   // folders with Go files
	npm    map[string]string // package name → component
	py     map[string]string // normalised project name → component
}

// read records the names that component name's package manifests
// (package.json, pyproject.toml among files) give it.
func (pk *packages) read(fsys fs.FS, name string, files []string) error {
	for _, f := range files {
		var err error
		switch path.Base(f) {
		case "package.json":
			err = pk.readPackageJSON(fsys, f, name)
		case "pyproject.toml":
			err = pk.readPyproject(fsys, f, name)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// maxFileSize is the largest file infer reads (generated Go code can be
// large).
const maxFileSize = 8 << 20

// readFile reads a file that infer parses. What cannot hold a dependency
// gives no data and no error: a file that is gone (listed, then deleted),
// one that is not a regular file (a symbolic link to a folder, a FIFO) or
// one larger than maxFileSize.
func readFile(fsys fs.FS, name string) ([]byte, error) {
	info, err := manifest.StatFile(fsys, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", name, err)
	case !info.Mode().IsRegular() || info.Size() > maxFileSize:
		return nil, nil
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return data, nil
}

// lineOf is the 1-based line of data's first line containing want, or 1.
func lineOf(data []byte, want string) int {
	i := strings.Index(string(data), want)
	if i < 0 {
		return 1
	}
	return strings.Count(string(data[:i]), "\n") + 1
}
