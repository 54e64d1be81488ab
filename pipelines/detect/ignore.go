package detect

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Ignore rules follow git's dir.c: the patterns of core.excludesFile (or
// $XDG_CONFIG_HOME/git/ignore), then the common git folder's
// info/exclude, then each .gitignore from the top down to the folder at
// hand, in that order; the last pattern that matches a path decides. A
// folder that is ignored hides everything below it: git neither reads
// the .gitignore files inside nor lets a "!" pattern re-include a file
// there (tracked files below it are still tracked).

// ignorePattern is one line of an ignore file, parsed as git parses it.
type ignorePattern struct {
	pattern  string // without the leading "!" and a trailing "/"
	base     string // the folder of the file it came from: "" or "a/b/"
	negative bool   // "!pattern": a match means "not ignored"
	dirOnly  bool   // "pattern/": matches folders only
	basename bool   // no "/" in it: matches the last path element at any depth below base
}

// parsePatterns parses an ignore file found in the folder dir ("" at the
// top, else "a/b"): git's rules for comments, blank lines, a leading BOM,
// CR LF endings and trailing spaces (kept when escaped with '\').
func parsePatterns(data []byte, dir string) []ignorePattern {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	base := ""
	if dir != "" {
		base = dir + "/"
	}
	var ps []ignorePattern
	for len(data) > 0 {
		line := data
		if k := bytes.IndexByte(data, '\n'); k >= 0 {
			line, data = data[:k], data[k+1:]
		} else {
			data = nil
		}
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		p := parsePattern(trimTrailingSpaces(string(line)))
		p.base = base
		ps = append(ps, p)
	}
	return ps
}

// trimTrailingSpaces drops trailing spaces that are not quoted with '\'.
func trimTrailingSpaces(s string) string {
	cut := -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ':
			if cut < 0 {
				cut = i
			}
		case '\\':
			i++
			if i == len(s) {
				return s
			}
			cut = -1
		default:
			cut = -1
		}
	}
	if cut >= 0 {
		return s[:cut]
	}
	return s
}

func parsePattern(s string) ignorePattern {
	var p ignorePattern
	if strings.HasPrefix(s, "!") {
		p.negative, s = true, s[1:]
	}
	if strings.HasSuffix(s, "/") {
		p.dirOnly, s = true, s[:len(s)-1]
	}
	p.basename = !strings.Contains(s, "/")
	p.pattern = s
	return p
}

// matches says whether the pattern matches path (relative to the top of
// the work tree), a folder when isDir.
func (p *ignorePattern) matches(path string, isDir, fold bool) bool {
	if p.dirOnly && !isDir {
		return false
	}
	flags := 0
	if fold {
		flags = wmCasefold
	}
	if p.basename {
		return wildmatch(p.pattern, path[strings.LastIndexByte(path, '/')+1:], flags)
	}
	if len(path) < len(p.base) || !samePrefix(path[:len(p.base)], p.base, fold) {
		return false
	}
	// Like git's match_pathname, compare the literal start of the
	// pattern first, then match the rest: this is not the same as
	// matching the whole, as the rest may start with "**" ("b**/*"
	// matches the folder "b").
	pat, name := p.pattern, path[len(p.base):]
	lit := strings.IndexAny(pat, `*?[\`)
	if lit < 0 {
		lit = len(pat)
	}
	if strings.HasPrefix(pat, "/") {
		pat, lit = pat[1:], lit-1
	}
	if lit > len(name) || !samePrefix(pat[:lit], name[:lit], fold) {
		return false
	}
	return wildmatch(pat[lit:], name[lit:], flags|wmPathname)
}

func samePrefix(a, b string, fold bool) bool {
	if fold {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// ignoredBy applies the patterns in force (outermost first) to path: the
// last one that matches decides.
func ignoredBy(ps []ignorePattern, path string, isDir, fold bool) bool {
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].matches(path, isDir, fold) {
			return !ps[i].negative
		}
	}
	return false
}

// rootPatterns are the ignore rules that apply everywhere, in git's
// order of precedence (lowest first): the file core.excludesFile names
// at any configuration level (else $XDG_CONFIG_HOME/git/ignore, or
// ~/.config/git/ignore), then info/exclude in the git folder shared by
// all worktrees.
func rootPatterns(cfg *gitConfig, commonDir, root string) ([]ignorePattern, error) {
	excludes := ""
	if v, ok := cfg.get("core.excludesfile"); ok && v.value != "\x00" {
		excludes = expandPath(v.value)
		if excludes != "" && !filepath.IsAbs(excludes) {
			excludes = filepath.Join(root, excludes) // git runs at the top of the work tree
		}
	} else if x := xdgConfigHome(); x != "" {
		excludes = filepath.Join(x, "git", "ignore")
	}
	var ps []ignorePattern
	for _, file := range []string{excludes, filepath.Join(commonDir, "info", "exclude")} {
		if file == "" {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) && !errors.Is(err, syscall.EISDIR) {
			return nil, fmt.Errorf("read %s: %w", file, err)
		}
		ps = append(ps, parsePatterns(data, "")...)
	}
	return ps, nil
}
