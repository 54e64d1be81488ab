package gitparity

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Op is one kind of operation. Gen returns the shell script of one step,
// run in $R, or "" when the kind does not apply to the current state.
// Scripts start with "cd" into the work tree they act on, so the log is
// a reproduction on its own.
type Op struct {
	Name   string
	Weight int
	Doc    string
	Gen    func(g *Gen) string
}

// Gen generates steps from a seeded random source and the sandbox's
// current state.
type Gen struct {
	R  *rand.Rand
	sb *Sandbox
	// Linked are the linked work trees made so far, as folders under T.
	Linked []string
	n      int
}

// NewGen makes a generator for sb.
func NewGen(sb *Sandbox, seed uint64) *Gen {
	return &Gen{R: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), sb: sb}
}

// q quotes s for sh.
func q(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func pick[T any](g *Gen, s []T) T { return s[g.R.IntN(len(s))] }

func (g *Gen) next() int { g.n++; return g.n }

// target picks the work tree to act on: R mostly, a linked one sometimes.
// It returns its folder and its name in the script.
func (g *Gen) target() (dir, sh string) {
	if len(g.Linked) > 0 && g.R.IntN(3) == 0 {
		l := pick(g, g.Linked)
		return filepath.Join(g.sb.T, l), `"$T/` + l + `"`
	}
	return g.sb.R, `"$R"`
}

var (
	dirPool  = []string{"", "a", "a/b", "out", "out/gen", "c", "sp ace"}
	namePool = []string{"f1.txt", "f2.go", "schema.json", "x.log", "ü.md", "tmp", "component.yaml", "#h", "!b", "t\tab", " lead", "back\\slash"}
	words    = []string{"alpha", "beta", "gamma", "delta", "x", "yy", "zzz", "package a", "name: c"}
)

func (g *Gen) poolPath() string { return path.Join(pick(g, dirPool), pick(g, namePool)) }

func (g *Gen) content() string {
	var b strings.Builder
	for i := g.R.IntN(3) + 1; i > 0; i-- {
		b.WriteString(pick(g, words))
		b.WriteByte('\n')
	}
	return b.String()
}

// listing is what a work tree holds, outside .git folders and nested
// repositories.
type listing struct {
	files, regular, dirs []string
}

func list(root string) listing {
	var l listing
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.Name() == ".git" {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if rel != "." {
				if _, err := os.Lstat(filepath.Join(p, ".git")); err == nil {
					return fs.SkipDir // nested repository or submodule
				}
				l.dirs = append(l.dirs, rel)
			}
			return nil
		}
		l.files = append(l.files, rel)
		if d.Type().IsRegular() {
			l.regular = append(l.regular, rel)
		}
		return nil
	})
	return l
}

func mkdirFor(p string) string {
	if d := path.Dir(p); d != "." {
		return "mkdir -p " + q(d) + " && "
	}
	return ""
}

// Ops is the catalogue of operation kinds.
var Ops = []Op{
	{"write", 10, "create or overwrite a file (untracked files in new folders too)", func(g *Gen) string {
		_, sh := g.target()
		p := g.poolPath()
		return fmt.Sprintf("cd %s && %sprintf '%%s' %s > %s", sh, mkdirFor(p), q(g.content()), q(p))
	}},
	{"edit", 8, "append to a file (its size changes), or touch it (only its times change)", func(g *Gen) string {
		dir, sh := g.target()
		l := list(dir)
		if len(l.regular) == 0 {
			return ""
		}
		p := pick(g, l.regular)
		if g.R.IntN(4) == 0 {
			return fmt.Sprintf("cd %s && touch %s", sh, q(p))
		}
		return fmt.Sprintf("cd %s && printf '%%s\\n' %s >> %s", sh, q(pick(g, words)), q(p))
	}},
	{"samesize", 6, "same-size edits that keep the mtime (touch -r, touch -d past/future) or come in the index's second (racily clean)", func(g *Gen) string {
		dir, sh := g.target()
		l := list(dir)
		if len(l.regular) == 0 {
			return ""
		}
		p := pick(g, l.regular)
		data, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil || len(data) == 0 {
			return ""
		}
		b := []byte(string(data))
		i := g.R.IntN(len(b))
		if b[i] == 'Q' {
			b[i] = 'R'
		} else {
			b[i] = 'Q'
		}
		switch g.R.IntN(4) {
		case 0: // staged, then changed at once: racily clean (same second as the index)
			return fmt.Sprintf("cd %s && git add -- %s && printf '%%s' %s > %s", sh, q(p), q(string(b)), q(p))
		case 1: // a time far in the past or the future, before and after staging
			when := pick(g, []string{"@946684800", "@4102444800"})
			return fmt.Sprintf("cd %s && touch -d %s %s && git add -- %s && printf '%%s' %s > %s && touch -d %s %s", sh, when, q(p), q(p), q(string(b)), q(p), when, q(p))
		}
		return fmt.Sprintf("cd %s && touch -r %s \"$T/ref\" && printf '%%s' %s > %s && touch -r \"$T/ref\" %s", sh, q(p), q(string(b)), q(p), q(p))
	}},
	{"chmod", 4, "chmod +x / -x", func(g *Gen) string {
		dir, sh := g.target()
		l := list(dir)
		if len(l.regular) == 0 {
			return ""
		}
		return fmt.Sprintf("cd %s && chmod %s %s", sh, pick(g, []string{"+x", "-x"}), q(pick(g, l.regular)))
	}},
	{"symlink", 4, "symlinks to files, folders and nowhere, replacing files too", func(g *Gen) string {
		dir, sh := g.target()
		l := list(dir)
		targets := append([]string{"nowhere", "a", "../README"}, l.files...)
		p := g.poolPath()
		if len(l.files) > 0 && g.R.IntN(2) == 0 {
			p = pick(g, l.files)
		}
		return fmt.Sprintf("cd %s && %srm -f %s && ln -s %s %s", sh, mkdirFor(p), q(p), q(pick(g, targets)), q(p))
	}},
	{"rename", 4, "mv or git mv a file or folder", func(g *Gen) string {
		dir, sh := g.target()
		l := list(dir)
		from := append(l.files, l.dirs...)
		if len(from) == 0 {
			return ""
		}
		src, dst := pick(g, from), g.poolPath()
		if g.R.IntN(3) == 0 {
			dst = pick(g, dirPool[1:]) + "2"
		}
		cmd := "mv"
		if g.R.IntN(3) == 0 {
			cmd = "git mv -k"
		}
		return fmt.Sprintf("cd %s && %s%s %s %s", sh, mkdirFor(dst), cmd, q(src), q(dst))
	}},
	{"delete", 4, "rm a file or a folder", func(g *Gen) string {
		dir, sh := g.target()
		l := list(dir)
		from := append(l.files, l.dirs...)
		if len(from) == 0 {
			return ""
		}
		return fmt.Sprintf("cd %s && rm -rf %s", sh, q(pick(g, from)))
	}},
	{"add", 8, "git add (-A, -u, -f, -N, a path), git rm --cached", func(g *Gen) string {
		dir, sh := g.target()
		l := list(dir)
		p := g.poolPath()
		if len(l.files) > 0 && g.R.IntN(3) > 0 {
			p = pick(g, l.files)
		}
		switch g.R.IntN(7) {
		case 0, 1:
			return fmt.Sprintf("cd %s && git add -A", sh)
		case 2:
			return fmt.Sprintf("cd %s && git add -u", sh)
		case 3:
			return fmt.Sprintf("cd %s && git add -f -- %s", sh, q(p))
		case 4:
			return fmt.Sprintf("cd %s && git add -N -- %s", sh, q(p))
		case 5:
			return fmt.Sprintf("cd %s && git rm -q -r --cached -- %s", sh, q(p))
		}
		return fmt.Sprintf("cd %s && git add -- %s", sh, q(p))
	}},
	{"updateindex", 2, "git update-index --assume-unchanged/--skip-worktree (and back), --chmod", func(g *Gen) string {
		dir, sh := g.target()
		l := list(dir)
		if len(l.files) == 0 {
			return ""
		}
		return fmt.Sprintf("cd %s && git update-index %s -- %s", sh, pick(g, []string{"--assume-unchanged", "--no-assume-unchanged",
			"--skip-worktree", "--no-skip-worktree", "--chmod=+x", "--chmod=-x"}), q(pick(g, l.files)))
	}},
	{"indexformat", 2, "index format: versions 2-4, split index, git's untracked cache, sparse index", func(g *Gen) string {
		_, sh := g.target()
		return fmt.Sprintf("cd %s && %s", sh, pick(g, []string{
			"git update-index --index-version 4", "git update-index --index-version 3", "git update-index --index-version 2",
			"git update-index --split-index", "git update-index --no-split-index",
			"git config core.untrackedCache true && git update-index --untracked-cache && git status >/dev/null",
			"git update-index --no-untracked-cache",
			"git sparse-checkout init --cone --sparse-index && git sparse-checkout set a",
		}))
	}},
	{"gc", 1, "object and ref storage: gc, repack, pack-refs, commit-graph", func(g *Gen) string {
		return fmt.Sprintf("cd \"$R\" && %s", pick(g, []string{
			"git gc -q --prune=now", "git repack -adq", "git pack-refs --all", "git commit-graph write --reachable",
		}))
	}},
	{"commit", 6, "git commit (-a, --amend), tags (light and annotated)", func(g *Gen) string {
		_, sh := g.target()
		n := g.next()
		switch g.R.IntN(6) {
		case 0:
			return fmt.Sprintf("cd %s && git commit -q -a -m c%d", sh, n)
		case 1:
			return fmt.Sprintf("cd %s && git commit -q --amend --no-edit", sh)
		case 2:
			return fmt.Sprintf("cd %s && git add -A && git commit -q -m c%d && git tag -a -m t t%d", sh, n, n)
		}
		return fmt.Sprintf("cd %s && git add -A && git commit -q -m c%d", sh, n)
	}},
	{"ignore", 6, "ignore rules and negations in .gitignore (nested), info/exclude and excludes files", func(g *Gen) string {
		_, sh := g.target()
		files := []string{".gitignore", ".gitignore", "a/.gitignore", "out/.gitignore", "a/b/.gitignore",
			`"$R/.git/info/exclude"`, `"$HOME/ignore-global"`, `"$XDG_CONFIG_HOME/git/ignore"`,
			`"$T/excl-sys"`, `"$T/excl-inc"`, `"$T/excl-repo"`}
		rules := []string{"*.log", "out/**", "!out/schema.json", "out/", "!*.go", "a/b/", "/c", "**/tmp",
			"f?.txt", "!f1.txt", "*.json", "!out/", "# comment", "sp ace/", "x.log ", "a/**/f2.go",
			"[fx]*.txt", "*", "!*/", "gen", "/out/gen/", "*.md", "!component.yaml", "\\!x", "\\#h", "\\!b", "t?ab", "\\ lead", "back\\\\slash"}
		f := pick(g, files)
		qf := f
		if !strings.HasPrefix(f, `"`) {
			qf = q(f)
		}
		if g.R.IntN(8) == 0 {
			return fmt.Sprintf("cd %s && rm -f %s", sh, qf)
		}
		mk := ""
		if strings.Contains(f, "/") {
			mk = "mkdir -p \"$(dirname " + qf + ")\" && "
		}
		// A rule, or a rule and the negation that re-includes part of it.
		lines := []string{pick(g, rules)}
		if g.R.IntN(2) == 0 {
			lines = pick(g, ruleSets)
		}
		var qs []string
		for _, l := range lines {
			qs = append(qs, q(l))
		}
		return fmt.Sprintf("cd %s && %sprintf '%%s\\n' %s >> %s", sh, mk, strings.Join(qs, " "), qf)
	}},
	{"excludesfile", 4, "core.excludesFile at the system, global, XDG, repo, [include] and worktree levels", func(g *Gen) string {
		_, sh := g.target()
		values := []string{"~/ignore-global", `"$T/excl-sys"`, `"$T/excl-inc"`, `"$T/excl-repo"`, `"$XDG_CONFIG_HOME/git/ignore"`, `"$HOME/ignore-global"`}
		level := g.level()
		if g.R.IntN(5) == 0 {
			return fmt.Sprintf("cd %s && %s --unset-all core.excludesFile", sh, level)
		}
		v := pick(g, values)
		if !strings.HasPrefix(v, `"`) {
			v = q(v)
		}
		return fmt.Sprintf("cd %s && %s core.excludesFile %s", sh, level, v)
	}},
	{"config", 4, "core.fileMode, core.trustctime, core.checkStat, core.ignorecase, core.symlinks at each level", func(g *Gen) string {
		_, sh := g.target()
		settings := [][2]string{{"core.fileMode", "false"}, {"core.fileMode", "true"}, {"core.trustctime", "false"},
			{"core.trustctime", "true"}, {"core.checkStat", "minimal"}, {"core.checkStat", "default"},
			{"core.ignorecase", "true"}, {"core.ignorecase", "false"}, {"core.symlinks", "false"}}
		s := pick(g, settings)
		level := g.level()
		if g.R.IntN(4) == 0 {
			return fmt.Sprintf("cd %s && %s --unset-all %s", sh, level, s[0])
		}
		return fmt.Sprintf("cd %s && %s %s %s", sh, level, s[0], s[1])
	}},
	{"worktreeconfig", 2, "git config --worktree (extensions.worktreeConfig) for the settings of config and excludesfile", func(g *Gen) string {
		_, sh := g.target()
		settings := []string{"core.fileMode false", "core.trustctime false", "core.checkStat minimal", "core.ignorecase true",
			`core.excludesFile "$T/excl-repo"`, "--unset-all core.fileMode", "--unset-all core.excludesFile"}
		return fmt.Sprintf("cd %s && git config extensions.worktreeConfig true && git config --worktree %s", sh, pick(g, settings))
	}},
	{"submodule", 4, "submodule add, commits inside it (moves), dirty and untracked content in it, update; untracked nested repositories", func(g *Gen) string {
		_, sh := g.target()
		if _, err := os.Stat(filepath.Join(g.sb.T, "subsrc")); err != nil {
			return `git init -q "$T/subsrc" && (cd "$T/subsrc" && printf 's\n' > s.txt && git add s.txt && git commit -q -m s1 && printf 't\n' >> s.txt && git commit -q -a -m s2) && cd "$R" && git -c protocol.file.allow=always submodule add -q "$T/subsrc" sub`
		}
		n := g.next()
		switch g.R.IntN(9) {
		case 8: // a submodule inside the submodule
			return fmt.Sprintf("cd %s && cd sub && git -c protocol.file.allow=always submodule add -q \"$T/subsrc\" inner && git commit -q -m inner%d && printf 'x\\n' >> inner/s.txt", sh, n)
		case 0:
			return fmt.Sprintf("cd %s && cd sub && printf 'c%d\\n' >> s.txt && git commit -q -a -m c%d", sh, n, n)
		case 1:
			return fmt.Sprintf("cd %s && printf 'dirty\\n' >> sub/s.txt", sh)
		case 2:
			return fmt.Sprintf("cd %s && printf 'u\\n' > sub/untracked%d.txt", sh, n)
		case 3:
			return fmt.Sprintf("cd %s && git -C sub checkout -q HEAD~1", sh)
		case 4:
			return fmt.Sprintf("cd %s && git -c protocol.file.allow=always submodule update -q --init", sh)
		case 5:
			return fmt.Sprintf("cd %s && git add sub", sh)
		case 6:
			return fmt.Sprintf("cd %s && git -C sub reset -q --hard && git -C sub clean -q -fdx", sh)
		}
		d := pick(g, []string{"nested", "a/nested"})
		return fmt.Sprintf("cd %s && git init -q %s && printf 'n\\n' > %s/f.txt", sh, q(d), q(d))
	}},
	{"branch", 4, "branch switches, detached HEAD, reset (soft, mixed, hard)", func(g *Gen) string {
		_, sh := g.target()
		n := g.next()
		switch g.R.IntN(7) {
		case 0, 1:
			return fmt.Sprintf("cd %s && git checkout -q -b b%d", sh, n)
		case 2:
			return fmt.Sprintf("cd %s && git checkout -q main", sh)
		case 3:
			return fmt.Sprintf("cd %s && git checkout -q \"$(git for-each-ref --format='%%(refname:short)' refs/heads | sed -n %dp)\"", sh, g.R.IntN(4)+1)
		case 4:
			return fmt.Sprintf("cd %s && git checkout -q --detach HEAD~1", sh)
		case 5:
			return fmt.Sprintf("cd %s && git reset -q %s HEAD~1", sh, pick(g, []string{"--soft", "--mixed", "--hard"}))
		}
		return fmt.Sprintf("cd %s && git checkout -q -f \"$(git for-each-ref --format='%%(refname:short)' refs/heads | sed -n %dp)\"", sh, g.R.IntN(4)+1)
	}},
	{"merge", 2, "merges that may conflict (unmerged index entries), merge --abort", func(g *Gen) string {
		_, sh := g.target()
		if g.R.IntN(3) == 0 {
			return fmt.Sprintf("cd %s && git merge --abort", sh)
		}
		return fmt.Sprintf("cd %s && git merge -q --no-edit \"$(git for-each-ref --format='%%(refname:short)' refs/heads | sed -n %dp)\"", sh, g.R.IntN(4)+1)
	}},
	{"stash", 3, "git stash (-u), stash pop/apply", func(g *Gen) string {
		_, sh := g.target()
		return fmt.Sprintf("cd %s && git stash %s", sh, pick(g, []string{"-q", "-q -u", "pop -q", "apply -q", "-q --keep-index"}))
	}},
	{"sparse", 3, "sparse-checkout: cone and non-cone sets, add, disable", func(g *Gen) string {
		_, sh := g.target()
		return fmt.Sprintf("cd %s && git sparse-checkout %s", sh, pick(g, []string{
			"set --cone a c", "set --cone out", "add c", "set --no-cone '/*' '!/a/'", "set --no-cone '*.go' '/README'",
			"disable", "reapply"}))
	}},
	{"worktree", 2, "linked work trees (git worktree add); detection runs in each", func(g *Gen) string {
		if len(g.Linked) >= 2 {
			_, sh := g.target()
			return fmt.Sprintf("cd %s && git worktree prune", sh)
		}
		name := fmt.Sprintf("wt%d", g.next())
		g.Linked = append(g.Linked, name)
		if g.R.IntN(2) == 0 {
			return fmt.Sprintf("cd \"$R\" && git worktree add -q --detach \"$T/%s\"", name)
		}
		return fmt.Sprintf("cd \"$R\" && git worktree add -q -b %s \"$T/%s\"", name, name)
	}},
	{"refresh", 2, "index refresh (git status, git update-index --refresh)", func(g *Gen) string {
		_, sh := g.target()
		return fmt.Sprintf("cd %s && %s", sh, pick(g, []string{"git status >/dev/null", "git update-index -q --refresh"}))
	}},
}

// ruleSets are ignore rules with the negations that re-include part of
// what they ignore.
var ruleSets = [][]string{
	{"out/**", "!out/schema.json"},
	{"out/*", "!out/gen"},
	{"out/", "!out/schema.json"},
	{"*.txt", "!f1.txt"},
	{"*", "!*/", "!*.go"},
	{"a/**", "!a/b/", "a/b/*.md"},
	{"*.json", "!**/schema.json"},
	{"**/tmp", "!a/**/tmp"},
	{"/*", "!/a", "/a/*", "!/a/b"},
}

// level is a "git config" command writing to one config level, chosen at
// random. The [include] levels include a file from the repo or the global
// config; "worktree" enables extensions.worktreeConfig first.
func (g *Gen) level() string {
	return pick(g, []string{
		`git config --file "$GIT_CONFIG_SYSTEM"`,
		`git config --file "$HOME/.gitconfig"`,
		`git config --file "$XDG_CONFIG_HOME/git/config"`,
		`git config`,
		`git config --file "$R/.git/config" include.path "$T/inc.gitconfig" && git config --file "$T/inc.gitconfig"`,
		`git config --file "$HOME/.gitconfig" include.path inc-global.gitconfig && git config --file "$HOME/inc-global.gitconfig"`,
	})
}

// OpNames lists the operation kinds.
func OpNames() []string {
	var out []string
	for _, o := range Ops {
		out = append(out, o.Name)
	}
	return out
}

// Step picks an enabled kind by weight and generates a step; ok is false
// when no kind applies.
func (g *Gen) Step(enabled map[string]bool) (kind, script string, ok bool) {
	var ops []Op
	total := 0
	for _, o := range Ops {
		if enabled[o.Name] {
			ops = append(ops, o)
			total += o.Weight
		}
	}
	if total == 0 {
		return "", "", false
	}
	for tries := 0; tries < 20; tries++ {
		w := g.R.IntN(total)
		for _, o := range ops {
			if w < o.Weight {
				if s := o.Gen(g); s != "" {
					return o.Name, s, true
				}
				break
			}
			w -= o.Weight
		}
	}
	return "", "", false
}
