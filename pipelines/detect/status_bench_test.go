package detect

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkStatusVsGit times Status alone (the working-tree part of the
// default plan) and git status on the repository at $MONOPIPE_BENCH_REPO
// (the one cmd/monopipe's benchmarks generate), in turns, so that both
// meet the same load on a shared machine:
//
//	MONOPIPE_BENCH_REPO=~/.cache/monopipe-bench/2000x24x2000 \
//	  go test ./pipelines/detect -run '^$' -bench StatusVsGit -count 5
func BenchmarkStatusVsGit(b *testing.B) {
	dir := os.Getenv("MONOPIPE_BENCH_REPO")
	if _, err := os.Stat(filepath.Join(dir, ".git")); dir == "" || err != nil {
		b.Skip("set MONOPIPE_BENCH_REPO to a repository (see cmd/monopipe's benchmarks)")
	}
	repo, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer repo.Close()
	head, err := repo.commit("--head", "HEAD")
	if err != nil {
		b.Fatal(err)
	}
	status := func() time.Duration {
		start := time.Now()
		if _, err := Status(repo.Git(), repo.Root(), head); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	git := func() time.Duration {
		start := time.Now()
		cmd := exec.Command("git", "status", "--porcelain")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git status: %v: %s", err, out)
		}
		return time.Since(start)
	}
	status() // warm the file cache and both tools' caches
	git()
	var ours, theirs time.Duration
	for b.Loop() {
		ours += status()
		theirs += git()
	}
	b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "status-ns/op")
	b.ReportMetric(float64(theirs.Nanoseconds())/float64(b.N), "gitstatus-ns/op")
	b.ReportMetric(ours.Seconds()/theirs.Seconds(), "status/gitstatus")
}
