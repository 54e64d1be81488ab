package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/monopipe/monopipe/internal/genrepo"
)

// The benchmarks run the real binary on a generated monorepo of 2,000
// components, 48,000 files and 2,000 commits (genrepo.Bench), measuring the
// whole process with a warm file cache:
//
//	go test ./cmd/monopipe -run '^$' -bench . -count 10 | benchstat -
//
// The repository is generated once (about 30 s) into the user cache folder,
// or into $MONOPIPE_BENCH_REPO, and reused.
var bench struct {
	once      sync.Once
	bin, repo string
	err       error
}

func setup(b *testing.B) (bin, repo string) {
	b.Helper()
	bench.once.Do(func() {
		dir := os.Getenv("MONOPIPE_BENCH_REPO")
		if dir == "" {
			cache, err := os.UserCacheDir()
			if err != nil {
				bench.err = err
				return
			}
			dir = filepath.Join(cache, "monopipe-bench", "2000x24x2000")
		}
		if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
			os.RemoveAll(dir)
			if bench.err = genrepo.Generate(dir, genrepo.Bench); bench.err != nil {
				return
			}
		}
		bench.repo = dir
		bench.bin = filepath.Join(os.TempDir(), "monopipe-bench-bin")
		if out, err := exec.Command("go", "build", "-o", bench.bin, ".").CombinedOutput(); err != nil {
			bench.err = err
			b.Logf("%s", out)
		}
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.bin, bench.repo
}

func runPlan(b *testing.B, args ...string) {
	bin, repo := setup(b)
	args = append([]string{"plan", "--format", "json"}, args...)
	run := func() {
		cmd := exec.Command(bin, args...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
	run() // warm the file cache
	for b.Loop() {
		run()
	}
}

// BenchmarkPlan is the figure: the default head (working tree
// included, clean) against HEAD~100.
func BenchmarkPlan(b *testing.B) { runPlan(b, "--base", "HEAD~100") }

// BenchmarkPlanCommits compares commits only.
func BenchmarkPlanCommits(b *testing.B) { runPlan(b, "--base", "HEAD~100", "--head", "HEAD") }

// BenchmarkPlanDirty has a few modified and untracked files in the
// working tree.
func BenchmarkPlanDirty(b *testing.B) {
	_, repo := setup(b)
	files := map[string]string{
		filepath.Join(genrepo.Dir(7), "pkg/p1/f01.go"):    "package p1 // edited\n",
		filepath.Join(genrepo.Dir(1500), "pkg/p2/f02.go"): "package p2 // edited\n",
		filepath.Join(genrepo.Dir(42), "new_file.go"):     "package x\n",
	}
	for p, content := range files {
		full := filepath.Join(repo, p)
		old, _ := os.ReadFile(full)
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			if old == nil {
				os.Remove(full)
			} else {
				os.WriteFile(full, old, 0o644)
			}
		})
	}
	runPlan(b, "--base", "HEAD~100")
}
