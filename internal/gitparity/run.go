package gitparity

import (
	"crypto/sha1"
	"encoding/hex"
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
	// Files, in working-tree mode, are the files present: tracked files
	// that exist (or are left out by a sparse checkout) and untracked
	// files that are not ignored; checked by the "files" check when not
	// nil.
	Files []string
	// Blob, when not nil, is the blob id (hex) the detector believes the
	// working tree's file at path has without reading it; the "blobs"
	// check reads the file and compares.
	Blob func(path string) (string, bool)
}

// Detector runs the change detection under test in the work tree dir:
// base against head, where head "" means HEAD plus the index and the
// working tree.
type Detector func(dir, base, head string) (Answer, error)

// Checks are the kinds of comparison made after every step.
var Checks = []struct{ Name, Doc string }{
	{"worktree", "working-tree mode (head \"\") from HEAD, the root commit and main, vs git status ∪ git diff BASE...HEAD; from HEAD also run in the subfolder a/"},
	{"commit", "commit mode (root..HEAD, HEAD~1..HEAD, main..HEAD when main is an ancestor) vs git diff"},
	{"mergebase", "a base that is not an ancestor of head (HEAD..HEAD~1, main..HEAD on a branch), in both modes, vs git diff base...head (issue 13 item 7)"},
	{"linked", "the worktree and commit checks in every linked work tree too"},
	{"cold", "each detection run twice: warm (with the caches under <git dir>/monopipe the previous step left) and cold (removed first); both must agree with git, and a failure in only one of them is charged to this check"},
	{"files", "working-tree mode: the present files (Result.Files) vs git ls-files --cached (minus --deleted) ∪ --others --exclude-standard"},
	{"blobs", "working-tree mode: every blob id the detector knows without reading (Result.Blob, which the manifest cache trusts) vs the file's real content"},
	{"revisions", "revision expressions (reflog, @{-1}, peeled annotated tags, a tag object id, ^{tree}, :path) vs git rev-parse --verify X^{commit}"},
}

// Config is one run of the harness.
type Config struct {
	Seed   uint64          // seeds the operations chosen
	Steps  int             // how many operations
	Ops    map[string]bool // enabled operation kinds (see Ops)
	Checks map[string]bool // enabled checks (see Checks)
	Detect Detector        // the detector under test

	run *runState // nil outside Run
}

// runState is what Run remembers between checks.
type runState struct {
	// badRevs are the revision expressions already reported: the
	// revisions check goes on looking for new ones.
	badRevs map[string]bool
	// refs are the refs and reflog the revisions check last saw: it is
	// made again only when they change.
	refs string
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

// Report is the outcome of Run.
type Report struct {
	// Failures are the first failure of each check, in order.
	Failures []*Failure
	// Kinds counts the steps of each operation kind.
	Kinds map[string]int
	// Log is every step's script.
	Log []string
}

// Run makes a sandbox under parent, sets the process environment to it
// (see Env) and runs cfg.Steps random steps, checking after each. A check
// that failed is not made again in the run, so that the others go on
// (the revisions check goes on looking for other expressions).
func Run(t testing.TB, parent string, cfg Config) (*Report, error) {
	sb, err := NewSandbox(parent)
	if err != nil {
		return nil, err
	}
	sb.SetProcessEnv(t)
	g := NewGen(sb, cfg.Seed)
	rep := &Report{Kinds: map[string]int{}}
	checks := maps.Clone(cfg.Checks)
	cfg.Checks, cfg.run = checks, &runState{badRevs: map[string]bool{}}
	for step := 0; step <= cfg.Steps; step++ {
		if step > 0 {
			kind, script, ok := g.Step(cfg.Ops)
			if !ok {
				break
			}
			rep.Kinds[kind]++
			sb.Run(script)
		}
		for {
			f := Check(sb, cfg)
			if f == nil {
				break
			}
			f.Seed, f.Step = cfg.Seed, step
			rep.Failures = append(rep.Failures, f)
			if f.Check != "revisions" {
				checks[f.Check] = false
			}
		}
	}
	rep.Log = sb.Log
	return rep, nil
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
	// ancestors are commits known to be ancestors of head (its root, its
	// parent): their merge-base with it is themselves.
	head      string
	ancestors map[string]bool
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
	if o.ancestors[base] && o.head == head {
		e.Bases = []string{base}
	} else {
		out, err := o.sb.Git(o.dir, "merge-base", "--all", base, head)
		if err != nil && len(out) > 0 {
			return e, err
		}
		e.Bases = strings.Fields(string(out)) // none (exit status 1): unrelated
	}
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
		// One answer per cache mode; a failure is charged to the cache
		// when the modes disagree with each other.
		type result struct {
			mode string
			ans  Answer
			err  error
			bad  bool
		}
		var rs []result
		for _, mode := range modes {
			if mode == "cold" {
				for _, d := range gitDirs {
					_ = os.RemoveAll(filepath.Join(d, "monopipe"))
				}
			}
			ans, err := cfg.Detect(dir, base, head)
			bad := err != nil || ans.Everything != (len(want.Bases) == 0) ||
				len(want.Bases) > 0 && Compare(want.Paths, ans.Paths) != nil
			rs = append(rs, result{mode, ans, err, bad})
		}
		for _, r := range rs {
			if !r.bad {
				continue
			}
			check := kind
			for _, o := range rs {
				if !o.bad {
					check = "cold" // the answer depends on the caches
				}
			}
			where := fmt.Sprintf("in %s, base %s, head %q, %s caches", sb.name(dir), sb.describe(dir, base), head, r.mode)
			for _, o := range rs {
				if o.mode != r.mode && !o.bad {
					where += fmt.Sprintf(" (with %s caches it agrees)", o.mode)
				}
			}
			switch {
			case r.err != nil:
				return fail(check, "%s: detector error: %v\ngit: %q", where, r.err, want.Paths)
			case len(want.Bases) == 0:
				return fail(check, "%s: no common history, detector does not say everything\ndetector: %q", where, r.ans.Paths)
			case r.ans.Everything:
				return fail(check, "%s: detector says everything (%s)\ngit: %q", where, r.ans.Reason, want.Paths)
			default:
				return fail(check, "%s: %s\ngit:      %q\ndetector: %q", where, Compare(want.Paths, r.ans.Paths), want.Paths, sortUnique(r.ans.Paths))
			}
		}
		return nil
	}
	for _, dir := range dirs {
		head := sb.RevParse(dir, "HEAD")
		if head == "" {
			continue // an unborn branch: nothing to compare with
		}
		gitDirs := sb.GitDirs(dir)
		root := sb.Root(dir)
		parent := sb.RevParse(dir, "HEAD~1")
		main := sb.RevParse(dir, "main")
		o := &oracle{sb: sb, dir: dir, diffs: map[[2]string][]string{}, head: head, ancestors: map[string]bool{root: true, parent: true}}
		var status, inWorktree []string
		if cfg.Checks["worktree"] || cfg.Checks["blobs"] {
			var err error
			if status, inWorktree, err = sb.status(dir); err != nil {
				return fail("worktree", "in %s: git status fails (the harness made a state git rejects): %v", sb.name(dir), err)
			}
		}
		if cfg.Checks["worktree"] {
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
				if base != head {
					continue
				}
				// Run from a subfolder, as "monopipe plan" in one does: the
				// answer is the same, relative to the top.
				if st, err := os.Lstat(filepath.Join(dir, "a")); err == nil && st.IsDir() {
					if f := detect("worktree", filepath.Join(dir, "a"), gitDirs, base, "", want); f != nil {
						return f
					}
				}
			}
		}
		if cfg.Checks["files"] || cfg.Checks["blobs"] {
			if f := sb.checkFiles(cfg, dir, head, inWorktree, fail); f != nil {
				return f
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
	if cfg.run != nil {
		refs, _ := sb.Git(sb.R, "for-each-ref", "--format=%(refname) %(objectname)")
		log, _ := sb.Git(sb.R, "reflog", "-n", "3", "--format=%H")
		head, _ := sb.Git(sb.R, "symbolic-ref", "-q", "HEAD")
		if key := string(refs) + string(log) + string(head); key == cfg.run.refs {
			return nil // nothing it looks at has changed
		} else {
			cfg.run.refs = key
		}
	}
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
		if cfg.run != nil && cfg.run.badRevs[rev] {
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
		if len(bad) > n && cfg.run != nil {
			cfg.run.badRevs[rev] = true
		}
	}
	if bad != nil {
		return fail("revisions", "%s", strings.Join(bad, "\n"))
	}
	return nil
}

// checkFiles compares the present files and the known blob ids of the
// working-tree answer with git's index and the files' contents. A blob id
// is checked where git status says the working-tree file changed
// (elsewhere git trusts the index as much as the detector may).
func (sb *Sandbox) checkFiles(cfg Config, dir, head string, inWorktree []string, fail func(check, format string, args ...any) *Failure) *Failure {
	ans, err := cfg.Detect(dir, head, "")
	if err != nil {
		return nil // the worktree check reports it
	}
	want, tracked, err := sb.presentFiles(dir)
	if err != nil {
		return fail("files", "%v", err)
	}
	if cfg.Checks["files"] && ans.Files != nil {
		if m := Compare(want, ans.Files); m != nil {
			return fail("files", "in %s: Files: %s", sb.name(dir), m)
		}
	}
	if cfg.Checks["blobs"] && ans.Blob != nil {
		// Where git itself trusts stale stat data (the same whole second
		// of ctime, core.trustctime=false, core.checkStat=minimal), so may
		// the detector: only files git sees changed in the work tree count.
		var bad []string
		for _, p := range tracked {
			if !slices.Contains(inWorktree, p) {
				continue
			}
			id, ok := ans.Blob(p)
			if !ok {
				continue
			}
			real, err := blobID(filepath.Join(dir, filepath.FromSlash(p)))
			if err != nil || real != id {
				bad = append(bad, fmt.Sprintf("%s: detector trusts blob %s, the file's content is %s (%v)", p, id, real, err))
			}
		}
		if bad != nil {
			return fail("blobs", "in %s: stale blob ids (a manifest cache keyed by them serves old content):\n%s", sb.name(dir), strings.Join(bad, "\n"))
		}
	}
	return nil
}

// PresentFiles is git's list of the files present in the work tree dir:
// git ls-files --cached, minus --deleted, plus --others --exclude-standard
// (an untracked nested repository is "dir/").
func (sb *Sandbox) PresentFiles(dir string) ([]string, error) {
	present, _, err := sb.presentFiles(dir)
	return present, err
}

// presentFiles is PresentFiles and the tracked paths, from one
// "git ls-files -t" (tags: H cached, S skip-worktree, R deleted, ? other;
// a deleted file is listed both as cached and as deleted).
func (sb *Sandbox) presentFiles(dir string) (present, tracked []string, err error) {
	out, err := sb.Git(dir, "ls-files", "-z", "-t", "--cached", "--deleted", "--others", "--exclude-standard")
	if err != nil {
		return nil, nil, err
	}
	set := map[string]bool{}
	for _, rec := range strings.Split(string(out), "\x00") {
		tag, p, ok := strings.Cut(rec, " ")
		if !ok {
			continue
		}
		switch tag {
		case "R":
			set[p] = false
		case "?":
			set[p] = true
		default:
			if _, seen := set[p]; !seen {
				set[p] = true
			}
			tracked = append(tracked, p)
		}
	}
	for p, ok := range set {
		if ok {
			present = append(present, p)
		}
	}
	return sortUnique(present), sortUnique(tracked), nil
}

// blobID is the git blob id of the file at path as it is on disk (a
// symlink's target for a symlink).
func blobID(path string) (string, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return "", err
	}
	var data []byte
	if st.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		data = []byte(target)
	} else if data, err = os.ReadFile(path); err != nil {
		return "", err
	}
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil)), nil
}
