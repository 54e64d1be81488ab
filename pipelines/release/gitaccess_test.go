package release

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestGitAccessThroughDetect checks that release and job open repositories
// only through detect.Open: one way to open a repository (linked work
// trees, the common dir, kept-open pack files) for every caller.
func TestGitAccessThroughDetect(t *testing.T) {
	for _, dir := range []string{".", "../job"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			gitName := ""
			for _, imp := range file.Imports {
				if p, _ := strconv.Unquote(imp.Path.Value); p == "github.com/go-git/go-git/v5" {
					gitName = "git"
					if imp.Name != nil {
						gitName = imp.Name.Name
					}
				}
			}
			if gitName == "" {
				continue
			}
			ast.Inspect(file, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == gitName {
						switch sel.Sel.Name {
						case "PlainOpen", "PlainOpenWithOptions", "Open":
							t.Errorf("%s: opens a repository with git.%s; use detect.Open", f, sel.Sel.Name)
						}
					}
				}
				return true
			})
		}
	}
}
