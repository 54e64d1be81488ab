package gitparity

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// The oracles ask git, read-only: --no-optional-locks keeps "git status"
// from refreshing the index, so asking does not change the state under
// test (refreshing is an operation of its own).

// StatusArgs are the arguments of the working-tree oracle.
var StatusArgs = []string{"--no-optional-locks", "status", "--porcelain=v2", "-z",
	"--untracked-files=all", "--ignore-submodules=none", "--no-renames"}

// StatusPaths is what "git status" reports in the work tree dir: the path
// of every ordinary and unmerged entry (staged or not; a submodule with a
// new commit, modified or untracked content is its path) and of every
// untracked file ("?"; an untracked nested repository is its folder with
// a trailing "/").
func (sb *Sandbox) StatusPaths(dir string) ([]string, error) {
	paths, _, err := sb.status(dir)
	return paths, err
}

// status is StatusPaths and, of those, the paths whose working-tree file
// differs from the index (Y of XY is not ".") or that are untracked.
func (sb *Sandbox) status(dir string) (paths, inWorktree []string, err error) {
	out, err := sb.Git(dir, StatusArgs...)
	if err != nil {
		return nil, nil, err
	}
	return parseStatusV2(out)
}

// ParseStatusV2 parses "git status --porcelain=v2 -z" output into the
// sorted, unique paths it names (ignored "!" entries excluded; both
// paths of a rename or copy).
func ParseStatusV2(out []byte) ([]string, error) {
	paths, _, err := parseStatusV2(out)
	return paths, err
}

func parseStatusV2(out []byte) (paths, inWorktree []string, err error) {
	recs := strings.Split(string(out), "\x00")
	for i := 0; i < len(recs); i++ {
		rec := recs[i]
		if rec == "" {
			continue
		}
		fields := 0
		switch rec[0] {
		case '#', '!':
			continue
		case '?':
			paths = append(paths, strings.TrimPrefix(rec, "? "))
			inWorktree = append(inWorktree, strings.TrimPrefix(rec, "? "))
			continue
		case '1': // 1 XY sub mH mI mW hH hI path
			fields = 9
		case '2': // 2 XY sub mH mI mW hH hI Xscore path \0 origPath
			fields = 10
		case 'u': // u XY sub m1 m2 m3 mW h1 h2 h3 path
			fields = 11
		default:
			return nil, nil, fmt.Errorf("git status: unknown record %q", rec)
		}
		f := strings.SplitN(rec, " ", fields)
		if len(f) != fields || len(f[1]) != 2 {
			return nil, nil, fmt.Errorf("git status: short record %q", rec)
		}
		paths = append(paths, f[fields-1])
		if f[1][1] != '.' {
			inWorktree = append(inWorktree, f[fields-1])
		}
		if rec[0] == '2' && i+1 < len(recs) {
			i++
			paths = append(paths, recs[i])
		}
	}
	return sortUnique(paths), sortUnique(inWorktree), nil
}

// DiffPaths is "git diff --name-only --no-renames base head": the paths
// whose content or mode differ between the two commits' trees.
func (sb *Sandbox) DiffPaths(dir, base, head string) ([]string, error) {
	out, err := sb.Git(dir, "diff", "--name-only", "-z", "--no-renames", "--ignore-submodules=none", base, head, "--")
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, p := range strings.Split(string(out), "\x00") {
		if p != "" {
			paths = append(paths, p)
		}
	}
	return sortUnique(paths), nil
}

// RevParse is "git rev-parse --verify -q rev^{commit}": the commit rev
// names, or "" when git resolves it to no commit.
func (sb *Sandbox) RevParse(dir, rev string) string {
	out, err := sb.Git(dir, "rev-parse", "--verify", "-q", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return ""
	}
	return string(bytes.TrimSpace(out))
}

// Root is a root commit HEAD descends from ("" when there is none).
func (sb *Sandbox) Root(dir string) string {
	out, err := sb.Git(dir, "rev-list", "--max-parents=0", "HEAD")
	if err != nil {
		return ""
	}
	lines := strings.Fields(string(out))
	if len(lines) == 0 {
		return ""
	}
	return lines[len(lines)-1]
}

// GitDirs are the git folder of the work tree dir and the common one
// (the same folder unless dir is a linked work tree).
func (sb *Sandbox) GitDirs(dir string) []string {
	out, err := sb.Git(dir, "rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir")
	if err != nil {
		return nil
	}
	return sortUnique(strings.Split(strings.TrimSpace(string(out)), "\n"))
}

func sortUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
