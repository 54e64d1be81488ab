package detect

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

// ignoreCases are .gitignore files and paths to check against git.
var ignoreCases = []struct {
	name, gitignore string
	paths           []string // files to create; a trailing "/" makes an empty folder
	ignoreCase      bool
}{
	{"negation inside dir/**", "out/**\n!out/schema.json\n", []string{"out/schema.json", "out/other.json", "out/sub/x.json", "outside"}, false},
	{"negation under an ignored folder", "out/\n!out/schema.json\n", []string{"out/schema.json", "out/other.json"}, false},
	{"negation of a folder's contents", "out/*\n!out/keep/\n", []string{"out/keep/a", "out/drop/a", "out/f"}, false},
	{"trailing spaces", "foo  \nbar\\ \nbaz\\  \n", []string{"foo", "bar ", "bar", "baz ", "baz"}, false},
	{"escaped hash and bang", "\\#hash\n\\!bang\n#comment\n", []string{"#hash", "!bang", "#comment", "hash"}, false},
	{"leading **/", "**/deep\n", []string{"deep", "a/deep", "a/b/deep", "a/deeper"}, false},
	{"middle /**/", "a/**/b\n", []string{"a/b", "a/x/b", "a/x/y/b", "c/a/b", "a/bb"}, false},
	{"trailing /**", "d/**\n", []string{"d/x", "d/y/z", "dd/x"}, false},
	{"**/ and /** together", "**/foo/**\n", []string{"foo/x", "a/foo/y", "a/b/foo/c/d", "foox"}, false},
	{"** not between slashes", "a**b\nx/**y\n", []string{"ab", "azzb", "a/b", "x/y", "x/zy", "x/z/y"}, false},
	{"slash in the middle anchors", "doc/*.txt\na/b\n", []string{"doc/a.txt", "doc/sub/a.txt", "x/doc/a.txt", "a/b", "x/a/b"}, false},
	{"leading slash anchors", "/root.txt\n", []string{"root.txt", "sub/root.txt"}, false},
	{"no slash matches at any depth", "*.o\nname\n", []string{"x.o", "a/b/y.o", "name", "b/name", "a/name/inner"}, false},
	{"folder only", "build/\nlink/\n", []string{"build", "sub/build/x", "link/y"}, false},
	{"star does not cross folders", "foo/*\n", []string{"foo/bar", "foo/qux/baz", "food"}, false},
	{"star slash", "*/x\n", []string{"a/x", "a/b/x", "x"}, false},
	{"brackets", "*.[oa]\n[!q]*.log\n[[:digit:]]*\n[a-c]x\n[]]y\n[^z]w\n", []string{"f.o", "f.a", "f.c", "q1.log", "r1.log", "1abc", "bx", "dx", "]y", "zw", "aw"}, false},
	{"bad bracket", "x[\n[[:nope:]]\n", []string{"x[", "x", "n"}, false},
	{"escaped star", "\\*lit\n", []string{"*lit", "alit"}, false},
	{"trailing backslash", "a\\\n", []string{"a", "a\\"}, false},
	{"literal start, then **", "b**/*/\nx?**/*/\n", []string{"b/ba", "c/ba", "xy/z", "x/y/z"}, false},
	{"question mark", "?.txt\n", []string{"a.txt", "ab.txt", "d/a.txt"}, false},
	{"last match wins", "*.log\n!keep.log\nkeep.log\n!*.log\nimportant*.log\n", []string{"a.log", "keep.log", "important1.log"}, false},
	{"CR LF and BOM", "\ufeffcr.txt\r\nlf.txt\n", []string{"cr.txt", "lf.txt"}, false},
	{"case folding", "*.LOG\nDir/\n[A-C]x\n", []string{"a.log", "b.LOG", "dir/x", "DIR/y", "bx", "Bx"}, true},
	{"no case folding", "*.LOG\nDir/\n", []string{"a.log", "b.LOG", "dir/x", "Dir/y"}, false},
}

// TestIgnoreMatchesCheckIgnore compares the ignore rules with
// `git check-ignore --no-index`, path by path.
func TestIgnoreMatchesCheckIgnore(t *testing.T) {
	for _, tt := range ignoreCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := gittest.New(t)
			r.Git("config", "core.ignorecase", map[bool]string{true: "true", false: "false"}[tt.ignoreCase])
			r.Write(map[string]string{".gitignore": tt.gitignore})
			for _, p := range tt.paths {
				if strings.HasSuffix(p, "/") {
					if err := os.MkdirAll(filepath.Join(r.Dir, p), 0o755); err != nil {
						t.Fatal(err)
					}
					continue
				}
				r.Write(map[string]string{p: "x\n"})
			}
			cmd := exec.Command("git", "check-ignore", "--no-index", "-v", "-n", "-z", "--stdin")
			cmd.Dir = r.Dir
			cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
			cmd.Stdin = strings.NewReader(strings.Join(tt.paths, "\x00") + "\x00")
			raw, err := cmd.Output()
			if ee, ok := err.(*exec.ExitError); err != nil && !(ok && ee.ExitCode() == 1) { // 1: nothing ignored
				t.Fatalf("git check-ignore: %v", err)
			}
			out := string(raw)
			f := strings.Split(out, "\x00")
			want := map[string]bool{}
			for i := 0; i+3 < len(f); i += 4 { // source, line, pattern, path
				want[f[i+3]] = f[i+2] != "" && !strings.HasPrefix(f[i+2], "!")
			}
			ps := parsePatterns([]byte(tt.gitignore), "")
			for _, p := range tt.paths {
				if got := checkIgnore(ps, strings.TrimSuffix(p, "/"), tt.ignoreCase); got != want[p] {
					t.Errorf("%q: ignored = %v, git says %v", p, got, want[p])
				}
			}
		})
	}
}

// checkIgnore is git's rule for one path under one set of patterns: the
// path is ignored when a folder above it is, else by its own last match.
func checkIgnore(ps []ignorePattern, p string, fold bool) bool {
	parts := strings.Split(p, "/")
	for i := 1; i < len(parts); i++ {
		if ignoredBy(ps, strings.Join(parts[:i], "/"), true, fold) {
			return true
		}
	}
	return ignoredBy(ps, p, false, fold)
}

// TestIgnoreStatusMatchesGit runs the same cases through Status, whose
// walk applies the rules folder by folder, against git status.
func TestIgnoreStatusMatchesGit(t *testing.T) {
	for _, tt := range ignoreCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newBase(t)
			r.Git("config", "core.ignorecase", map[bool]string{true: "true", false: "false"}[tt.ignoreCase])
			for _, p := range tt.paths {
				r.Write(map[string]string{filepath.Join("ig", p): "x\n"})
			}
			r.Write(map[string]string{"ig/.gitignore": tt.gitignore})
			checkStatus(t, r, true)
		})
	}
}

// TestIgnoreNestedMatchesGit covers rules spread over several files.
func TestIgnoreNestedMatchesGit(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"nested negation re-includes", map[string]string{
			".gitignore": "*.gen\n", "a/.gitignore": "!keep.gen\n", "a/keep.gen": "", "a/drop.gen": "", "keep.gen": "",
		}},
		{"nested .gitignore inside an ignored folder is not read", map[string]string{
			".gitignore": "vendor/\n", "vendor/.gitignore": "!*\n", "vendor/x": "",
		}},
		{"tracked file below an ignored folder, untracked next to it", map[string]string{
			"keep/build/new.txt": "", "keep/build/.gitignore": "!new.txt\n",
		}},
		{"anchored pattern in a nested file", map[string]string{
			"n/.gitignore": "/top\nmid/x\n", "n/top": "", "n/sub/top": "", "n/mid/x": "", "n/sub/mid/x": "",
		}},
		{"info/exclude loses to .gitignore", map[string]string{
			".git/info/exclude": "*.ex\n", ".gitignore": "!shown.ex\n", "shown.ex": "", "hidden.ex": "",
		}},
		{"ignored folder re-included by a later rule", map[string]string{
			".gitignore": "gen/\n!gen/\n", "gen/x": "",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newBase(t)
			r.Write(tt.files)
			checkStatus(t, r, true)
		})
	}
}

// TestIgnoreConfigLevels puts excludes files at every place git looks
// for them and compares with git status under the same environment.
func TestIgnoreConfigLevels(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, r *gittest.Repo, home, xdg string)
	}{
		{"XDG default", func(t *testing.T, r *gittest.Repo, home, xdg string) {
			write(t, filepath.Join(xdg, "git", "ignore"), "*.xdg\n")
		}},
		{"~/.config default without XDG_CONFIG_HOME", func(t *testing.T, r *gittest.Repo, home, xdg string) {
			t.Setenv("XDG_CONFIG_HOME", "")
			write(t, filepath.Join(home, ".config", "git", "ignore"), "*.xdg\n")
		}},
		{"core.excludesFile in ~/.gitconfig replaces the default", func(t *testing.T, r *gittest.Repo, home, xdg string) {
			write(t, filepath.Join(xdg, "git", "ignore"), "*.xdg\n")
			write(t, filepath.Join(home, ".gitconfig"), "[core]\n\texcludesFile = ~/my-ignore\n")
			write(t, filepath.Join(home, "my-ignore"), "*.home\n")
		}},
		{"core.excludesFile in the XDG config", func(t *testing.T, r *gittest.Repo, home, xdg string) {
			write(t, filepath.Join(xdg, "git", "config"), "[core]\n\texcludesFile = "+filepath.Join(home, "x-ignore")+"\n")
			write(t, filepath.Join(home, "x-ignore"), "*.home\n")
		}},
		{"core.excludesFile through [include]", func(t *testing.T, r *gittest.Repo, home, xdg string) {
			write(t, filepath.Join(home, ".gitconfig"), "[include]\n\tpath = more.inc\n")
			write(t, filepath.Join(home, "more.inc"), "[core]\n\texcludesFile = ~/inc-ignore\n")
			write(t, filepath.Join(home, "inc-ignore"), "*.home\n")
		}},
		{"core.excludesFile in the system config", func(t *testing.T, r *gittest.Repo, home, xdg string) {
			sys := filepath.Join(home, "system-gitconfig")
			write(t, sys, "[core]\n\texcludesFile = "+filepath.Join(home, "sys-ignore")+"\n")
			write(t, filepath.Join(home, "sys-ignore"), "*.sys\n")
			t.Setenv("GIT_CONFIG_NOSYSTEM", "")
			t.Setenv("GIT_CONFIG_SYSTEM", sys)
		}},
		{"core.excludesFile in the repository overrides the global one", func(t *testing.T, r *gittest.Repo, home, xdg string) {
			write(t, filepath.Join(home, ".gitconfig"), "[core]\n\texcludesFile = ~/my-ignore\n")
			write(t, filepath.Join(home, "my-ignore"), "*.home\n")
			write(t, filepath.Join(r.Dir, "repo-ignore"), "*.sys\n")
			r.Git("config", "core.excludesFile", "repo-ignore")
		}},
		{"excludes file missing", func(t *testing.T, r *gittest.Repo, home, xdg string) {
			write(t, filepath.Join(home, ".gitconfig"), "[core]\n\texcludesFile = ~/absent\n")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home, xdg := t.TempDir(), t.TempDir()
			t.Setenv("HOME", home)
			t.Setenv("XDG_CONFIG_HOME", xdg)
			t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			t.Setenv("GIT_CONFIG_SYSTEM", "")
			unsetenv(t, "GIT_CONFIG_GLOBAL")
			r := newBase(t)
			tt.setup(t, r, home, xdg)
			r.Write(map[string]string{"a.xdg": "", "b.home": "", "c.sys": "", "d/e.xdg": "", "plain.txt": ""})
			got := status(t, r).Changed
			want := gitStatusEnv(t, r.Dir)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Status = %q\ngit says %q", got, want)
			}
		})
	}
}

// TestIgnoreLinkedWorktree: a linked worktree uses the info/exclude of
// the repository's common git folder.
func TestIgnoreLinkedWorktree(t *testing.T) {
	r := newBase(t)
	wt := filepath.Join(t.TempDir(), "linked")
	r.Git("worktree", "add", "-q", wt)
	r.Write(map[string]string{".git/info/exclude": "*.ex\n"})
	l := gittest.At(t, wt)
	l.Write(map[string]string{"x.ex": "", "y.txt": ""})
	checkStatus(t, l, true)
}

// unsetenv unsets an environment variable for the test.
func unsetenv(t *testing.T, key string) {
	if old, ok := os.LookupEnv(key); ok {
		t.Setenv(key, old) // restores it afterwards
		os.Unsetenv(key)
	}
}

// gitStatusEnv is gitStatus with the process environment as it is (the
// gittest helpers pin the global configuration to /dev/null).
func gitStatusEnv(t *testing.T, dir string) []string {
	t.Helper()
	cmd := exec.Command("git", "-c", "core.quotePath=false", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git status: %v", err)
	}
	var paths []string
	for _, rec := range strings.Split(string(out), "\x00") {
		if len(rec) > 3 {
			paths = append(paths, rec[3:])
		}
	}
	sort.Strings(paths)
	return paths
}

// TestIgnoreRandomMatchesCheckIgnore compares random patterns and paths
// with git check-ignore: pattern i lives in p<i>/.gitignore and is asked
// about paths below p<i>, so one git command answers for all of them.
func TestIgnoreRandomMatchesCheckIgnore(t *testing.T) {
	const seed, n = 13, 300
	rnd := rand.New(rand.NewPCG(seed, seed))
	tokens := []string{"a", "b", "ab", "*", "**", "?", "/", "[ab]", "[!a]", "[a-b]", "\\a", "*/", "/**/", "**/", "/**"}
	segs := []string{"a", "b", "ab", "ba", "aab", "bb"}
	r := gittest.New(t)
	files := map[string]string{}
	type q struct {
		dir, pattern, path string
	}
	var qs []q
	for i := 0; i < n; i++ {
		var p strings.Builder
		for k := 1 + rnd.IntN(4); k > 0; k-- {
			p.WriteString(tokens[rnd.IntN(len(tokens))])
		}
		if rnd.IntN(6) == 0 {
			p.WriteString("/")
		}
		dir := fmt.Sprintf("p%d", i)
		files[dir+"/.gitignore"] = p.String() + "\n"
		for j := 0; j < 4; j++ {
			var path strings.Builder
			path.WriteString(dir)
			for k := 1 + rnd.IntN(3); k > 0; k-- {
				path.WriteString("/" + segs[rnd.IntN(len(segs))])
			}
			full := path.String()
			conflict := false // a file where another path needs a folder, or the reverse
			for f := range files {
				if strings.HasPrefix(f, full+"/") || strings.HasPrefix(full, f+"/") {
					conflict = true
				}
			}
			if !conflict {
				files[full] = "x\n"
				qs = append(qs, q{dir, p.String(), full})
			}
		}
	}
	r.Write(files)
	var in strings.Builder
	for _, c := range qs {
		in.WriteString(c.path + "\x00")
	}
	cmd := exec.Command("git", "check-ignore", "--no-index", "-v", "-n", "-z", "--stdin")
	cmd.Dir = r.Dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	cmd.Stdin = strings.NewReader(in.String())
	raw, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); err != nil && !(ok && ee.ExitCode() == 1) {
		t.Fatalf("git check-ignore: %v", err)
	}
	f := strings.Split(string(raw), "\x00")
	want := map[string]bool{}
	for i := 0; i+3 < len(f); i += 4 {
		want[f[i+3]] = f[i+2] != "" && !strings.HasPrefix(f[i+2], "!")
	}
	ignored := 0
	for _, c := range qs {
		if want[c.path] {
			ignored++
		}
		ps := parsePatterns([]byte(c.pattern+"\n"), c.dir)
		// Folders below p<i> are checked against its rules; p<i> itself is not.
		got := false
		parts := strings.Split(c.path, "/")
		for k := 2; k < len(parts) && !got; k++ {
			got = ignoredBy(ps, strings.Join(parts[:k], "/"), true, false)
		}
		if !got {
			got = ignoredBy(ps, c.path, false, false)
		}
		if got != want[c.path] {
			t.Errorf("pattern %q in %s/.gitignore, path %s: ignored = %v, git says %v", c.pattern, c.dir, c.path, got, want[c.path])
		}
	}
	if ignored < len(qs)/10 || ignored > len(qs)*9/10 {
		t.Errorf("%d of %d paths ignored: the cases do not test both answers", ignored, len(qs))
	}
}

// TestIgnoreSymlinkedGitignore: git does not follow a .gitignore that is
// a symbolic link (it warns and reads nothing).
func TestIgnoreSymlinkedGitignore(t *testing.T) {
	r := newBase(t)
	r.Write(map[string]string{"rules": "*.x\n", "a.x": "", "d/b.x": "", "d/c.tmp": "", "d/rules": "*.tmp\n"})
	if err := os.Symlink("rules", filepath.Join(r.Dir, "d", ".gitignore")); err != nil {
		t.Fatal(err)
	}
	// git warns on stderr, which the gittest helpers mix into the output.
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	want := gitStatusEnv(t, r.Dir)
	if !slices.Contains(want, "d/c.tmp") {
		t.Fatalf("git status = %q: git followed the symlinked .gitignore", want)
	}
	if got := status(t, r).Changed; !reflect.DeepEqual(got, want) {
		t.Errorf("Status = %q\ngit says %q", got, want)
	}
}
