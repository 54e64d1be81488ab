package gitparity

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// GitDetector is a Detector that asks git itself, in the process's
// environment: the harness run against it must always pass, which checks
// the harness (its oracles are deterministic and its mappings
// consistent), and a wrong variant of it must fail, which checks that the
// harness can fail.
func GitDetector(dir, base, head string) (Answer, error) {
	sb := &Sandbox{env: os.Environ()}
	rev := func(r string) (string, error) {
		out, err := exec.Command("git", "-C", dir, "rev-parse", "--verify", "-q", "--end-of-options", r+"^{commit}").Output()
		if err != nil {
			return "", fmt.Errorf("%s: no such commit", r)
		}
		return strings.TrimSpace(string(out)), nil
	}
	headRev := head
	if headRev == "" {
		headRev = "HEAD"
	}
	h, err := rev(headRev)
	if err != nil {
		return Answer{}, err
	}
	b, err := rev(base)
	if err != nil {
		return Answer{}, err
	}
	o := &oracle{sb: sb, dir: dir, diffs: map[[2]string][]string{}}
	e, err := o.threeDot(b, h)
	if err != nil {
		return Answer{}, err
	}
	if len(e.Bases) == 0 {
		return Answer{Everything: true, Reason: "no common history"}, nil
	}
	ans := Answer{Base: e.Bases[0], Paths: e.Paths}
	if head == "" {
		st, inWorktree, err := sb.status(dir)
		if err != nil {
			return Answer{}, err
		}
		ans.Paths = sortUnique(append(ans.Paths, st...))
		if ans.Files, err = sb.PresentFiles(dir); err != nil {
			return Answer{}, err
		}
		out, err := sb.Git(dir, "ls-files", "-z", "--stage")
		if err != nil {
			return Answer{}, err
		}
		blobs := map[string]string{}
		for _, rec := range strings.Split(string(out), "\x00") {
			// mode SP id SP stage TAB path
			meta, p, ok := strings.Cut(rec, "\t")
			if f := strings.Fields(meta); ok && len(f) == 3 && f[2] == "0" && !slices.Contains(inWorktree, p) {
				blobs[p] = f[1]
			}
		}
		ans.Blob = func(p string) (string, bool) { id, ok := blobs[p]; return id, ok }
	}
	return ans, nil
}
