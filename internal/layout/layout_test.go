// Package layout checks rules of the repository's layout that no compiler
// enforces.
package layout

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoTestHelpersInPublicAPI: test helpers live under internal/, not in
// the public API. A non-test Go file under pipelines/, cmd/ or ci/ that
// imports "testing" or "net/http/httptest" is a test helper (a fake server,
// code that takes a testing.TB) that anyone could import.
func TestNoTestHelpersInPublicAPI(t *testing.T) {
	root := filepath.Join("..", "..")
	var checked int
	for _, top := range []string{"pipelines", "cmd", "ci"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if name := d.Name(); name == "testdata" || (strings.HasPrefix(name, ".") && path != filepath.Join(root, top)) {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			checked++
			for _, imp := range f.Imports {
				if p, _ := strconv.Unquote(imp.Path.Value); p == "testing" || p == "net/http/httptest" {
					rel, _ := filepath.Rel(root, path)
					t.Errorf("%s imports %q: move the test helper under internal/", filepath.ToSlash(rel), p)
				}
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	if checked == 0 {
		t.Fatal("no Go files found: the walk is looking in the wrong place")
	}
}
