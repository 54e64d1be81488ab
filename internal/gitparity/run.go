package gitparity

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// Answer is what a detector says changed.
type Answer struct {
	// Base is the commit it compared against.
	Base string
	// Paths are the changed paths, repo-relative with "/"; an untracked
	// nested repository is its folder with a trailing "/", as git status
	// shows it.
	Paths []string
	// Everything is set when the detector gave up and selects all; the
	// harness counts it as a mismatch (git always knows here), with Reason.
	Everything bool
	Reason     string
}

// Detector runs the change detection under test in the work tree dir:
// base against head, where head "" means HEAD plus the index and the
// working tree.
type Detector func(dir, base, head string) (Answer, error)

// Checks are the kinds of comparison made after every step.
var Checks = []struct{ Name, Doc string }{
	{"worktree", "working-tree mode (head \"\"), base HEAD and base the root commit, vs git status ∪ git diff BASE HEAD"},
	{"commit", "commit mode (root..HEAD, HEAD~1..HEAD, main..HEAD when main is an ancestor) vs git diff"},
	{"mergebase", "a base that is not an ancestor of head (HEAD..HEAD~1, main..HEAD on a branch), in both modes, vs git diff base...head (issue 13 item 7)"},
	{"linked", "the worktree and commit checks in every linked work tree too"},
	{"cold", "each worktree and commit detection run again with <git dir>/monopipe removed, after the warm run (with the caches the previous step left) agreed"},
	{"revisions", "revision expressions (reflog, @{-1}, peeled annotated tags, a tag object id, ^{tree}, :path) vs git rev-parse --verify X^{commit}"},
}

// Config is one run of the harness.
type Config struct {
	Seed   uint64
	Steps  int
	Ops    map[string]bool // enabled operation kinds
	Checks map[string]bool // enabled checks
	Detect Detector

	// badRevs are the revision expressions already reported in this run:
	// the revisions check goes on looking for new ones.
	badRevs map[string]bool
}

// Failure is the first disagreement with git.
type Failure struct {
	Seed  uint64
	Step  int    // 1-based; 0 is the state after the prelude
	Check string // the check kind that failed
	What  string // where and how it differs
	Log   []string
}

func (f *Failure) String() string {
	return fmt.Sprintf("parity seed %d, step %d, check %s:\n%s\nreproduction (sh):\n%s", f.Seed, f.Step, f.Check, f.What, Script(f.Log))
}

// Run makes a sandbox under parent, sets the process environment to it
// (see Env) and runs cfg.Steps random steps, checking after each. It
// returns the first failure of each check (a check that failed is not
// made again in this run, so that the others go on), none when git and
// the detector always agreed; kinds counts the steps of each operation
// kind.
func Run(t testing.TB, parent string, cfg Config) (fs []*Failure, kinds map[string]int, err error) {
	sb, err := NewSandbox(parent)
	if err != nil {
		return nil, nil, err
	}
	sb.SetProcessEnv(t)
	g := NewGen(sb, cfg.Seed)
	kinds = map[string]int{}
	checks := maps.Clone(cfg.Checks)
	cfg.Checks, cfg.badRevs = checks, map[string]bool{}
	for step := 0; step <= cfg.Steps; step++ {
		if step > 0 {
			kind, script, ok := g.Step(cfg.Ops)
			if !ok {
				break
			}
			kinds[kind]++
			sb.Run(script)
		}
		for {
			f := Check(sb, cfg)
			if f == nil {
				break
			}
			f.Seed, f.Step = cfg.Seed, step
			fs = append(fs, f)
			if f.Check != "revisions" {
				checks[f.Check] = false
			}
		}
	}
	return fs, kinds, nil
}

// WorkTrees are the folders of R's work trees that exist: R first.
func (sb *Sandbox) WorkTrees() []string {
	out, err := sb.Git(sb.R, "worktree", "list", "--porcelain")
	if err != nil {
		return []string{sb.R}
	}
	dirs := []string{sb.R}
	for _, l := range strings.Split(string(out), "\n") {
		if d, ok := strings.CutPrefix(l, "worktree "); ok && d != sb.R {
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				dirs = append(dirs, d)
			}
		}
	}
	return dirs
}

// name is how dir appears in reproductions.
func (sb *Sandbox) name(dir string) string {
	if dir == sb.R {
		return "$R"
	}
	if rel, err := filepath.Rel(sb.T, dir); err == nil && !strings.HasPrefix(rel, "..") {
		return "$T/" + rel
	}
	return dir
}

// ClearCaches removes the detector's caches (<git dir>/monopipe) of the
// work tree dir and of its common git folder.
func (sb *Sandbox) ClearCaches(dir string) {
	for _, d := range sb.GitDirs(dir) {
		_ = os.RemoveAll(filepath.Join(d, "monopipe"))
	}
}

// Expected is git's answer for a comparison from base to head.
type Expected struct {
	// Bases are the merge-bases of base and head (base itself when it is
	// an ancestor of head); none when the histories are unrelated.
	Bases []string
	// Paths are the paths that differ between each merge-base and head
	// (git diff base...head; with several merge-bases, the changes since
	// each count), plus, in working-tree mode, git status's paths.
	Paths []string
}

// oracle computes git's answers, remembering diffs within one check.
type oracle struct {
	sb    *Sandbox
	dir   string
	diffs map[[2]string][]string
}

func (o *oracle) diff(a, b string) ([]string, error) {
	if a == b {
		return nil, nil
	}
	k := [2]string{a, b}
	if d, ok := o.diffs[k]; ok {
		return d, nil
	}
	d, err := o.sb.DiffPaths(o.dir, a, b)
	if err != nil {
		return nil, err
	}
	o.diffs[k] = d
	return d, nil
}

// threeDot is git's answer for base...head: the merge-bases and the
// union of their diffs to head.
func (o *oracle) threeDot(base, head string) (Expected, error) {
	var e Expected
	if base == head {
		return Expected{Bases: []string{base}}, nil
	}
	out, err := o.sb.Git(o.dir, "merge-base", "--all", base, head)
	if err != nil && len(out) > 0 {
		return e, err
	}
	e.Bases = strings.Fields(string(out)) // none (exit status 1): unrelated
	for _, mb := range e.Bases {
		d, err := o.diff(mb, head)
		if err != nil {
			return e, err
		}
		e.Paths = append(e.Paths, d...)
	}
	e.Paths = sortUnique(e.Paths)
	return e, nil
}

// Check compares the detector with git on the sandbox's current state,
// with every enabled check; nil when they agree. The returned failure has
// the log but no seed or step.
//
// An explicit base is compared through its merge-base with head, as git
// diff base...head does (issue 13 item 7); for the bases used here that
// are ancestors of head (HEAD, its root, HEAD~1) that is the plain diff.
// When base and head share no history the detector must say Everything.
func Check(sb *Sandbox, cfg Config) *Failure {
	fail := func(check, format string, args ...any) *Failure {
		return &Failure{Check: check, What: fmt.Sprintf(format, args...), Log: append([]string(nil), sb.Log...)}
	}
	dirs := []string{sb.R}
	if cfg.Checks["linked"] {
		dirs = sb.WorkTrees()
	}
	modes := []string{"warm"}
	if cfg.Checks["cold"] {
		modes = append(modes, "cold")
	}
	// detect runs the detector in each cache mode and compares with want.
	detect := func(kind, dir string, gitDirs []string, base, head string, want Expected) *Failure {
		if len(want.Bases) != 1 || want.Bases[0] != base {
			if !cfg.Checks["mergebase"] {
				return nil
			}
			kind = "mergebase"
		}
		for _, mode := range modes {
			check := kind
			if mode == "cold" {
				check = "cold" // the warm run agreed with git, so the cache is to blame
				for _, d := range gitDirs {
					_ = os.RemoveAll(filepath.Join(d, "monopipe"))
				}
			}
			ans, err := cfg.Detect(dir, base, head)
			var where string
			if err != nil || ans.Everything != (len(want.Bases) == 0) || Compare(want.Paths, ans.Paths) != nil {
				where = fmt.Sprintf("in %s, base %s, head %q, %s caches", sb.name(dir), sb.describe(dir, base), head, mode)
			}
			switch {
			case err != nil:
				return fail(check, "%s: detector error: %v\ngit: %q", where, err, want.Paths)
			case len(want.Bases) == 0:
				if !ans.Everything {
					return fail(check, "%s: no common history, detector does not say everything\ndetector: %q", where, ans.Paths)
				}
			case ans.Everything:
				return fail(check, "%s: detector says everything (%s)\ngit: %q", where, ans.Reason, want.Paths)
			default:
				if m := Compare(want.Paths, ans.Paths); m != nil {
					return fail(check, "%s: %s\ngit:      %q\ndetector: %q", where, m, want.Paths, sortUnique(ans.Paths))
				}
			}
		}
		return nil
	}
	for _, dir := range dirs {
		head := sb.RevParse(dir, "HEAD")
		if head == "" {
			continue // an unborn branch: nothing to compare with
		}
		o := &oracle{sb: sb, dir: dir, diffs: map[[2]string][]string{}}
		gitDirs := sb.GitDirs(dir)
		root := sb.Root(dir)
		parent := sb.RevParse(dir, "HEAD~1")
		main := sb.RevParse(dir, "main")
		if cfg.Checks["worktree"] {
			status, err := sb.StatusPaths(dir)
			if err != nil {
				return fail("worktree", "in %s: git status fails (the harness made a state git rejects): %v", sb.name(dir), err)
			}
			for _, base := range sortUnique([]string{head, root, main}) {
				if base == "" {
					continue
				}
				want, err := o.threeDot(base, head)
				if err != nil {
					return fail("worktree", "%v", err)
				}
				want.Paths = sortUnique(append(want.Paths, status...))
				if f := detect("worktree", dir, gitDirs, base, "", want); f != nil {
					return f
				}
			}
		}
		if cfg.Checks["commit"] {
			pairs := [][2]string{{root, head}, {main, head}}
			if parent != "" {
				pairs = append(pairs, [2]string{parent, head}, [2]string{head, parent})
			}
			done := map[[2]string]bool{}
			for _, p := range pairs {
				if p[0] == "" || done[p] {
					continue
				}
				done[p] = true
				want, err := o.threeDot(p[0], p[1])
				if err != nil {
					return fail("commit", "%v", err)
				}
				if f := detect("commit", dir, gitDirs, p[0], p[1], want); f != nil {
					return f
				}
			}
		}
		if cfg.Checks["revisions"] && dir == sb.R {
			if f := sb.checkRevisions(cfg, o, fail); f != nil {
				return f
			}
		}
	}
	return nil
}

// describe names a base commit by the expressions that led to it.
func (sb *Sandbox) describe(dir, rev string) string {
	out, err := sb.Git(dir, "name-rev", "--name-only", "--always", rev)
	if err != nil || len(rev) != 40 {
		return rev
	}
	return rev[:12] + " (" + strings.TrimSpace(string(out)) + ")"
}

// checkRevisions compares how base revisions resolve.
func (sb *Sandbox) checkRevisions(cfg Config, o *oracle, fail func(check, format string, args ...any) *Failure) *Failure {
	revs := []string{"HEAD@{1}", "main@{1}", "@{-1}", "HEAD~1", "HEAD^{tree}", "HEAD:README", "HEAD~40"}
	if out, err := sb.Git(sb.R, "for-each-ref", "--format=%(refname:short) %(objecttype) %(objectname)", "refs/tags"); err == nil {
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Fields(l)
			if len(f) == 3 && f[1] == "tag" { // an annotated tag: its name, peeled, and its object id
				revs = append(revs, f[0], f[0]+"^{}", f[0]+"^{commit}", f[2])
				break
			}
		}
	}
	sort.Strings(revs)
	var bad []string
	head := sb.RevParse(sb.R, "HEAD")
	for _, rev := range revs {
		if cfg.badRevs[rev] {
			continue
		}
		n := len(bad)
		want := sb.RevParse(sb.R, rev)
		ans, err := cfg.Detect(sb.R, rev, "HEAD")
		var exp Expected
		if want != "" {
			var gerr error
			if exp, gerr = o.threeDot(want, head); gerr != nil {
				return fail("revisions", "%v", gerr)
			}
		}
		switch {
		case want == "":
			if err == nil && !ans.Everything {
				bad = append(bad, fmt.Sprintf("--base %s: git rev-parse --verify %s^{commit} fails, detector resolves it to %s", rev, rev, sb.describe(sb.R, ans.Base)))
			}
		case err != nil:
			bad = append(bad, fmt.Sprintf("--base %s: git resolves %s, detector errs: %v", rev, sb.describe(sb.R, want), err))
		case len(exp.Bases) == 0:
			if !ans.Everything {
				bad = append(bad, fmt.Sprintf("--base %s: no common history with HEAD, detector does not say everything", rev))
			}
		case ans.Everything || !slices.Contains(exp.Bases, ans.Base):
			bad = append(bad, fmt.Sprintf("--base %s: git resolves %s, merge-base(s) with HEAD %q; detector compares from %s (everything %v: %s)", rev, sb.describe(sb.R, want), exp.Bases, sb.describe(sb.R, ans.Base), ans.Everything, ans.Reason))
		default:
			if m := Compare(exp.Paths, ans.Paths); m != nil {
				bad = append(bad, fmt.Sprintf("--base %s: %s", rev, m))
			}
		}
		if len(bad) > n && cfg.badRevs != nil {
			cfg.badRevs[rev] = true
		}
	}
	if bad != nil {
		return fail("revisions", "%s", strings.Join(bad, "\n"))
	}
	return nil
}
