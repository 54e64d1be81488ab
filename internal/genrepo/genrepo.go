// Package genrepo generates large synthetic monorepos for benchmarks: many
// components with dependencies, many files and a long history, written in
// one `git fast-import` stream so that generation takes seconds.
package genrepo

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// Shape says how big the repository is.
type Shape struct {
	Components int // component folders
	Files      int // files per component, component.yaml and README.md included
	Commits    int // commits, the first one adding everything
	Seed       uint64
}

// Bench is the shape the speed figure is stated for: 2,000
// components, 48,000 files, 2,000 commits.
var Bench = Shape{Components: 2000, Files: 24, Commits: 2000, Seed: 1}

// Libraries is how many of the components are libraries.
const Libraries = 100

// Name is the folder of component i.
func Name(i int) string { return fmt.Sprintf("comp%04d", i) }

// Dir is the repo-relative folder of component i.
func Dir(i int) string { return fmt.Sprintf("services/%s", Name(i)) }

// Generate creates a repository with a checked-out working tree in dir
// (which must not exist or be empty), on branch main.
func Generate(dir string, s Shape) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := git(dir, nil, "init", "-q", "-b", "main"); err != nil {
		return err
	}
	rd, wr, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir, cmd.Stdin, cmd.Stderr = dir, rd, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start git fast-import: %w", err)
	}
	rd.Close()
	werr := writeStream(bufio.NewWriterSize(wr, 1<<20), s)
	wr.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git fast-import: %w", err)
	}
	if werr != nil {
		return werr
	}
	if err := git(dir, nil, "reset", "-q", "--hard", "main"); err != nil {
		return err
	}
	return git(dir, nil, "update-index", "-q", "--refresh")
}

func writeStream(w *bufio.Writer, s Shape) error {
	r := rand.New(rand.NewPCG(s.Seed, 2))
	file := func(path, content string) {
		fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", path, len(content), content)
	}
	commit := func(n int, msg string) {
		fmt.Fprintf(w, "commit refs/heads/main\ncommitter Gen <gen@example.com> %d +0000\ndata %d\n%s\n", 1700000000+n*60, len(msg), msg)
	}

	commit(0, "initial import")
	file("monopipe.yaml", "components: [\"services/*\"]\nglobal: [\"go.work\"]\nignore: [\"**/*.md\"]\n")
	file("go.work", "go 1.26\n")
	for i := 0; i < s.Components; i++ {
		// The first Libraries components are libraries that may use an
		// earlier library; the rest are services using one or two libraries.
		var deps []string
		switch {
		case i == 0:
		case i < Libraries:
			if r.IntN(2) == 0 {
				deps = append(deps, Name(r.IntN(i)))
			}
		default:
			for k := 0; k <= r.IntN(2); k++ {
				if d := Name(r.IntN(Libraries)); !slices.Contains(deps, d) {
					deps = append(deps, d)
				}
			}
		}
		yaml := fmt.Sprintf("name: %s\nkind: go\ndependsOn: [%s]\nignore: [\"docs/**\"]\nbuild:\n  main: ./cmd/%s\n", Name(i), strings.Join(deps, ", "), Name(i))
		file(Dir(i)+"/component.yaml", yaml)
		file(Dir(i)+"/README.md", "# "+Name(i)+"\n")
		for f := 0; f < s.Files-2; f++ {
			file(fmt.Sprintf("%s/pkg/p%d/f%02d.go", Dir(i), f%4, f), fmt.Sprintf("package p%d\n\n// F%d is generated.\nfunc F%d() int { return %d }\n", f%4, f, f, r.IntN(1000)))
		}
	}
	for n := 1; n < s.Commits; n++ {
		commit(n, fmt.Sprintf("change %d", n))
		for k := 0; k <= r.IntN(3); k++ {
			i, f := r.IntN(s.Components), r.IntN(s.Files-2)
			if r.IntN(4) == 0 {
				file(Dir(i)+"/README.md", fmt.Sprintf("# %s\n\nrevision %d\n", Name(i), n))
			} else {
				file(fmt.Sprintf("%s/pkg/p%d/f%02d.go", Dir(i), f%4, f), fmt.Sprintf("package p%d\n\n// F%d is generated.\nfunc F%d() int { return %d }\n", f%4, f, f, n))
			}
		}
	}
	return w.Flush()
}

func git(dir string, env []string, args ...string) error {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}
