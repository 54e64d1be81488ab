package detect

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gitGet asks the git binary for key's value in dir ("", false if unset).
func gitGet(t *testing.T, dir string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"config"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			return "", false
		}
		t.Fatalf("git config %v: %v", args, err)
	}
	return strings.TrimSuffix(string(out), "\n"), true
}

func write(t *testing.T, file, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestParseConfigMatchesGit reads one file full of git's syntax and
// compares every key with `git config -f`.
func TestParseConfigMatchesGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git binary to compare with")
	}
	file := filepath.Join(t.TempDir(), "cfg")
	write(t, file, "\ufeff# comment\n; another\n[core]\n\tfileMode = false\n\tTrustCtime=no ; trailing comment\n"+
		"\tbare\n\texcludesFile = \"~/my ignore\" # quoted\n"+
		"[Core \"Sub.Case\"]\n\tkey = a\\tb \\\"q\\\" \\\\ end\n"+
		"[core.Legacy]\n\tx = 1\n"+
		"[section] k1 = same line\n"+
		"[cont]\n\tv = one \\\n  two\n\tsp =   inner   spaces   \n\tq = \"  kept  \" after\n"+
		"[core]\n\tfilemode = true\n")
	keys := []string{"core.filemode", "core.trustctime", "core.bare", "core.excludesfile", "core.Sub.Case.key",
		"core.legacy.x", "section.k1", "cont.v", "cont.sp", "cont.q", "core.missing"}
	c := &gitConfig{}
	if err := c.readFile(configScope{}, file, 0); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		want, wantOK := gitGet(t, "", "-f", file, "--get", k)
		got, ok := c.get(mustKey(t, k))
		val := got.value
		if val == "\x00" {
			val = "" // git prints a value-less key as empty
		}
		if ok != wantOK || val != want {
			t.Errorf("%s: got %q (%v), git says %q (%v)", k, val, ok, want, wantOK)
		}
	}
	if b, err := c.boolValue("core.bare", false); err != nil || !b {
		t.Errorf("value-less key as a boolean: %v %v, want true", b, err)
	}
}

func mustKey(t *testing.T, k string) string {
	t.Helper()
	key, err := canonicalKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestLoadConfigLevels sets a key at every level (system, XDG, global,
// include, includeIf, repository, worktree, environment) and checks that
// the value git uses is the one loadConfig returns.
func TestLoadConfigLevels(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git binary to compare with")
	}
	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")
	repo := filepath.Join(tmp, "repo")
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "xdg"))
	t.Setenv("GIT_CONFIG_SYSTEM", filepath.Join(tmp, "system"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "")
	t.Setenv("GIT_CONFIG_GLOBAL", "")
	os.Unsetenv("GIT_CONFIG_GLOBAL")
	t.Setenv("GIT_CONFIG_COUNT", "")
	run := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	run(repo, "init", "-q", "-b", "main")
	write(t, filepath.Join(tmp, "system"), "[t]\n\tsystem = s\n\txdg = s\n\tglobal = s\n")
	write(t, filepath.Join(home, "xdg", "git", "config"), "[t]\n\txdg = x\n\tglobal = x\n")
	write(t, filepath.Join(home, ".gitconfig"), "[t]\n\tglobal = g\n\tinc = g\n[include]\n\tpath = ~/inc.cfg\n[t]\n\tafter = g\n"+
		"[includeIf \"gitdir:"+filepath.ToSlash(repo)+"/\"]\n\tpath = ifdir.cfg\n"+
		"[includeIf \"gitdir:nomatch/\"]\n\tpath = never.cfg\n"+
		"[includeIf \"onbranch:main\"]\n\tpath = branch.cfg\n")
	write(t, filepath.Join(home, "inc.cfg"), "[t]\n\tinc = i\n\tafter = i\n")
	write(t, filepath.Join(home, "ifdir.cfg"), "[t]\n\tifdir = yes\n")
	write(t, filepath.Join(home, "never.cfg"), "[t]\n\tnever = yes\n")
	write(t, filepath.Join(home, "branch.cfg"), "[t]\n\tbranch = yes\n")
	run(repo, "config", "t.local", "l")
	run(repo, "config", "extensions.worktreeConfig", "true")
	run(repo, "config", "--worktree", "t.worktree", "w")

	gitDir := filepath.Join(repo, ".git")
	c, err := loadConfig(configScope{gitDir: gitDir, commonDir: gitDir, branch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"t.system", "t.xdg", "t.global", "t.inc", "t.after", "t.ifdir", "t.never", "t.branch", "t.local", "t.worktree"} {
		want, wantOK := gitGet(t, repo, "--get", k)
		got, ok := c.get(k)
		if ok != wantOK || got.value != want {
			t.Errorf("%s: got %q (%v), git says %q (%v)", k, got.value, ok, want, wantOK)
		}
	}

	t.Setenv("GIT_CONFIG_COUNT", "1")
	t.Setenv("GIT_CONFIG_KEY_0", "T.Local")
	t.Setenv("GIT_CONFIG_VALUE_0", "env")
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	c, err = loadConfig(configScope{gitDir: gitDir, commonDir: gitDir})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"t.local", "t.system"} {
		want, wantOK := gitGet(t, repo, "--get", k)
		got, ok := c.get(k)
		if ok != wantOK || got.value != want {
			t.Errorf("with environment: %s: got %q (%v), git says %q (%v)", k, got.value, ok, want, wantOK)
		}
	}
}

func TestParseConfigErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"[core\n", "f:1: unterminated section header"},
		{"k = v\n", "f:1: key outside a section"},
		{"[a]\n\n\tk = \"open\n", "f:3: unterminated quote"},
		{"[a]\n\tk = bad \\q\n", "f:2: bad escape"},
	} {
		err := parseConfig([]byte(tc.data), "f", func(configValue) error { return nil })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error with %q", tc.data, err, tc.want)
		}
	}
}
