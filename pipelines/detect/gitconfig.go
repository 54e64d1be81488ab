package detect

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// gitConfig is git's configuration as a repository sees it: the system,
// global, local and worktree files, in that order, with [include] and
// [includeIf "gitdir:…"/"onbranch:…"] followed, and GIT_CONFIG_COUNT
// entries last. A later value wins, as in git.
type gitConfig struct {
	vals []configValue
}

// configValue is one assignment; key is "section.key" or
// "section.subsection.key", section and key in lower case.
type configValue struct {
	key, value string
	file       string
	line       int
}

// configScope says where configuration is read from; the zero value means
// the process environment and the standard places.
type configScope struct {
	gitDir    string // the repository's own git folder (a linked worktree's)
	commonDir string // the folder shared by all worktrees (== gitDir for the main one)
	branch    string // the checked-out branch, for includeIf "onbranch:"
}

// maxIncludeDepth bounds [include] chains, as git does (it says 10).
const maxIncludeDepth = 10

// loadConfig reads every level of configuration for the repository.
func loadConfig(sc configScope) (*gitConfig, error) {
	c := &gitConfig{}
	if os.Getenv("GIT_CONFIG_NOSYSTEM") == "" || !truthy(os.Getenv("GIT_CONFIG_NOSYSTEM")) {
		if err := c.readFirst(sc, systemConfigFiles()); err != nil {
			return nil, err
		}
	}
	for _, f := range globalConfigFiles() {
		if err := c.readFile(sc, f, 0); err != nil {
			return nil, err
		}
	}
	if sc.commonDir != "" {
		if err := c.readFile(sc, filepath.Join(sc.commonDir, "config"), 0); err != nil {
			return nil, err
		}
		if wc, _ := c.boolValue("extensions.worktreeconfig", false); wc {
			if err := c.readFile(sc, filepath.Join(sc.gitDir, "config.worktree"), 0); err != nil {
				return nil, err
			}
		}
	}
	if err := c.readEnv(); err != nil {
		return nil, err
	}
	return c, nil
}

// repoConfig loads the configuration as git sees it in the repository
// (or linked worktree) whose git folder is gitDir.
func repoConfig(gitDir string) (*gitConfig, error) {
	return loadConfig(configScope{gitDir: gitDir, commonDir: commonDirOf(gitDir), branch: checkedOutBranch(gitDir)})
}

// systemConfigFiles are the candidate system files: GIT_CONFIG_SYSTEM,
// else the places git is built to use on this platform (the first that
// exists is read).
func systemConfigFiles() []string {
	if f := os.Getenv("GIT_CONFIG_SYSTEM"); f != "" {
		return []string{f}
	}
	switch runtime.GOOS {
	case "windows":
		var out []string
		for _, env := range []string{"ProgramFiles", "ProgramFiles(x86)"} {
			if d := os.Getenv(env); d != "" {
				out = append(out, filepath.Join(d, "Git", "etc", "gitconfig"))
			}
		}
		return out
	case "darwin":
		return []string{"/opt/homebrew/etc/gitconfig", "/usr/local/etc/gitconfig", "/etc/gitconfig",
			"/Library/Developer/CommandLineTools/usr/share/git-core/gitconfig",
			"/Applications/Xcode.app/Contents/Developer/usr/share/git-core/gitconfig"}
	}
	return []string{"/etc/gitconfig"}
}

// globalConfigFiles are the user's files in git's order: the XDG file,
// then ~/.gitconfig; or GIT_CONFIG_GLOBAL alone.
func globalConfigFiles() []string {
	if f, ok := os.LookupEnv("GIT_CONFIG_GLOBAL"); ok {
		if f == "" {
			return nil
		}
		return []string{f}
	}
	var out []string
	if x := xdgConfigHome(); x != "" {
		out = append(out, filepath.Join(x, "git", "config"))
	}
	if h := homeDir(); h != "" {
		out = append(out, filepath.Join(h, ".gitconfig"))
	}
	return out
}

// xdgConfigHome is $XDG_CONFIG_HOME, else ~/.config ("" without a home).
func xdgConfigHome() string {
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" {
		return x
	}
	if h := homeDir(); h != "" {
		return filepath.Join(h, ".config")
	}
	return ""
}

// homeDir is $HOME (git's rule on every platform; Git for Windows sets
// it), else the platform's home folder.
func homeDir() string {
	if h := os.Getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

func (c *gitConfig) readFirst(sc configScope, files []string) error {
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			return c.readFile(sc, f, 0)
		}
	}
	return nil
}

// readFile reads one file at include depth depth; a missing file is
// skipped, as git skips it (an included one too).
func (c *gitConfig) readFile(sc configScope, file string, depth int) error {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read git config %s: %w", file, err)
	}
	return parseConfig(data, file, func(v configValue) error {
		c.vals = append(c.vals, v)
		switch {
		case v.key == "include.path":
			return c.include(sc, v, depth)
		case strings.HasPrefix(v.key, "includeif.") && strings.HasSuffix(v.key, ".path"):
			cond := v.key[len("includeif.") : len(v.key)-len(".path")]
			if c.includeIf(sc, cond, file) {
				return c.include(sc, v, depth)
			}
		}
		return nil
	})
}

func (c *gitConfig) include(sc configScope, v configValue, depth int) error {
	if depth+1 > maxIncludeDepth {
		return fmt.Errorf("%s:%d: include nested more than %d deep", v.file, v.line, maxIncludeDepth)
	}
	p := expandPath(v.value)
	if p == "" {
		return nil
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(v.file), p)
	}
	return c.readFile(sc, p, depth+1)
}

// includeIf evaluates the condition of an [includeIf "…"] section found
// in file. Conditions this code cannot evaluate (hasconfig:) count as
// not met, as git does for unknown ones.
func (c *gitConfig) includeIf(sc configScope, cond, file string) bool {
	switch {
	case strings.HasPrefix(cond, "gitdir:"):
		return gitdirMatches(strings.TrimPrefix(cond, "gitdir:"), sc.gitDir, file, false)
	case strings.HasPrefix(cond, "gitdir/i:"):
		return gitdirMatches(strings.TrimPrefix(cond, "gitdir/i:"), sc.gitDir, file, true)
	case strings.HasPrefix(cond, "onbranch:"):
		pat := strings.TrimPrefix(cond, "onbranch:")
		if strings.HasSuffix(pat, "/") {
			pat += "**"
		}
		ok, _ := doublestar.Match(pat, sc.branch)
		return sc.branch != "" && ok
	}
	return false
}

// gitdirMatches applies git's rules for includeIf "gitdir:": ~/ is the
// home folder, ./ the including file's folder, a pattern not starting
// with / gets **/ in front, and one ending in / gets ** after.
func gitdirMatches(pat, gitDir, file string, fold bool) bool {
	if gitDir == "" {
		return false
	}
	switch {
	case strings.HasPrefix(pat, "~/"):
		pat = filepath.ToSlash(homeDir()) + pat[1:]
	case strings.HasPrefix(pat, "./"):
		pat = filepath.ToSlash(filepath.Dir(file)) + pat[1:]
	case !strings.HasPrefix(pat, "/") && !(len(pat) > 1 && pat[1] == ':'):
		pat = "**/" + pat
	}
	if strings.HasSuffix(pat, "/") {
		pat += "**"
	}
	dirs := []string{filepath.ToSlash(gitDir)}
	if real, err := filepath.EvalSymlinks(gitDir); err == nil && real != gitDir {
		dirs = append(dirs, filepath.ToSlash(real))
	}
	for _, d := range dirs {
		if fold {
			pat, d = strings.ToLower(pat), strings.ToLower(d)
		}
		if ok, _ := doublestar.Match(pat, d); ok {
			return true
		}
	}
	return false
}

// readEnv adds GIT_CONFIG_COUNT, GIT_CONFIG_KEY_n and GIT_CONFIG_VALUE_n.
func (c *gitConfig) readEnv() error {
	s := os.Getenv("GIT_CONFIG_COUNT")
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("GIT_CONFIG_COUNT=%q: not a count", s)
	}
	for i := 0; i < n; i++ {
		k, ok := os.LookupEnv(fmt.Sprintf("GIT_CONFIG_KEY_%d", i))
		if !ok {
			return fmt.Errorf("GIT_CONFIG_KEY_%d: missing (GIT_CONFIG_COUNT is %d)", i, n)
		}
		key, err := canonicalKey(k)
		if err != nil {
			return fmt.Errorf("GIT_CONFIG_KEY_%d: %w", i, err)
		}
		c.vals = append(c.vals, configValue{key: key, value: os.Getenv(fmt.Sprintf("GIT_CONFIG_VALUE_%d", i)), file: "environment"})
	}
	return nil
}

// canonicalKey lower-cases a key's section and name, keeping the
// subsection as written.
func canonicalKey(k string) (string, error) {
	first, last := strings.IndexByte(k, '.'), strings.LastIndexByte(k, '.')
	if first <= 0 || last == len(k)-1 {
		return "", fmt.Errorf("%q is not a config key (section.key)", k)
	}
	return strings.ToLower(k[:first]) + k[first:last+1] + strings.ToLower(k[last+1:]), nil
}

// get is the last value of key (see configValue for its form).
func (c *gitConfig) get(key string) (configValue, bool) {
	for i := len(c.vals) - 1; i >= 0; i-- {
		if c.vals[i].key == key {
			return c.vals[i], true
		}
	}
	return configValue{}, false
}

// value is the last value of key, "" when unset.
func (c *gitConfig) value(key string) string {
	v, _ := c.get(key)
	return v.value
}

// all is every value of key, in order (multi-valued keys such as
// remote.<name>.fetch).
func (c *gitConfig) all(key string) []string {
	var out []string
	for _, v := range c.vals {
		if v.key == key {
			out = append(out, v.value)
		}
	}
	return out
}

// boolValue is key as a git boolean, def when unset.
func (c *gitConfig) boolValue(key string, def bool) (bool, error) {
	v, ok := c.get(key)
	if !ok {
		return def, nil
	}
	b, err := parseBool(v.value)
	if err != nil {
		return def, fmt.Errorf("%s:%d: %s: %w", v.file, v.line, key, err)
	}
	return b, nil
}

// pathValue is key as a path, with ~/ expanded ("" when unset).
func (c *gitConfig) pathValue(key string) string {
	v, ok := c.get(key)
	if !ok {
		return ""
	}
	return expandPath(v.value)
}

func expandPath(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		return filepath.Join(homeDir(), p[1:])
	}
	return p
}

// parseBool reads git's booleans: true/yes/on/1 (or no value), false/no/off/0/"".
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "1", "\x00": // \x00: a key with no "="
		return true, nil
	case "false", "no", "off", "0", "":
		return false, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n != 0, nil
	}
	return false, fmt.Errorf("%q is not a boolean", s)
}

func truthy(s string) bool { b, err := parseBool(s); return err == nil && b }

// parseConfig reads git's config syntax and calls emit for each
// assignment in order. A key with no "=" has the value "\x00" (true as a
// boolean, as in git).
func parseConfig(data []byte, file string, emit func(configValue) error) error {
	section := ""
	line := 0
	r := bufio.NewReader(bytes.NewReader(data))
	bad := func(why string) error { return fmt.Errorf("git config %s:%d: %s", file, line, why) }
	for {
		raw, err := r.ReadString('\n')
		if raw == "" && err != nil {
			return nil
		}
		line++
		start := line
		s := strings.TrimLeft(raw, " \t")
		if line == 1 {
			s = strings.TrimPrefix(s, "\ufeff")
		}
		if s == "" || s[0] == '#' || s[0] == ';' || s[0] == '\n' || s[0] == '\r' {
			continue
		}
		if s[0] == '[' {
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return bad("unterminated section header")
			}
			hdr := s[1:end]
			if q := strings.IndexByte(hdr, '"'); q >= 0 {
				name := strings.TrimSpace(hdr[:q])
				sub, ok := unquoteSubsection(hdr[q:])
				if !ok || name == "" {
					return bad("bad section header")
				}
				section = strings.ToLower(name) + "." + sub
			} else {
				// [section] or the old [section.subsection], whose
				// subsection is lower-cased by git.
				section = strings.ToLower(strings.TrimSpace(hdr))
			}
			rest := strings.TrimSpace(s[end+1:])
			if rest == "" || rest[0] == '#' || rest[0] == ';' {
				continue
			}
			s = rest // a key may follow the header on the same line
		}
		if section == "" {
			return bad("key outside a section")
		}
		name := s
		value := "\x00"
		if eq := strings.IndexByte(s, '='); eq >= 0 {
			name = s[:eq]
			v, err := configValueText(s[eq+1:], r, &line)
			if err != nil {
				return bad(err.Error())
			}
			value = v
		} else {
			name = strings.TrimRight(name, " \t\r\n")
			if k := strings.IndexAny(name, "#;"); k >= 0 {
				name = strings.TrimSpace(name[:k])
			}
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			return bad("empty key")
		}
		if err := emit(configValue{key: section + "." + name, value: value, file: file, line: start}); err != nil {
			return err
		}
	}
}

// unquoteSubsection reads `"sub"` with git's escapes (\" and \\).
func unquoteSubsection(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), strings.TrimSpace(s[i+1:]) == ""
		default:
			b.WriteByte(s[i])
		}
	}
	return "", false
}

// configValueText reads a value: quotes, escapes, comments, and lines
// continued with a trailing backslash (read from r).
func configValueText(s string, r *bufio.Reader, line *int) (string, error) {
	var b strings.Builder
	quoted := false
	pendingSpace := 0 // unquoted spaces are kept only between words
	started := false
	for {
		for i := 0; i < len(s); i++ {
			ch := s[i]
			switch {
			case ch == '\n' || ch == '\r' && i == len(s)-2 && s[i+1] == '\n' || ch == '\r' && i == len(s)-1:
				if quoted {
					return "", errors.New("unterminated quote")
				}
				return b.String(), nil
			case !quoted && (ch == ' ' || ch == '\t'):
				if started {
					pendingSpace++
				}
				continue
			case !quoted && (ch == '#' || ch == ';'):
				return b.String(), nil
			}
			if pendingSpace > 0 {
				b.WriteString(strings.Repeat(" ", pendingSpace))
				pendingSpace = 0
			}
			switch ch {
			case '"':
				quoted = !quoted
				started = true
			case '\\':
				if i+1 >= len(s) || s[i+1] == '\n' || s[i+1] == '\r' {
					goto next // line continuation
				}
				i++
				switch s[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case 'b':
					if n := b.Len(); n > 0 {
						str := b.String()[:n-1]
						b.Reset()
						b.WriteString(str)
					}
				case '\\', '"':
					b.WriteByte(s[i])
				default:
					return "", fmt.Errorf("bad escape \\%c", s[i])
				}
				started = true
			default:
				b.WriteByte(ch)
				started = true
			}
		}
		if quoted {
			return "", errors.New("unterminated quote")
		}
		return b.String(), nil
	next:
		next, err := r.ReadString('\n')
		if next == "" && err != nil {
			return b.String(), nil
		}
		*line++
		s = next
	}
}

// commonDirOf is the folder that a git folder shares with the other
// worktrees of its repository: what its "commondir" file names, else
// itself.
func commonDirOf(gitDir string) string {
	data, err := os.ReadFile(filepath.Join(gitDir, "commondir"))
	if err != nil {
		return gitDir
	}
	d := strings.TrimSpace(string(data))
	if !filepath.IsAbs(d) {
		d = filepath.Join(gitDir, d)
	}
	return filepath.Clean(d)
}

// checkedOutBranch is the short name of the branch that gitDir's HEAD
// points at, "" when detached or unreadable.
func checkedOutBranch(gitDir string) string {
	data, err := os.ReadFile(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return ""
	}
	ref, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "ref: refs/heads/")
	if !ok {
		return ""
	}
	return ref
}
