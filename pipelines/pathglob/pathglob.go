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
// for matchers that know no braces (Dagger's directory filters).
func Expand(pattern string) []string {
	alts, _ := expandBraces(strings.TrimPrefix(pattern, "/"), maxAlternatives)
	return alts
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
