package adopt

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/iancoleman/strcase"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

// daggerModule is what init proposes for a component that is a Dagger
// module: the functions to call and the files beyond its folder that the
// module needs.
type daggerModule struct {
	build, test string // function names, as `dagger call` spells them
	sourceArg   string // the build function's Directory argument, when not "source"
	// inputs are repo-relative globs of the module's local dependencies
	// outside its folder (dagger.json's dependencies).
	inputs []string
	// functions are the main object's functions, when its source could
	// be read (a Go module); nil otherwise.
	functions []string
}

// readDaggerModule reads the module in dir: dagger.json's name, source
// and local dependencies, and, for a Go module, its main object's
// functions (exported methods of the type named after the module).
// Without functions to go by, build and test are the defaults.
func readDaggerModule(fsys fs.FS, dir string, note func(string, ...any)) daggerModule {
	dm := daggerModule{build: manifest.DefaultDaggerFunction, test: "test"}
	var dj struct {
		Name   string `json:"name"`
		Source string `json:"source"`
		SDK    struct {
			Source string `json:"source"`
		} `json:"sdk"`
		Dependencies []struct {
			Name   string `json:"name"`
			Source string `json:"source"`
		} `json:"dependencies"`
	}
	file := path.Join(dir, "dagger.json")
	data, err := manifest.ReadFile(fsys, file)
	if err == nil {
		err = json.Unmarshal(data, &dj)
	}
	if err != nil {
		note("%s: %v: proposed with functions build and test", file, err)
		return dm
	}
	for _, d := range dj.Dependencies {
		if !strings.HasPrefix(d.Source, ".") {
			continue // a remote module: the engine fetches it
		}
		dep := path.Join(dir, d.Source)
		if dep == ".." || strings.HasPrefix(dep, "../") {
			note("%s: dependency %s (%s) is outside the repository", file, d.Name, d.Source)
			continue
		}
		if dir != "." && dep != dir && !strings.HasPrefix(dep, dir+"/") {
			dm.inputs = append(dm.inputs, "/"+dep+"/**")
		}
	}
	if dj.SDK.Source != "go" || dj.Name == "" {
		return dm
	}
	fns, params := goFunctions(fsys, path.Join(dir, dj.Source), strcase.ToCamel(dj.Name))
	if len(fns) == 0 {
		return dm
	}
	dm.functions = fns
	pick := func(want string) string {
		if slices.Contains(fns, want) {
			return want
		}
		for _, f := range fns {
			if strings.HasPrefix(f, want) {
				return f
			}
		}
		return ""
	}
	dm.build, dm.test = pick("build"), pick("test")
	if dm.build == "" {
		dm.build = manifest.DefaultDaggerFunction
		note("%s: module %s has no build function (its functions: %s): set build.function", file, dj.Name, strings.Join(fns, ", "))
	}
	if src := params[dm.build]; src != "" && src != manifest.DefaultSourceArg {
		dm.sourceArg = src
	}
	return dm
}

// goFunctions lists the exported methods of type obj in the Go files of
// dir (as `dagger call` names them, sorted), and for each the name of its
// first *dagger.Directory parameter.
func goFunctions(fsys fs.FS, dir, obj string) ([]string, map[string]string) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, nil
	}
	var fns []string
	params := map[string]string{}
	fset := token.NewFileSet()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") || e.Name() == "dagger.gen.go" {
			continue
		}
		src, err := manifest.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), src, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || len(fd.Recv.List) != 1 || !fd.Name.IsExported() || receiver(fd.Recv.List[0].Type) != obj {
				continue
			}
			name := strcase.ToKebab(fd.Name.Name)
			fns = append(fns, name)
			for _, p := range fd.Type.Params.List {
				if isDirectory(p.Type) && len(p.Names) > 0 {
					params[name] = p.Names[0].Name
					break
				}
			}
		}
	}
	slices.Sort(fns)
	return fns, params
}

// receiver is the type name of a method's receiver (T or *T).
func receiver(e ast.Expr) string {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// isDirectory says whether a parameter's type is *dagger.Directory.
func isDirectory(e ast.Expr) bool {
	s, ok := e.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := s.X.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Directory"
}

// render writes the build and test sections (and inputs) of a proposed
// kind dagger component.yaml.
func (dm daggerModule) render() string {
	var b strings.Builder
	if len(dm.inputs) > 0 {
		b.WriteString("# The module's local dependencies (dagger.json), outside its folder.\ninputs:\n")
		for _, in := range dm.inputs {
			fmt.Fprintf(&b, "  - %q\n", in)
		}
	}
	fmt.Fprintf(&b, "build:\n  function: %s\n", dm.build)
	if dm.sourceArg != "" {
		fmt.Fprintf(&b, "  sourceArg: %s\n", dm.sourceArg)
	}
	if dm.test != "" {
		fmt.Fprintf(&b, "test:\n  function: %s\n", dm.test)
	}
	return b.String()
}
