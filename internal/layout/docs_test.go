package layout

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// root is the repository root, from this package's folder.
var root = filepath.Join("..", "..")

// goPackages are the folders under pipelines/, internal/ and cmd/ that
// hold Go files, repo-relative with forward slashes.
func goPackages(t *testing.T) []string {
	t.Helper()
	var pkgs []string
	for _, top := range []string{"pipelines", "internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") {
				return nil
			}
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			if rel = filepath.ToSlash(rel); !slices.Contains(pkgs, rel) {
				pkgs = append(pkgs, rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return pkgs
}

// TestReadmePackageTable: the README's package table has a row for every
// package under pipelines/, internal/ and cmd/, and none for a package
// that is gone.
func TestReadmePackageTable(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(data), "\n| package | provides |\n")
	if !ok {
		t.Fatal("README.md has no package table (| package | provides |)")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([^`]+)`").FindAllStringSubmatch(table, -1) {
		listed[strings.TrimSuffix(m[1], "/")] = true
	}
	pkgs := goPackages(t)
	if len(pkgs) < 10 {
		t.Fatalf("found %d packages: the walk is looking in the wrong place", len(pkgs))
	}
	for _, p := range pkgs {
		if !listed[p] {
			t.Errorf("README.md's package table has no row for %s", p)
		}
		delete(listed, p)
	}
	for p := range listed {
		if strings.HasPrefix(p, "pipelines/") || strings.HasPrefix(p, "internal/") || strings.HasPrefix(p, "cmd/") {
			t.Errorf("README.md's package table lists %s, which has no Go files", p)
		}
	}
}

// TestDocLinks: every relative link in the README, CONTRIBUTING.md and
// docs/*.md points at a file or folder that exists.
func TestDocLinks(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(root, "README.md"), filepath.Join(root, "CONTRIBUTING.md"))
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// Code is not a link: `[a-z]{0,61}(x)` in a pattern is text.
	code := regexp.MustCompile("(?s)```.*?```|`[^`\n]*`")
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(code.ReplaceAllString(string(data), ""), -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			n++
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), filepath.FromSlash(target))); err != nil {
				rel, _ := filepath.Rel(root, f)
				t.Errorf("%s links to %s, which does not exist", filepath.ToSlash(rel), m[1])
			}
		}
	}
	if n < 5 {
		t.Errorf("found %d relative links: the docs should link each other", n)
	}
}
