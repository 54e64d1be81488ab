// Package gitparity is a differential test harness: it drives random,
// seeded sequences of shell operations on a real git repository (made with
// the git binary, under a HOME, XDG_CONFIG_HOME and system config file that
// it owns) and, after every step, compares the paths a change detector
// reports with what git itself reports. A failure prints the seed and the
// operations as a shell script that reproduces it.
//
// The harness knows nothing about the detector under test: it calls a
// Detector, so that it can live below the packages it tests.
package gitparity

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Env lists the environment variables the harness sets for git and for
// the process under test. A detector must honour them as git does:
// HOME (~/.gitconfig, ~ in core.excludesFile), XDG_CONFIG_HOME
// ($XDG_CONFIG_HOME/git/config and the default $XDG_CONFIG_HOME/git/ignore)
// and GIT_CONFIG_SYSTEM (the system-level config file, instead of
// /etc/gitconfig). GIT_CONFIG_GLOBAL and GIT_CONFIG_NOSYSTEM are unset, so
// both the global and the XDG files are read, as on a user's machine.
var Env = []string{"HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_SYSTEM"}

// cleared are variables removed from the environment of git and of the
// process under test, since they would change which repository or config
// is read.
var cleared = []string{
	"GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG", "GIT_CONFIG_COUNT", "GIT_CONFIG_PARAMETERS",
	"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
	"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES", "GIT_OPTIONAL_LOCKS",
}

// Prelude is the shell script that sets up a sandbox; $T is its folder.
// The repository is $R, with one commit on main.
const Prelude = `export HOME="$T/home" XDG_CONFIG_HOME="$T/xdg" GIT_CONFIG_SYSTEM="$T/etc/gitconfig"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
export LC_ALL=C TZ=UTC
unset GIT_CONFIG_GLOBAL GIT_CONFIG_NOSYSTEM
mkdir -p "$HOME" "$XDG_CONFIG_HOME/git" "$T/etc" && : > "$GIT_CONFIG_SYSTEM"
R="$T/repo"
git init -q -b main "$R" && cd "$R" && printf 'hello\n' > README && git add README && git commit -q -m init`

// Sandbox is a folder T holding a repository R and the config files of
// every level.
type Sandbox struct {
	T, R string
	env  []string
	// Log is every script run so far, after the prelude.
	Log []string
}

// Available says why the harness cannot run here (nil when it can): it
// needs git and a POSIX sh on PATH.
func Available() error {
	for _, tool := range []string{"git", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("the parity harness needs %s on PATH: %w", tool, err)
		}
	}
	return nil
}

// NewSandbox makes a sandbox in a new folder under parent and runs the
// prelude. The caller sets the process environment with SetProcessEnv
// for in-process detectors.
func NewSandbox(parent string) (*Sandbox, error) {
	t, err := os.MkdirTemp(parent, "parity")
	if err != nil {
		return nil, err
	}
	// Resolve symlinks (macOS /var → /private/var) so paths compare.
	if t, err = filepath.EvalSymlinks(t); err != nil {
		return nil, err
	}
	sb := &Sandbox{T: t, R: filepath.Join(t, "repo")}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !clearedVar(k) {
			sb.env = append(sb.env, kv)
		}
	}
	sb.env = append(sb.env,
		"T="+t, "R="+sb.R,
		"HOME="+filepath.Join(t, "home"), "XDG_CONFIG_HOME="+filepath.Join(t, "xdg"),
		"GIT_CONFIG_SYSTEM="+filepath.Join(t, "etc", "gitconfig"),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"LC_ALL=C", "TZ=UTC",
	)
	if out, err := sb.sh(t, Prelude); err != nil {
		return nil, fmt.Errorf("sandbox prelude: %v\n%s", err, out)
	}
	return sb, nil
}

func clearedVar(k string) bool {
	for _, c := range cleared {
		if k == c {
			return true
		}
	}
	switch k {
	case "HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_SYSTEM", "T", "R", "LC_ALL", "TZ":
		return true
	}
	return strings.HasPrefix(k, "GIT_AUTHOR_") || strings.HasPrefix(k, "GIT_COMMITTER_")
}

// SetProcessEnv sets, for the rest of the test, the variables in Env to
// this sandbox's values and clears the ones that would redirect git.
// Tests that call it cannot run in parallel.
func (sb *Sandbox) SetProcessEnv(t testing.TB) {
	for _, k := range cleared {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("HOME", filepath.Join(sb.T, "home"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(sb.T, "xdg"))
	t.Setenv("GIT_CONFIG_SYSTEM", filepath.Join(sb.T, "etc", "gitconfig"))
}

// sh runs script with sh in dir.
func (sb *Sandbox) sh(dir, script string) ([]byte, error) {
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	cmd.Env = sb.env
	return cmd.CombinedOutput()
}

// Run runs one step's script in R and logs it; a failing script is not an
// error (an operation may not apply to the current state, e.g. a checkout
// over local changes), it is logged with its exit status.
func (sb *Sandbox) Run(script string) {
	out, err := sb.sh(sb.R, script)
	entry := script
	if err != nil {
		entry += statusNote + oneLine(err.Error()+": "+string(out))
	}
	sb.Log = append(sb.Log, entry)
}

// statusNote starts the comment that Run appends to a failed script.
const statusNote = "  #! "

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// Git runs git with args in dir (absolute) and returns its output.
func (sb *Sandbox) Git(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = sb.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("git %s in %s: %v: %s", strings.Join(args, " "), dir, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// Script is the log as a shell script that rebuilds the sandbox's state
// from scratch.
func Script(log []string) string {
	var b strings.Builder
	b.WriteString("T=$(mktemp -d)\n")
	b.WriteString(Prelude)
	b.WriteString("\n")
	for _, l := range log {
		b.WriteString(l)
		b.WriteString("\n")
	}
	return b.String()
}
