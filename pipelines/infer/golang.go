package infer

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

// readGoMod records the module path that go.mod file f declares and its
// folder. Of two modules with one path (copies, examples), the first
// sorted by folder counts.
func (pk *packages) readGoMod(fsys fs.FS, f string) error {
	data, err := readFile(fsys, f)
	if err != nil || data == nil {
		return err
	}
	mod := modulePath(data)
	if mod == "" {
		return nil // not a module the go command accepts: nothing imports it
	}
	if _, ok := pk.goMods[mod]; !ok {
		pk.goMods[mod] = path.Dir(f)
	}
	return nil
}

// modulePath is the path of go.mod's module directive ("" when none),
// as golang.org/x/mod/modfile.ModulePath reads it.
func modulePath(data []byte) string {
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		rest, ok := strings.CutPrefix(line, "module")
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t' && rest[0] != '"' && rest[0] != '/') {
			continue
		}
		rest, _, _ = strings.Cut(rest, "//")
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, `"`) || strings.HasPrefix(rest, "`") {
			if s, err := strconv.Unquote(rest); err == nil {
				return s
			}
			return ""
		}
		return rest
	}
	return ""
}

// goImports lists the components that Go file f imports. A file that
// does not parse is skipped: the compiler will say what is wrong with it.
func (pk *packages) goImports(fsys fs.FS, f string) ([]Dependency, error) {
	if len(pk.goMods) == 0 {
		return nil, nil
	}
	data, err := readFile(fsys, f)
	if err != nil || data == nil {
		return nil, err
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, f, data, parser.ImportsOnly)
	if err != nil {
		return nil, nil
	}
	var out []Dependency
	for _, imp := range file.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			continue
		}
		to, folder, ok := pk.goPackage(p)
		if !ok {
			continue
		}
		d := Dependency{Ecosystem: Go, Package: p, File: f, Line: fset.Position(imp.Path.Pos()).Line}
		switch {
		case to != nil:
			d.To = to.Name
		case pk.goDirs[folder]:
			d.Folder = folder
		default:
			continue // not in the repository (generated, say)
		}
		out = append(out, d)
	}
	return out, nil
}

// goPackage finds package p in the repository: p is in the module whose
// path is the longest prefix of p (or p itself), at that module's folder
// joined with the rest of p. It returns the component that owns that
// folder (nil when none does) and the folder; ok is false for a package
// of no module in the repository.
func (pk *packages) goPackage(p string) (comp *manifest.Component, folder string, ok bool) {
	for m := p; ; {
		if dir, found := pk.goMods[m]; found {
			folder = path.Join(dir, strings.TrimPrefix(strings.TrimPrefix(p, m), "/"))
			return pk.owners.Owner(path.Join(folder, "x.go")), folder, true
		}
		i := strings.LastIndex(m, "/")
		if i < 0 {
			return nil, "", false
		}
		m = m[:i]
	}
}
