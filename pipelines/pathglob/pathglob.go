// Package pathglob matches repo-relative, slash-separated paths against the
// globs of monopipe's manifests: component discovery, global, ignore,
// inputs and release notes all match here, with doublestar's syntax
// (`*` and `?` within a path segment, `**` across segments, `[class]`,
// `{alt1,alt2}`, `\` escapes). A leading "/" (repo-relative) is dropped.
package pathglob

import (
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// maxAlternatives bounds brace expansion when pruning a search; a glob with
// more alternatives is never pruned (searching more is safe).
const maxAlternatives = 1024

// Validate says whether pattern is a well-formed glob.
func Validate(pattern string) error {
	p := strings.TrimPrefix(pattern, "/")
	if !doublestar.ValidatePattern(p) {
		return fmt.Errorf("bad glob %q", pattern)
	}
	if _, complete := expandBraces(p, maxAlternatives); !complete {
		return fmt.Errorf("bad glob %q: more than %d brace alternatives", pattern, maxAlternatives)
	}
	return nil
}

// Expand lists the brace-free alternatives of a valid pattern ("/" dropped),
// for Dagger's directory filters, which know no braces, in a form they
// match as Match does: a negated class is written [^...] (they read
// [!...] as a class that has '!'), and a ** that is not a whole path
// segment, which they read as any text, '/' included, becomes the two
// alternatives of * within a segment and across segments ("a**.md" is
// "a*.md" and "a*/**/*.md").
func Expand(pattern string) []string {
	alts, _ := expandBraces(strings.TrimPrefix(pattern, "/"), maxAlternatives)
	var out []string
	for _, a := range alts {
		out = append(out, splitStars(negateClasses(a))...)
	}
	return out
}

// negateClasses writes pattern's negated classes as [^...].
func negateClasses(pattern string) string {
	b := []byte(pattern)
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '[':
			if i+1 < len(b) && b[i+1] == '!' {
				b[i+1] = '^'
			}
			for i++; i < len(b) && b[i] != ']'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		}
	}
	return string(b)
}

// splitStars rewrites the first ** of pattern that is not a whole
// segment as its two alternatives (see Expand), and the rest in turn.
func splitStars(pattern string) []string {
	for i := 0; i+1 < len(pattern); i++ {
		switch {
		case pattern[i] == '\\':
			i++
		case pattern[i] == '[':
			for i++; i < len(pattern) && pattern[i] != ']'; i++ {
				if pattern[i] == '\\' {
					i++
				}
			}
		case pattern[i] == '*' && pattern[i+1] == '*':
			j := i + 2
			for j < len(pattern) && pattern[j] == '*' {
				j++
			}
			if (i == 0 || pattern[i-1] == '/') && (j == len(pattern) || pattern[j] == '/') {
				i = j - 1 // a whole segment: ** as both read it
				continue
			}
			pre, post := pattern[:i], pattern[j:]
			var out []string
			for _, alt := range []string{pre + "*" + post, pre + "*/**/*" + post} {
				out = append(out, splitStars(alt)...)
			}
			return out
		}
	}
	return []string{pattern}
}

// Match reports whether the repo-relative path p matches pattern. A
// malformed pattern matches nothing (Validate rejects it when it is read).
func Match(pattern, p string) bool {
	ok, _ := doublestar.Match(strings.TrimPrefix(pattern, "/"), p)
	return ok
}

// First is the first of patterns that p matches, or "".
func First(patterns []string, p string) string {
	for _, g := range patterns {
		if Match(g, p) {
			return g
		}
	}
	return ""
}

// Any reports whether p matches one of patterns.
func Any(patterns []string, p string) bool { return First(patterns, p) != "" }

// CouldMatchBelow reports whether folder dir, or some path below it, can
// match pattern, so that a search may skip dir when it says false. named
// says whether an alternative that can match names dir's last segment
// literally as one of its segments, for folders searched only when a glob
// asks for them (vendor, say). "." can always match below.
func CouldMatchBelow(pattern, dir string) (ok, named bool) {
	if dir == "." || dir == "" {
		return true, true
	}
	alts, complete := expandBraces(strings.TrimPrefix(pattern, "/"), maxAlternatives)
	if !complete {
		return true, true
	}
	ds := strings.Split(dir, "/")
	last := "/" + ds[len(ds)-1] + "/"
	for _, alt := range alts {
		if segmentsMatch(strings.Split(alt, "/"), ds) {
			ok = true
			if strings.Contains("/"+alt+"/", last) {
				return true, true
			}
		}
	}
	return ok, false
}

// segmentsMatch is CouldMatchBelow for one brace-free pattern.
func segmentsMatch(gs, ds []string) bool {
	for i, d := range ds {
		if i >= len(gs) {
			return false
		}
		if gs[i] == "**" {
			return true
		}
		if m, err := doublestar.Match(gs[i], d); err != nil || !m {
			return false
		}
	}
	return true
}

// expandBraces lists pattern's brace alternatives, at most limit of them;
// complete is false when there are more, or the braces do not balance.
func expandBraces(pattern string, limit int) (alts []string, complete bool) {
	start, end := braceGroup(pattern)
	if start < 0 {
		return []string{pattern}, end == 0
	}
	prefix, body, suffix := pattern[:start], pattern[start+1:end], pattern[end+1:]
	for _, alt := range splitTopLevel(body) {
		more, ok := expandBraces(prefix+alt+suffix, limit-len(alts))
		if !ok {
			return nil, false
		}
		alts = append(alts, more...)
		if len(alts) > limit {
			return nil, false
		}
	}
	return alts, true
}

// braceGroup finds the first top-level {...} group outside classes and
// escapes: its start and end index, or start -1 with end 0 when there is
// none and end -1 when braces do not balance.
func braceGroup(p string) (start, end int) {
	start, depth, inClass := -1, 0, false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\':
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			if i+1 < len(p) && (p[i+1] == '!' || p[i+1] == '^') {
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				i++ // a leading ']' is part of the class
			}
		case c == '{':
			if depth == 0 {
				start = i
			}
			depth++
		case c == '}' && depth > 0:
			depth--
			if depth == 0 {
				return start, i
			}
		}
	}
	if depth > 0 || inClass {
		return -1, -1
	}
	return -1, 0
}

// splitTopLevel splits a brace group's body at its top-level commas.
func splitTopLevel(body string) []string {
	var out []string
	depth, inClass, from := 0, false, 0
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '\\':
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
		case c == '{':
			depth++
		case c == '}':
			depth--
		case c == ',' && depth == 0:
			out = append(out, body[from:i])
			from = i + 1
		}
	}
	return append(out, body[from:])
}

// Escape makes a path a pattern that matches only itself.
func Escape(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[]{}\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Filter applies patterns the way Dagger's directory filters do
// (Directory.Filter's Include and Exclude, anchored at the directory's
// root, with no brace alternatives: see Expand): a path is kept when it,
// or a folder above it, matches an include pattern (any path, when there
// are none), and neither it nor a folder above it matches an exclude
// pattern. Patterns match with Match's syntax.
type Filter struct {
	include, exclude []compiled
}

// compiled is a pattern with a literal that every path it matches, and
// every path below one, contains ("" when there is none to rely on).
type compiled struct {
	pattern, literal string
}

// NewFilter compiles include and exclude patterns.
func NewFilter(include, exclude []string) *Filter {
	f := &Filter{}
	for _, p := range include {
		f.include = append(f.include, compiled{p, requiredLiteral(p)})
	}
	for _, p := range exclude {
		f.exclude = append(f.exclude, compiled{p, requiredLiteral(p)})
	}
	return f
}

// Keeps reports whether the filter keeps the path p (relative to the
// filtered directory).
func (f *Filter) Keeps(p string) bool {
	for _, c := range f.exclude {
		if c.matchesOrParent(p) {
			return false
		}
	}
	if len(f.include) == 0 {
		return true
	}
	for _, c := range f.include {
		if c.matchesOrParent(p) {
			return true
		}
	}
	return false
}

func (c compiled) matchesOrParent(p string) bool {
	if c.literal != "" && !strings.Contains(p, c.literal) {
		return false // nor does any folder above p: each is a prefix of it
	}
	return MatchesOrParent(c.pattern, p)
}

// MatchesOrParent reports whether p, or a folder above it, matches
// pattern: how a directory filter's pattern selects a path. Unlike Match,
// "dir/**" does not match dir itself there (a file named dir is not in
// the folder).
func MatchesOrParent(pattern, p string) bool {
	folder, isFolder := strings.CutSuffix(pattern, "/**")
	matches := func(c string) bool { return Match(pattern, c) && !(isFolder && Match(folder, c)) }
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && matches(p[:i]) {
			return true
		}
	}
	return matches(p)
}

// LiteralPrefix is the start of pattern before its first special
// character ("/" dropped): every path that pattern matches, and every
// path below one, starts with it.
func LiteralPrefix(pattern string) string {
	p := strings.TrimPrefix(pattern, "/")
	if i := strings.IndexAny(p, `*?[]{}\`); i >= 0 {
		return p[:i]
	}
	return p
}

// requiredLiteral is the longest run of plain characters of a segment of
// pattern, outside classes: any path pattern matches contains it. It is
// "" for patterns with brace alternatives.
func requiredLiteral(pattern string) string {
	p := strings.TrimPrefix(pattern, "/")
	if strings.ContainsAny(p, "{}") {
		return ""
	}
	best, from := "", 0
	flush := func(to int) {
		if to-from > len(best) {
			best = p[from:to]
		}
	}
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '*', '?', '/', ']':
			flush(i)
			from = i + 1
		case '\\':
			flush(i)
			i++
			from = i + 1
		case '[':
			flush(i)
			i++
			if i < len(p) && (p[i] == '!' || p[i] == '^') {
				i++
			}
			if i < len(p) && p[i] == ']' {
				i++ // a leading ']' is part of the class
			}
			for ; i < len(p) && p[i] != ']'; i++ {
				if p[i] == '\\' {
					i++
				}
			}
			from = i + 1
		}
	}
	flush(len(p))
	return best
}
