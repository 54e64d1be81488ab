package detect

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Revision names are resolved here as `git rev-parse --verify REV^{commit}`
// resolves them (see gitrevisions(7)), with go-git's object store and
// reference storage and the reflog files read directly (go-git has no
// reflog API). Supported:
//
//   - object ids, full or abbreviated to at least 4 hex digits (an
//     ambiguous abbreviation is an error), and describe output (v1-3-gabc1);
//   - reference names by git's rules: NAME, refs/NAME, refs/tags/NAME,
//     refs/heads/NAME, refs/remotes/NAME, refs/remotes/NAME/HEAD; @ for HEAD;
//   - reflog entries REF@{N} and @{N} (the current branch), @{-N} (the Nth
//     branch checked out before this one);
//   - BRANCH@{upstream}, @{u}, BRANCH@{push} from branch.<name>.remote,
//     branch.<name>.merge, pushRemote, remote.pushDefault, push.default and
//     the remote's fetch refspecs;
//   - suffixes ~N, ^N, ^0, ^{commit}, ^{tag}, ^{object} and ^{} (annotated
//     tags peel to their commit).
//
// Anything naming a tree or a file (REV^{tree}, REV:path, :path) and what
// is not supported (reflog dates REF@{yesterday}, :/text, REV^{/text}) is
// an error that says so: a revision is never silently taken to mean
// something else.

// errNoSuchRevision is a name that resolves to nothing.
var errNoSuchRevision = errors.New("no such revision")

// resolveCommit resolves rev to a commit.
func (r *Repo) resolveCommit(rev string) (*object.Commit, error) {
	if rev == "" {
		return nil, errNoSuchRevision
	}
	if strings.HasPrefix(rev, ":/") {
		return nil, errors.New("searching commit messages (:/text) is not supported: name the commit")
	}
	if strings.HasPrefix(rev, ":") {
		return nil, errors.New("names a file in the index (:path), not a commit")
	}
	depth := 0
	for i, ch := range rev {
		switch {
		case ch == '{':
			depth++
		case ch == '}' && depth > 0:
			depth--
		case ch == ':' && depth == 0:
			return nil, fmt.Errorf("names a file or folder in a tree (%s), not a commit", rev[i:])
		}
	}
	h, err := r.resolveObject(rev)
	if err != nil {
		return nil, err
	}
	return r.peelCommit(rev, h)
}

// resolveObject resolves a name without the rev:path forms to an object id,
// suffixes last first as git does.
func (r *Repo) resolveObject(name string) (plumbing.Hash, error) {
	if strings.HasSuffix(name, "}") {
		if i := strings.LastIndex(name, "^{"); i >= 0 {
			return r.peelOnion(name[:i], name[i+2:len(name)-1])
		}
	}
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	if i > 0 && (name[i-1] == '~' || name[i-1] == '^') {
		op, inner, digits := name[i-1], name[:i-1], name[i:]
		n := 1
		if digits != "" {
			var err error
			if n, err = strconv.Atoi(digits); err != nil {
				return plumbing.ZeroHash, fmt.Errorf("%s: number too large", name)
			}
		}
		h, err := r.resolveObject(inner)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		c, err := r.peelCommit(inner, h)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if op == '^' {
			return r.nthParent(inner, c, n)
		}
		return r.nthAncestor(inner, c, n)
	}
	return r.resolveBase(name)
}

// peelOnion applies a ^{type} suffix to the object that inner names.
func (r *Repo) peelOnion(inner, kind string) (plumbing.Hash, error) {
	if strings.HasPrefix(kind, "/") {
		return plumbing.ZeroHash, fmt.Errorf("searching commit messages (^{/text}) is not supported: name the commit")
	}
	h, err := r.resolveObject(inner)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	switch kind {
	case "object":
		if _, err := r.objectType(h); err != nil {
			return plumbing.ZeroHash, err
		}
		return h, nil
	case "":
		return r.peel(h, plumbing.AnyObject)
	case "commit":
		c, err := r.peelCommit(inner, h)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		return c.Hash, nil
	case "tag":
		t, err := r.objectType(h)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if t != plumbing.TagObject {
			return plumbing.ZeroHash, fmt.Errorf("%s names a %s, not an annotated tag", inner, t)
		}
		return h, nil
	case "tree", "blob":
		if _, err := r.objectType(h); err != nil {
			return plumbing.ZeroHash, err
		}
		return plumbing.ZeroHash, fmt.Errorf("%s^{%s} names a %s, not a commit", inner, kind, kind)
	}
	return plumbing.ZeroHash, fmt.Errorf("^{%s}: unknown object type", kind)
}

// objectType is the type of object h; a missing object wraps
// plumbing.ErrObjectNotFound.
func (r *Repo) objectType(h plumbing.Hash) (plumbing.ObjectType, error) {
	o, err := r.git.Storer.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return 0, fmt.Errorf("object %s is not in this clone: %w", h, plumbing.ErrObjectNotFound)
		}
		return 0, fmt.Errorf("read object %s: %w", h, err)
	}
	return o.Type(), nil
}

// peel follows annotated tags from h until an object of type want (any
// object that is not a tag, for AnyObject).
func (r *Repo) peel(h plumbing.Hash, want plumbing.ObjectType) (plumbing.Hash, error) {
	for range 100 {
		t, err := r.objectType(h)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if t != plumbing.TagObject || want == plumbing.TagObject {
			return h, nil
		}
		tag, err := r.git.TagObject(h)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read tag %s: %w", h, err)
		}
		h = tag.Target
	}
	return plumbing.ZeroHash, fmt.Errorf("tag %s: more than 100 nested tags", h)
}

// peelCommit peels h, which name names, to a commit.
func (r *Repo) peelCommit(name string, h plumbing.Hash) (*object.Commit, error) {
	p, err := r.peel(h, plumbing.AnyObject)
	if err != nil {
		return nil, err
	}
	t, err := r.objectType(p)
	if err != nil {
		return nil, err
	}
	if t != plumbing.CommitObject {
		return nil, fmt.Errorf("%s names a %s, not a commit", name, t)
	}
	c, err := r.git.CommitObject(p)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", p, err)
	}
	return c, nil
}

// parent reads c's parent i; one beyond a shallow clone's boundary wraps
// plumbing.ErrObjectNotFound.
func (r *Repo) parent(c *object.Commit, i int) (*object.Commit, error) {
	p, err := r.git.CommitObject(c.ParentHashes[i])
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return nil, fmt.Errorf("parent %s of %s is not in this clone: %w", c.ParentHashes[i], c.Hash, plumbing.ErrObjectNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", c.ParentHashes[i], err)
	}
	return p, nil
}

// nthParent is name^n.
func (r *Repo) nthParent(name string, c *object.Commit, n int) (plumbing.Hash, error) {
	if n == 0 {
		return c.Hash, nil
	}
	if n > len(c.ParentHashes) {
		parents := "parents"
		if len(c.ParentHashes) == 1 {
			parents = "parent"
		}
		return plumbing.ZeroHash, fmt.Errorf("%s has %d %s, not %d", name, len(c.ParentHashes), parents, n)
	}
	p, err := r.parent(c, n-1)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return p.Hash, nil
}

// nthAncestor is name~n.
func (r *Repo) nthAncestor(name string, c *object.Commit, n int) (plumbing.Hash, error) {
	for i := range n {
		if len(c.ParentHashes) == 0 {
			return plumbing.ZeroHash, fmt.Errorf("history has only %d commits before %s", i, name)
		}
		p, err := r.parent(c, 0)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		c = p
	}
	return c.Hash, nil
}

var (
	fullHexRE     = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)
	shortHexRE    = regexp.MustCompile(`^[0-9a-fA-F]{4,39}$`)
	describeRE    = regexp.MustCompile(`-g([0-9a-fA-F]{4,40})$`)
	upstreamMarks = map[string]string{"u": "upstream", "upstream": "upstream", "push": "push"}
)

// resolveBase resolves a name without suffixes: an object id, a
// reference, or a reflog or branch mark (@{...}).
func (r *Repo) resolveBase(name string) (plumbing.Hash, error) {
	if fullHexRE.MatchString(name) {
		return plumbing.NewHash(strings.ToLower(name)), nil
	}
	if name == "@" {
		name = "HEAD"
	}
	if strings.HasSuffix(name, "}") {
		if at := strings.LastIndex(name, "@{"); at >= 0 {
			return r.resolveMark(name[:at], name[at+2:len(name)-1])
		}
	}
	if ref, ok, err := r.dwimRef(name); err != nil {
		return plumbing.ZeroHash, err
	} else if ok {
		return ref, nil
	}
	if m := describeRE.FindStringSubmatch(name); m != nil {
		if h, err := r.shortID(m[1]); err == nil {
			return h, nil
		}
	}
	if shortHexRE.MatchString(name) {
		return r.shortID(name)
	}
	return plumbing.ZeroHash, errNoSuchRevision
}

// resolveMark resolves ref@{mark}.
func (r *Repo) resolveMark(ref, mark string) (plumbing.Hash, error) {
	if kind, ok := upstreamMarks[strings.ToLower(mark)]; ok {
		target, err := r.trackingRef(ref, kind)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		h, ok, err := r.refHash(target)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if !ok {
			return plumbing.ZeroHash, fmt.Errorf("%s of %q is %s, which does not exist", kind, ref, target)
		}
		return h, nil
	}
	if strings.HasPrefix(mark, "-") {
		n, err := strconv.Atoi(mark[1:])
		if err != nil || n <= 0 || ref != "" {
			return plumbing.ZeroHash, fmt.Errorf("@{%s}: only @{-N} with N > 0 names an earlier checkout", mark)
		}
		prev, err := r.priorCheckout(n)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		return r.resolveBase(prev)
	}
	n, err := strconv.Atoi(mark)
	if err != nil || n < 0 {
		return plumbing.ZeroHash, fmt.Errorf("@{%s}: reflog dates and other @{...} forms are not supported: use @{N}, @{upstream}, @{push} or a commit id", mark)
	}
	return r.reflogEntry(ref, n)
}

// dwimRule are git's rules for completing a short reference name.
var dwimRules = []string{"%s", "refs/%s", "refs/tags/%s", "refs/heads/%s", "refs/remotes/%s", "refs/remotes/%s/HEAD"}

// pseudoRefRE are the names git looks up directly in the git folder.
var pseudoRefRE = regexp.MustCompile(`^[A-Z_]*HEAD$`)

// dwimRef resolves a reference name by git's rules; ok is false when no
// reference matches.
func (r *Repo) dwimRef(name string) (plumbing.Hash, bool, error) {
	full, ok, err := r.dwimName(name)
	if err != nil || !ok {
		return plumbing.ZeroHash, ok, err
	}
	return r.refHash(full)
}

// dwimName is the full name of the reference that name means.
func (r *Repo) dwimName(name string) (plumbing.ReferenceName, bool, error) {
	if !validRefName(name) {
		return "", false, nil
	}
	for _, rule := range dwimRules {
		full := plumbing.ReferenceName(fmt.Sprintf(rule, name))
		if rule == "%s" && !strings.HasPrefix(name, "refs/") && !pseudoRefRE.MatchString(name) {
			continue
		}
		if _, ok, err := r.refHash(full); err != nil {
			return "", false, err
		} else if ok {
			return full, true, nil
		}
	}
	return "", false, nil
}

// refHash reads a reference, following symbolic ones.
func (r *Repo) refHash(name plumbing.ReferenceName) (plumbing.Hash, bool, error) {
	ref, err := r.git.Reference(name, true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, false, nil
	}
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("read reference %s: %w", name, err)
	}
	return ref.Hash(), true, nil
}

// validRefName is git's check-ref-format, loosely: names that could not be
// references are never looked up (a name like ../config must not be read as
// a file of the git folder).
func validRefName(name string) bool {
	if name == "" || name == "@" || strings.HasSuffix(name, "/") || strings.HasSuffix(name, ".") ||
		strings.Contains(name, "..") || strings.Contains(name, "//") || strings.Contains(name, "@{") ||
		strings.ContainsAny(name, " ~^:?*[\\\x7f") {
		return false
	}
	for _, c := range name {
		if c < 0x20 {
			return false
		}
	}
	for part := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(part, ".") || strings.HasSuffix(part, ".lock") {
			return false
		}
	}
	return true
}

// shortID resolves an abbreviated object id; when several objects match,
// the one commit (or tag of a commit) among them wins, as it does for git
// when a commit is wanted.
func (r *Repo) shortID(prefix string) (plumbing.Hash, error) {
	prefix = strings.ToLower(prefix)
	st, ok := r.git.Storer.(interface {
		HashesWithPrefix([]byte) ([]plumbing.Hash, error)
	})
	if !ok {
		return plumbing.ZeroHash, errNoSuchRevision
	}
	b, err := hex.DecodeString(prefix[:len(prefix)/2*2])
	if err != nil {
		return plumbing.ZeroHash, errNoSuchRevision
	}
	hashes, err := st.HashesWithPrefix(b)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("look up object ids starting %s: %w", prefix, err)
	}
	var all, commits []plumbing.Hash
	seen := map[plumbing.Hash]bool{}
	for _, h := range hashes {
		if seen[h] || !strings.HasPrefix(h.String(), prefix) {
			continue
		}
		seen[h] = true
		all = append(all, h)
		if p, err := r.peel(h, plumbing.AnyObject); err == nil {
			if t, err := r.objectType(p); err == nil && t == plumbing.CommitObject {
				commits = append(commits, h)
			}
		}
	}
	switch {
	case len(all) == 0:
		return plumbing.ZeroHash, errNoSuchRevision
	case len(all) == 1:
		return all[0], nil
	case len(commits) == 1:
		return commits[0], nil
	}
	return plumbing.ZeroHash, fmt.Errorf("short object id %s is ambiguous (%d objects): give more digits", prefix, len(all))
}

// commonDir is the folder shared by all work trees of the repository (the
// git folder itself unless this is a linked work tree).
func (r *Repo) commonDir() string {
	b, err := os.ReadFile(filepath.Join(r.gitDir, "commondir"))
	if err != nil {
		return r.gitDir
	}
	d := strings.TrimSpace(string(b))
	if !filepath.IsAbs(d) {
		d = filepath.Join(r.gitDir, d)
	}
	return d
}

// logFile is the reflog file of a reference.
func (r *Repo) logFile(name plumbing.ReferenceName) string {
	dir := r.commonDir()
	if !strings.HasPrefix(name.String(), "refs/") || strings.HasPrefix(name.String(), "refs/worktree/") {
		dir = r.gitDir // HEAD and pseudo references belong to the work tree
	}
	return filepath.Join(dir, "logs", filepath.FromSlash(name.String()))
}

// reflogLine is one line of a reflog.
type reflogLine struct {
	old, new plumbing.Hash
	msg      string
}

// readReflog reads a reflog, oldest entry first; ok is false when there is
// none.
func (r *Repo) readReflog(name plumbing.ReferenceName) ([]reflogLine, bool, error) {
	f, err := os.Open(r.logFile(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read reflog of %s: %w", name, err)
	}
	defer f.Close()
	var out []reflogLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if len(line) < 82 || line[40] != ' ' || line[81] != ' ' || !fullHexRE.MatchString(line[:40]) || !fullHexRE.MatchString(line[41:81]) {
			continue // git skips lines it cannot parse too
		}
		l := reflogLine{old: plumbing.NewHash(line[:40]), new: plumbing.NewHash(line[41:81])}
		if _, msg, ok := strings.Cut(line, "\t"); ok {
			l.msg = msg
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, false, fmt.Errorf("read reflog of %s: %w", name, err)
	}
	return out, true, nil
}

// reflogEntry is ref@{n}: the value ref had n changes ago; ref "" is the
// current branch (HEAD when detached).
func (r *Repo) reflogEntry(ref string, n int) (plumbing.Hash, error) {
	var name plumbing.ReferenceName
	if ref == "" {
		name = plumbing.HEAD
		if head, err := r.git.Storer.Reference(plumbing.HEAD); err == nil && head.Type() == plumbing.SymbolicReference {
			name = head.Target()
		}
	} else {
		var ok bool
		var err error
		if name, ok, err = r.dwimLog(ref); err != nil {
			return plumbing.ZeroHash, err
		} else if !ok {
			return plumbing.ZeroHash, fmt.Errorf("no reflog for %q", ref)
		}
	}
	lines, _, err := r.readReflog(name)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if n >= len(lines) {
		short := strings.TrimPrefix(name.String(), "refs/heads/")
		return plumbing.ZeroHash, fmt.Errorf("log for '%s' only has %d entries", short, len(lines))
	}
	return lines[len(lines)-1-n].new, nil
}

// dwimLog is the reference whose reflog ref@{n} reads: the first of git's
// rules that names an existing reference with a reflog (its own, or that of
// the reference it points to).
func (r *Repo) dwimLog(ref string) (plumbing.ReferenceName, bool, error) {
	if ref == "@" {
		ref = "HEAD"
	}
	if !validRefName(ref) {
		return "", false, nil
	}
	for _, rule := range dwimRules {
		full := plumbing.ReferenceName(fmt.Sprintf(rule, ref))
		if rule == "%s" && !strings.HasPrefix(ref, "refs/") && !pseudoRefRE.MatchString(ref) {
			continue
		}
		resolved, err := r.git.Reference(full, true)
		if err != nil {
			continue
		}
		if _, ok, _ := r.readReflog(full); ok {
			return full, true, nil
		}
		if resolved.Name() != full {
			if _, ok, _ := r.readReflog(resolved.Name()); ok {
				return resolved.Name(), true, nil
			}
		}
	}
	return "", false, nil
}

// priorCheckout is the branch (or commit) checked out n checkouts ago, from
// HEAD's reflog, as @{-n}.
func (r *Repo) priorCheckout(n int) (string, error) {
	lines, _, err := r.readReflog(plumbing.HEAD)
	if err != nil {
		return "", err
	}
	for i := len(lines) - 1; i >= 0; i-- {
		rest, ok := strings.CutPrefix(lines[i].msg, "checkout: moving from ")
		if !ok {
			continue
		}
		from, _, ok := strings.Cut(rest, " to ")
		if !ok {
			continue
		}
		if n--; n == 0 {
			return from, nil
		}
	}
	return "", errors.New("not that many earlier checkouts in HEAD's reflog")
}

// trackingRef is the remote-tracking reference that branch@{upstream} or
// branch@{push} names (kind "upstream" or "push"); branch "" is the current
// branch.
func (r *Repo) trackingRef(branch, kind string) (plumbing.ReferenceName, error) {
	if branch == "" || branch == "HEAD" || branch == "@" {
		head, err := r.git.Storer.Reference(plumbing.HEAD)
		if err != nil || head.Type() != plumbing.SymbolicReference || !head.Target().IsBranch() {
			return "", fmt.Errorf("@{%s}: HEAD does not point to a branch", kind)
		}
		branch = head.Target().Short()
	}
	if ok, err := r.refExists(plumbing.NewBranchReferenceName(branch)); err != nil {
		return "", err
	} else if !ok {
		return "", fmt.Errorf("no such branch: '%s'", branch)
	}
	cfg, err := repoConfig(r.gitDir)
	if err != nil {
		return "", err
	}
	remote, merge := cfg.value("branch."+branch+".remote"), cfg.value("branch."+branch+".merge")
	upstream := func() (plumbing.ReferenceName, error) {
		if remote == "" || merge == "" {
			return "", fmt.Errorf("no upstream configured for branch '%s'", branch)
		}
		if remote == "." {
			return plumbing.ReferenceName(merge), nil
		}
		return r.tracking(cfg, remote, plumbing.ReferenceName(merge), "upstream branch")
	}
	if kind == "upstream" {
		return upstream()
	}
	pushRemote := cfg.value("branch." + branch + ".pushremote")
	if pushRemote == "" {
		pushRemote = cfg.value("remote.pushdefault")
	}
	if pushRemote == "" {
		pushRemote = remote
	}
	if pushRemote == "" {
		pushRemote = "origin"
	}
	if pushRemote == "." {
		return "", errors.New("@{push}: pushing to the repository itself is not supported")
	}
	if cfg.value("remote."+pushRemote+".push") != "" {
		return "", fmt.Errorf("@{push}: remote.%s.push refspecs are not supported", pushRemote)
	}
	self := plumbing.NewBranchReferenceName(branch)
	switch mode := cfg.value("push.default"); mode {
	case "nothing":
		return "", errors.New("push has no destination (push.default is 'nothing')")
	case "current", "matching":
		return r.tracking(cfg, pushRemote, self, "push destination")
	case "upstream", "tracking":
		return upstream()
	case "", "simple":
		up, err := upstream()
		if err != nil {
			return "", err
		}
		cur, err := r.tracking(cfg, pushRemote, self, "push destination")
		if err != nil {
			return "", err
		}
		if cur != up {
			return "", errors.New("cannot resolve 'simple' push to a single destination")
		}
		return cur, nil
	default:
		return "", fmt.Errorf("push.default %q is not supported", mode)
	}
}

// tracking maps ref on remote to the local remote-tracking reference by the
// remote's fetch refspecs.
func (r *Repo) tracking(cfg *gitConfig, remote string, ref plumbing.ReferenceName, what string) (plumbing.ReferenceName, error) {
	for _, v := range cfg.all("remote." + remote + ".fetch") {
		spec := config.RefSpec(strings.TrimSpace(v))
		if !strings.HasPrefix(string(spec), "^") && spec.Validate() == nil && spec.Match(ref) {
			return spec.Dst(ref), nil
		}
	}
	return "", fmt.Errorf("%s '%s' on remote '%s' has no local tracking branch", what, ref, remote)
}

func (r *Repo) refExists(name plumbing.ReferenceName) (bool, error) {
	_, ok, err := r.refHash(name)
	return ok, err
}
