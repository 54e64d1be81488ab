package detect

import (
	"bytes"
	"fmt"
	"slices"
)

// StatusScript is a POSIX shell script that prints, for the repository in
// the current folder, how its working tree differs from HEAD, for
// ParseStatus: git's own answer, run where the working tree is (a
// container that mounts the repository the engine was handed), so that
// nothing but the changed files has to leave the engine.
//
// Git compares only each file's size and modification time (in seconds)
// with the index (core.checkStat=minimal, core.trustctime=false): a copy
// of the repository keeps those, not its inode numbers or change times,
// so git reads only the files whose size or time moved (and those too
// new to trust, as git always does). Nothing is written: no index
// refresh (GIT_OPTIONAL_LOCKS=0), no lock.
const StatusScript = `set -e
export GIT_OPTIONAL_LOCKS=0
g() { git -c safe.directory='*' -c core.checkStat=minimal -c core.trustctime=false "$@"; }
g diff HEAD --name-status --no-renames --no-relative --ignore-submodules=none -z --
printf '` + statusMarker + `\0'
g ls-files --others --exclude-standard -z --
`

// statusMarker separates StatusScript's two lists. It stands where a
// status letter would, which no path does.
const statusMarker = "::untracked::"

// ParseStatus reads what StatusScript printed: `git diff HEAD
// --name-status -z` (A: added, D: removed, M and T: modified), then the
// untracked files git does not ignore (added; a nested repository is
// listed as its folder, with a trailing "/"). A status it does not know
// (U: a conflict) is an error, and so is anything malformed: the caller
// plans from the whole working tree instead.
func ParseStatus(out []byte) (Uncommitted, error) {
	var u Uncommitted
	fields := bytes.Split(out, []byte{0})
	if n := len(fields); n > 0 && len(fields[n-1]) == 0 {
		fields = fields[:n-1]
	}
	i := 0
	for ; i < len(fields); i += 2 {
		status := string(fields[i])
		if status == statusMarker {
			break
		}
		if i+1 >= len(fields) || len(fields[i+1]) == 0 {
			return Uncommitted{}, fmt.Errorf("git status: %q has no path", status)
		}
		p := string(fields[i+1])
		switch status {
		case "A":
			u.Added = append(u.Added, p)
		case "D":
			u.Removed = append(u.Removed, p)
		case "M", "T":
			u.Modified = append(u.Modified, p)
		default:
			return Uncommitted{}, fmt.Errorf("git status %q for %s: the working tree has to be read as it is", status, p)
		}
	}
	if i >= len(fields) {
		return Uncommitted{}, fmt.Errorf("git status: no list of untracked files (output cut short?)")
	}
	for _, f := range fields[i+1:] {
		if len(f) == 0 {
			return Uncommitted{}, fmt.Errorf("git status: an empty untracked path")
		}
		u.Added = append(u.Added, string(f))
	}
	slices.Sort(u.Added)
	slices.Sort(u.Modified)
	slices.Sort(u.Removed)
	return u, nil
}
