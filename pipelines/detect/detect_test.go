package detect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/monopipe/monopipe/internal/cachefile"
	"github.com/monopipe/monopipe/internal/gittest"
)

var base = map[string]string{
	".gitignore":           "*.log\nbuild/\n",
	"a/x.go":               "package a\n",
	"a/y.go":               "package a\n",
	"b/.gitignore":         "*.tmp\n",
	"b/z.txt":              "z\n",
	"c/d/e/f.txt":          "deep\n",
	"keep/build/kept.txt":  "tracked inside an ignored folder\n",
	"exec.sh":              "#!/bin/sh\n",
	"readme":               "r\n",
	"gone/only.txt":        "o\n",
	"typechange/file.txt":  "t\n",
	"spaces in/name s.txt": "s\n",
}

// newBase commits base, with keep/build/kept.txt forced in although
// .gitignore ignores build/.
func newBase(t *testing.T) *gittest.Repo {
	r := gittest.New(t)
	r.Commit("base", base)
	r.Git("add", "-f", "keep/build/kept.txt")
	r.Git("commit", "-q", "-m", "force")
	return r
}

// gitStatus is the oracle: the paths real git reports, one per file.
func gitStatus(t *testing.T, r *gittest.Repo) []string {
	out := r.GitRaw("-c", "core.quotePath=false", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames")
	var paths []string
	for _, rec := range strings.Split(out, "\x00") {
		if len(rec) > 3 {
			paths = append(paths, rec[3:])
		}
	}
	sort.Strings(paths)
	return slices.Compact(paths) // "git rm --cached" lists a path twice
}

func TestStatusMatchesGit(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, r *gittest.Repo)
	}{
		{"clean", func(t *testing.T, r *gittest.Repo) {}},
		{"modified", func(t *testing.T, r *gittest.Repo) { r.Write(map[string]string{"a/x.go": "package a // changed\n"}) }},
		{"modified, same size", func(t *testing.T, r *gittest.Repo) { r.Write(map[string]string{"a/x.go": "package b\n"}) }},
		{"staged", func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"a/y.go": "package a // staged\n"})
			r.Git("add", "a/y.go")
		}},
		{"staged then reverted in the working tree", func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"a/y.go": "package a // staged\n"})
			r.Git("add", "a/y.go")
			r.Write(map[string]string{"a/y.go": "package a\n"})
		}},
		{"new file staged", func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"new/n.go": "package n\n"})
			r.Git("add", "new/n.go")
		}},
		{"deleted from the working tree", func(t *testing.T, r *gittest.Repo) { r.Remove("c/d/e/f.txt", "gone") }},
		{"deleted from the index", func(t *testing.T, r *gittest.Repo) { r.Git("rm", "-q", "--cached", "readme") }},
		{"folder deleted from the index", func(t *testing.T, r *gittest.Repo) { r.Git("rm", "-q", "-r", "--cached", "c") }},
		{"untracked and ignored", func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{
				"u.txt": "u\n", "a/debug.log": "ignored\n", "b/scratch.tmp": "ignored by b/.gitignore\n",
				"a/scratch.tmp": "not ignored outside b\n", "build/out.bin": "ignored folder\n",
				"new/deep/er/file.txt": "untracked folder\n", "keep/build/new.txt": "ignored, next to a tracked file\n",
			})
		}},
		{"info/exclude", func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{".git/info/exclude": "secret.txt\n", "secret.txt": "s\n", "public.txt": "p\n"})
		}},
		{"tracked file in an ignored folder modified", func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"keep/build/kept.txt": "changed\n"})
		}},
		{"mode change", func(t *testing.T, r *gittest.Repo) {
			if err := os.Chmod(filepath.Join(r.Dir, "exec.sh"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{"symlink", func(t *testing.T, r *gittest.Repo) {
			if err := os.Symlink("readme", filepath.Join(r.Dir, "link")); err != nil {
				t.Fatal(err)
			}
		}},
		{"tracked symlinks, one retargeted to a name of the same length", func(t *testing.T, r *gittest.Repo) {
			for _, l := range []string{"same", "moved"} {
				if err := os.Symlink("readme", filepath.Join(r.Dir, l)); err != nil {
					t.Fatal(err)
				}
			}
			r.Git("add", "same", "moved")
			r.Git("commit", "-q", "-m", "links")
			r.Remove("moved")
			if err := os.Symlink("rdme_2", filepath.Join(r.Dir, "moved")); err != nil {
				t.Fatal(err)
			}
			// Old link times differ from the index's stat data, so both
			// links are hashed: "same" must come out clean, "moved" not.
			for _, l := range []string{"same", "moved"} {
				lchtimes(t, filepath.Join(r.Dir, l), time.Unix(1, 0))
			}
		}},
		{"file replaced by a folder", func(t *testing.T, r *gittest.Repo) {
			r.Remove("typechange/file.txt")
			r.Write(map[string]string{"typechange/file.txt/inner.txt": "now a folder\n"})
		}},
		{"nested repository", func(t *testing.T, r *gittest.Repo) {
			gittest.At(t, r.Dir).Git("init", "-q", filepath.Join(r.Dir, "vendored"))
			r.Write(map[string]string{"vendored/x.txt": "x\n"})
		}},
		{"intent to add", func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"ita.txt": "i\n"})
			r.Git("add", "-N", "ita.txt")
		}},
		{"index version 4", func(t *testing.T, r *gittest.Repo) {
			r.Git("update-index", "--index-version", "4")
			r.Write(map[string]string{"a/x.go": "package a // v4\n", "c/new.txt": "n\n"})
		}},
		{"sparse checkout entry", func(t *testing.T, r *gittest.Repo) {
			r.Git("update-index", "--skip-worktree", "b/z.txt")
			r.Remove("b/z.txt")
		}},
		{"names with spaces", func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"spaces in/name s.txt": "changed\n", "spaces in/new one.txt": "n\n"})
		}},
		// Stat data: what git compares, and the settings that change it.
		{"same size, mtime restored (ctime tells)", func(t *testing.T, r *gittest.Repo) {
			sameSizeEditKeepingMtime(t, r, "a/x.go", "package b\n")
		}},
		{"same size, mtime restored, core.trustCtime=false", func(t *testing.T, r *gittest.Repo) {
			r.Git("config", "core.trustCtime", "false")
			sameSizeEditKeepingMtime(t, r, "a/x.go", "package b\n")
		}},
		{"same size, mtime restored, core.checkStat=minimal", func(t *testing.T, r *gittest.Repo) {
			r.Git("config", "core.checkStat", "minimal")
			sameSizeEditKeepingMtime(t, r, "a/x.go", "package b\n")
		}},
		{"index without stat data (read-tree)", func(t *testing.T, r *gittest.Repo) {
			r.Git("read-tree", "HEAD")
			r.Write(map[string]string{"a/x.go": "package a // changed\n"})
		}},
		{"entry without stat data, file emptied, times zeroed", func(t *testing.T, r *gittest.Repo) {
			// update-index --cacheinfo records size 0 and no times: an
			// empty file with mtime 0 matches that stat data, but the
			// blob is not empty (git's "racily smudged" rule).
			r.Git("update-index", "--cacheinfo", "100644,"+r.Git("rev-parse", "HEAD:readme")+",readme")
			r.Write(map[string]string{"readme": ""})
			chtimes(t, filepath.Join(r.Dir, "readme"), time.Unix(0, 0))
		}},
		{"core.fileMode=false: x bit ignored", func(t *testing.T, r *gittest.Repo) {
			r.Git("config", "core.fileMode", "false")
			chmod(t, filepath.Join(r.Dir, "exec.sh"), 0o755)
		}},
		{"core.fileMode=false: content still counts", func(t *testing.T, r *gittest.Repo) {
			r.Git("config", "core.fileMode", "false")
			chmod(t, filepath.Join(r.Dir, "exec.sh"), 0o755)
			r.Write(map[string]string{"readme": "other\n"})
		}},
		{"only the owner's x bit counts", func(t *testing.T, r *gittest.Repo) {
			chmod(t, filepath.Join(r.Dir, "readme"), 0o645)
		}},
		{"core.symlinks=false: link checked out as a file", func(t *testing.T, r *gittest.Repo) {
			linkAsFile(t, r, "readme")
		}},
		{"core.symlinks=false: link file edited", func(t *testing.T, r *gittest.Repo) {
			linkAsFile(t, r, "rdme_2")
		}},
		{"core.ignoreCase: file renamed to another case", func(t *testing.T, r *gittest.Repo) {
			r.Git("config", "core.ignoreCase", "true")
			if err := os.Rename(filepath.Join(r.Dir, "readme"), filepath.Join(r.Dir, "README")); err != nil {
				t.Fatal(err)
			}
			r.Write(map[string]string{"a/X.go": "untracked, another case\n", "Other.txt": "untracked\n"})
		}},
		{"assume-unchanged", func(t *testing.T, r *gittest.Repo) {
			r.Git("update-index", "--assume-unchanged", "a/x.go", "readme")
			r.Write(map[string]string{"a/x.go": "package a // changed\n"})
			r.Remove("readme")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newBase(t)
			if err := os.Chmod(filepath.Join(r.Dir, "exec.sh"), 0o644); err != nil {
				t.Fatal(err)
			}
			tt.change(t, r)
			checkStatus(t, r, tt.name != "nested repository" && tt.name != "sparse checkout entry")
		})
	}
}

func chmod(t *testing.T, file string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(file, mode); err != nil {
		t.Fatal(err)
	}
}

func chtimes(t *testing.T, file string, mtime time.Time) {
	t.Helper()
	if err := os.Chtimes(file, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

// sameSizeEditKeepingMtime edits file to content of the same size and
// puts its mtime back (as "touch -r" would), in a later second than git
// last recorded its stat data: only the ctime shows the edit. The file's
// mtime is first set in the past and the index refreshed, so that git's
// racy-git rule does not hash it anyway.
func sameSizeEditKeepingMtime(t *testing.T, r *gittest.Repo, file, content string) {
	t.Helper()
	full := filepath.Join(r.Dir, file)
	old := time.Unix(1e9, 0)
	chtimes(t, full, old)
	r.Git("update-index", "--refresh")
	fi, err := os.Lstat(full)
	if err != nil {
		t.Fatal(err)
	}
	if len(content) != int(fi.Size()) {
		t.Fatalf("content of %d bytes for a file of %d", len(content), fi.Size())
	}
	// Wait for the file system clock's next second, so that the ctime's
	// seconds differ from the recorded ones (git compares whole seconds).
	// The file system's clock lags time.Now a little: ask it.
	probe := filepath.Join(r.Dir, ".git", "clock-probe")
	fsNow := func() int64 {
		writeInPlace(t, probe, "")
		fi, err := os.Stat(probe)
		if err != nil {
			t.Fatal(err)
		}
		return fi.ModTime().Unix()
	}
	for start := fsNow(); fsNow() == start; {
		time.Sleep(10 * time.Millisecond)
	}
	writeInPlace(t, full, content)
	chtimes(t, full, old)
}

// linkAsFile commits a symbolic link "ln" to readme, then checks it out
// as git does with core.symlinks=false: a file holding target.
func linkAsFile(t *testing.T, r *gittest.Repo, target string) {
	t.Helper()
	if err := os.Symlink("readme", filepath.Join(r.Dir, "ln")); err != nil {
		t.Fatal(err)
	}
	r.Git("add", "ln")
	r.Git("commit", "-q", "-m", "link")
	r.Git("config", "core.symlinks", "false")
	r.Remove("ln")
	r.Write(map[string]string{"ln": target})
}

// status runs Status on the repository at HEAD.
func status(t *testing.T, r *gittest.Repo) *WorktreeFiles {
	t.Helper()
	repo, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	head, err := repo.commit("--head", "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Status(repo.Git(), repo.Root(), head)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// checkStatus compares Status with git: Changed with git status, and,
// when present is true, Present with every file git lists.
func checkStatus(t *testing.T, r *gittest.Repo, present bool) {
	t.Helper()
	got := status(t, r)
	want := gitStatus(t, r)
	if len(got.Changed)+len(want) > 0 && !reflect.DeepEqual(got.Changed, want) {
		t.Errorf("Status = %q\ngit says %q", got.Changed, want)
	}
	if !present {
		return
	}
	listed := strings.Split(r.Git("ls-files", "-z", "--cached", "--others", "--exclude-standard"), "\x00")
	var wantPresent []string
	for _, p := range listed {
		if fi, err := os.Lstat(filepath.Join(r.Dir, p)); p != "" && err == nil && !fi.IsDir() {
			wantPresent = append(wantPresent, p)
		}
	}
	sort.Strings(wantPresent)
	if !reflect.DeepEqual(got.Present, wantPresent) {
		t.Errorf("Present = %q\nwant %q", got.Present, wantPresent)
	}
}

// TestUntrackedCache runs Status twice with a change in between: the
// first run writes the untracked cache, the second must still match git.
// Each repository waits out the racy margin before the first run, so the
// second run trusts (and so tests) every unchanged folder's cached listing.
func TestUntrackedCache(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, r *gittest.Repo)
	}{
		{"nothing", func(t *testing.T, r *gittest.Repo) {}},
		{"file added to a folder", func(t *testing.T, r *gittest.Repo) { r.Write(map[string]string{"a/new.go": "n\n"}) }},
		{"file removed from a folder", func(t *testing.T, r *gittest.Repo) { r.Remove("a/y.go") }},
		{"file modified in place", func(t *testing.T, r *gittest.Repo) { r.Write(map[string]string{"c/d/e/f.txt": "other\n"}) }},
		{"folder added", func(t *testing.T, r *gittest.Repo) { r.Write(map[string]string{"c/d/new/deeper/n.txt": "n\n"}) }},
		{"folder removed", func(t *testing.T, r *gittest.Repo) { r.Remove("c/d") }},
		{"untracked file removed", func(t *testing.T, r *gittest.Repo) { r.Remove("c/d/e/untracked.txt") }},
		{".gitignore edited in place", func(t *testing.T, r *gittest.Repo) {
			writeInPlace(t, filepath.Join(r.Dir, ".gitignore"), "*.txt\n")
		}},
		{".gitignore removed", func(t *testing.T, r *gittest.Repo) { r.Remove("b/.gitignore") }},
		{"info/exclude edited", func(t *testing.T, r *gittest.Repo) {
			writeInPlace(t, filepath.Join(r.Dir, ".git", "info", "exclude"), "untracked.txt\n")
		}},
		{"file untracked in the index only", func(t *testing.T, r *gittest.Repo) { r.Git("rm", "-q", "--cached", "a/x.go") }},
		{"untracked file added to the index", func(t *testing.T, r *gittest.Repo) { r.Git("add", "c/d/e/untracked.txt") }},
		{"new HEAD", func(t *testing.T, r *gittest.Repo) {
			r.Git("add", "-A")
			r.Git("commit", "-q", "-m", "more")
		}},
		{"corrupt cache", func(t *testing.T, r *gittest.Repo) {
			r.Write(map[string]string{"a/new.go": "n\n"})
			file := filepath.Join(r.Dir, ".git", "monopipe", untrackedCacheName)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 0xff
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"truncated cache", func(t *testing.T, r *gittest.Repo) {
			r.Remove("a/y.go")
			if err := os.Truncate(filepath.Join(r.Dir, ".git", "monopipe", untrackedCacheName), 40); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newBase(t)
			r.Write(map[string]string{"c/d/e/untracked.txt": "u\n", "b/ignored.tmp": "i\n"})
			time.Sleep(racyMargin + 100*time.Millisecond)
			checkStatus(t, r, true)
			if _, err := os.Stat(filepath.Join(r.Dir, ".git", "monopipe", untrackedCacheName)); err != nil {
				t.Fatalf("no cache written: %v", err)
			}
			tt.change(t, r)
			checkStatus(t, r, true)
			checkStatus(t, r, true) // from the cache the second run wrote
		})
	}
}

// writeInPlace rewrites a file without replacing it, so that its folder's
// stat data stays the same.
func writeInPlace(t *testing.T, file, content string) {
	t.Helper()
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_TRUNC|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestUntrackedCacheRacy tampers with a cached listing (it drops a file
// that is there) and checks when Status believes it: never while the
// folder changed too recently before the listing was taken, and only
// then is it used at all (which also proves the cache is read).
func TestUntrackedCacheRacy(t *testing.T) {
	for _, racy := range []bool{true, false} {
		t.Run(fmt.Sprintf("racy=%v", racy), func(t *testing.T) {
			r := newBase(t)
			r.Write(map[string]string{"a/untracked.go": "u\n"})
			status(t, r)
			file := filepath.Join(r.Dir, ".git", "monopipe", untrackedCacheName)
			c := loadUntrackedCache(file, r.Dir)
			if c == nil {
				t.Fatal("cache not written or not readable")
			}
			a := c.dirs["a"]
			var kept []dirent
			for _, e := range a.entries {
				if e.name != "untracked.go" {
					kept = append(kept, e)
				}
			}
			a.entries = kept
			start := max(a.stat.mtime, a.stat.ctime) + int64(racyMargin) // racy: changed at the edge
			if !racy {
				start += int64(time.Millisecond)
			}
			w := cachefile.Create(file)
			w.Start = start
			var dirs []*cachedDir
			for _, d := range c.dirs {
				dirs = append(dirs, d)
			}
			if err := saveUntrackedCache(w, r.Dir, dirs); err != nil {
				t.Fatal(err)
			}
			got := status(t, r)
			found := slices.Contains(got.Changed, "a/untracked.go")
			if found != racy {
				t.Errorf("racy=%v: untracked file reported = %v (cached listing trusted = %v)", racy, found, !found)
			}
		})
	}
}

// TestUntrackedCacheOtherRoot checks that a cache made for one work tree
// (a copy of .git, say) is not used for another.
func TestUntrackedCacheOtherRoot(t *testing.T) {
	r := newBase(t)
	status(t, r)
	file := filepath.Join(r.Dir, ".git", "monopipe", untrackedCacheName)
	if loadUntrackedCache(file, r.Dir) == nil {
		t.Fatal("cache not readable for its own work tree")
	}
	if loadUntrackedCache(file, r.Dir+"-copy") != nil {
		t.Error("cache used for another work tree")
	}
}

// TestIndexReader checks the direct index reader against go-git's decoder
// on every index version git writes.
func TestIndexReader(t *testing.T) {
	for _, version := range []string{"2", "3", "4"} {
		t.Run("v"+version, func(t *testing.T) {
			r := newBase(t)
			r.Write(map[string]string{"ita.txt": "i\n", "c/d/e/f.txt": "changed\n"})
			r.Git("add", "c/d/e/f.txt")   // invalidates c, c/d, c/d/e and the root in the cache tree
			r.Git("add", "-N", "ita.txt") // extended flags force v3 or later
			r.Git("update-index", "--skip-worktree", "readme")
			r.Git("update-index", "--index-version", version)
			data, err := os.ReadFile(filepath.Join(r.Dir, ".git", "index"))
			if err != nil {
				t.Fatal(err)
			}
			fast, err := parseIndex(data)
			if err != nil {
				t.Fatal(err)
			}
			slow, err := decodeWithGoGit(data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(fast.entries, slow.entries) {
				t.Errorf("direct reader and go-git disagree:\n%+v\n%+v", fast.entries, slow.entries)
			}
			if len(fast.entries) != len(base)+1 {
				t.Errorf("%d entries, want %d", len(fast.entries), len(base)+1)
			}
			// The cache tree holds exactly the folders git still knows the
			// tree of, with the hashes of HEAD's trees.
			want := map[string]plumbing.Hash{}
			for _, d := range []string{"a", "b", "gone", "keep", "keep/build", "spaces in", "typechange"} {
				want[d] = plumbing.NewHash(r.Git("rev-parse", "HEAD:"+d))
			}
			trees, err := fast.cacheTrees()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(trees, want) {
				t.Errorf("cache tree = %v\nwant %v", trees, want)
			}
			if _, ok := fast.rootTree(); ok {
				t.Error("root tree valid after a staged change")
			}
			if h, ok := slow.rootTree(); ok {
				t.Errorf("go-git reader: root tree %s valid after a staged change", h)
			}
		})
	}
}

func TestTreeFS(t *testing.T) {
	r := newBase(t)
	fsys := headFS(t, r.Dir, "HEAD")
	var want []string
	for p := range base {
		want = append(want, p)
	}
	if err := fstest.TestFS(fsys, want...); err != nil {
		t.Fatal(err)
	}
}

func TestFindMarker(t *testing.T) {
	r := gittest.New(t)
	root := r.Commit("root", map[string]string{"a": "1"})
	r.Git("checkout", "-q", "-b", "side")
	r.Commit("side work [full rebuild]", map[string]string{"b": "1"})
	r.Git("checkout", "-q", "main")
	r.Commit("main work", map[string]string{"c": "1"})
	r.Git("merge", "-q", "--no-ff", "-m", "merge side", "side")
	head := r.Commit("after", map[string]string{"d": "1"})
	repo, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	tests := []struct {
		base, head string
		found      bool
	}{
		{root, head, true},      // the side branch's commit is in range through the merge
		{"side", head, false},   // reachable from base: not in range
		{"HEAD~1", head, false}, // only "after"
	}
	for _, tt := range tests {
		b, err := repo.commit("--base", tt.base)
		if err != nil {
			t.Fatal(err)
		}
		h, err := repo.commit("--head", tt.head)
		if err != nil {
			t.Fatal(err)
		}
		id, err := repo.findMarker(context.Background(), b, h, "[full rebuild]")
		if err != nil {
			t.Fatal(err)
		}
		if (id != "") != tt.found {
			t.Errorf("%s..%s: found %q, want found=%v", tt.base, tt.head, id, tt.found)
		}
	}
}

func TestChangesRenameBothSides(t *testing.T) {
	r := newBase(t)
	r.Git("mv", "a/x.go", "b/x.go")
	r.Git("commit", "-q", "-m", "move")
	repo, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	res, err := repo.Changes(context.Background(), Range{Head: "HEAD", BaseBranch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a/x.go", "b/x.go"}; !reflect.DeepEqual(res.Paths, want) {
		t.Errorf("paths = %v, want %v", res.Paths, want)
	}
	if res.BaseHow != "first parent of HEAD on main" || res.Worktree || res.Files != nil {
		t.Errorf("result = %+v", res)
	}
}

// TestHistoryCache plants a doctored comparison: Changes must take it for
// the same trees and commits (so the cache is really read), and work the
// answer out again when any id differs or the clone is shallow.
func TestHistoryCache(t *testing.T) {
	r := newBase(t)
	r.Commit("change", map[string]string{"a/x.go": "package a // 2\n"})
	plant := func(t *testing.T, dir string) *comparison {
		repo, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer repo.Close()
		base, _ := repo.commit("--base", "HEAD~1")
		head, _ := repo.commit("--head", "HEAD")
		c := &comparison{baseTree: base.TreeHash, headTree: head.TreeHash, baseCommit: base.Hash, headCommit: head.Hash,
			paths: []string{"planted"}, marker: "[full rebuild]", found: base.Hash.String(), markerKnown: true}
		c.save(filepath.Join(repo.GitDir(), "monopipe", historyCacheName))
		return c
	}
	changes := func(t *testing.T, dir string) *Result {
		repo, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer repo.Close()
		res, err := repo.Changes(context.Background(), Range{Base: "HEAD~1", Head: "HEAD", BaseBranch: "main", Marker: "[full rebuild]"})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	plant(t, r.Dir)
	if res := changes(t, r.Dir); !reflect.DeepEqual(res.Paths, []string{"planted"}) || !res.Everything {
		t.Fatalf("planted comparison not used: %+v", res)
	}

	// A shallow clone: the diff is still reused, the marker search is not.
	clone := filepath.Join(t.TempDir(), "clone")
	r.Git("clone", "-q", "--depth", "2", "file://"+r.Dir, clone)
	plant(t, clone)
	if res := changes(t, clone); !reflect.DeepEqual(res.Paths, []string{"planted"}) || res.Everything {
		t.Errorf("shallow clone: %+v", res)
	}

	// Another head: nothing is reused.
	r.Commit("more", map[string]string{"b/z.txt": "z2\n"})
	if res := changes(t, r.Dir); !reflect.DeepEqual(res.Paths, []string{"b/z.txt"}) || res.Everything {
		t.Errorf("after a new commit: %+v", res)
	}
	if res := changes(t, r.Dir); !reflect.DeepEqual(res.Paths, []string{"b/z.txt"}) || res.Everything {
		t.Errorf("from the cache written by the run before: %+v", res)
	}
}

// TestRootTree checks the quick read of the cache tree's first record on
// a clean index, with both readers.
func TestRootTree(t *testing.T) {
	r := newBase(t)
	r.Git("status", "-s") // lets git write the cache tree
	data, err := os.ReadFile(filepath.Join(r.Dir, ".git", "index"))
	if err != nil {
		t.Fatal(err)
	}
	want := plumbing.NewHash(r.Git("rev-parse", "HEAD^{tree}"))
	fast, err := parseIndex(data)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := decodeWithGoGit(data)
	if err != nil {
		t.Fatal(err)
	}
	for name, idx := range map[string]*gitIndex{"direct": fast, "go-git": slow} {
		if h, ok := idx.rootTree(); !ok || h != want {
			t.Errorf("%s: root tree = %s, %v; want %s", name, h, ok, want)
		}
	}
}

func TestChangesCancelled(t *testing.T) {
	r := newBase(t)
	r.Commit("more", map[string]string{"a/x.go": "package a // 2\n"})
	repo, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := repo.Changes(ctx, Range{Head: "HEAD", BaseBranch: "main"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestWorkFS checks the working tree's file system against fs.FS's rules.
func TestWorkFS(t *testing.T) {
	r := newBase(t)
	fsys := headFS(t, r.Dir, "")
	if err := fstest.TestFS(fsys, "a/x.go", "spaces in/name s.txt"); err != nil {
		t.Fatal(err)
	}
}

// TestBlobAfterSameSizeEdit checks that Result.Blob (which the manifest
// cache keys on) does not vouch for a file edited to the same size with
// its mtime put back: only the ctime shows the edit.
func TestBlobAfterSameSizeEdit(t *testing.T) {
	r := newBase(t)
	sameSizeEditKeepingMtime(t, r, "a/x.go", "package b\n")
	repo, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	res, err := repo.Changes(context.Background(), Range{Base: "HEAD", BaseBranch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if h, ok := res.Blob("a/x.go"); ok {
		t.Errorf("Blob(a/x.go) = %s for an edited file", h)
	}
	if _, ok := res.Blob("a/y.go"); !ok {
		t.Error("Blob(a/y.go) unknown for an unchanged file")
	}
	if !slices.Contains(res.Paths, "a/x.go") {
		t.Errorf("paths = %q, want a/x.go", res.Paths)
	}
}
