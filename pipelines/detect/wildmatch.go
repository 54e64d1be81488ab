package detect

import "strings"

// wildmatch flags, as git names them.
const (
	wmPathname = 1 << iota // '*' and '?' do not match '/'; "**" spans folders
	wmCasefold             // ASCII letters match either case
)

// wildmatch reports whether text matches the glob pattern the way git's
// wildmatch does (the matcher behind .gitignore): '\' quotes the next
// character, '?' and '*' (and bracket expressions, with '!' or '^' to
// negate, ranges and [:class:]es) never match '/' under wmPathname, where
// "**" between slashes (or at either end) matches any number of folders.
// A malformed bracket expression matches nothing.
func wildmatch(pattern, text string, flags int) bool {
	return wild(pattern, text, flags) == wmMatch
}

type wmResult int

const (
	wmMatch   wmResult = iota
	wmNoMatch          // try the next position of an enclosing '*'
	wmAbort            // no position of any enclosing '*' can match
	// wmAbortToStarStar: no position of an enclosing single '*' can
	// match (the text ran past a '/'), but an enclosing "**" may.
	wmAbortToStarStar
)

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func wild(p, t string, flags int) wmResult {
	fold := flags&wmCasefold != 0
	pathname := flags&wmPathname != 0
	start := p
	for ; len(p) > 0; p, t = p[1:], t[1:] {
		pc := p[0]
		if len(t) == 0 && pc != '*' {
			return wmAbort
		}
		var tc byte
		if len(t) > 0 {
			tc = t[0]
		}
		if fold {
			tc, pc = lowerASCII(tc), lowerASCII(pc)
		}
		switch pc {
		case '\\':
			p = p[1:]
			if len(p) == 0 {
				return wmNoMatch // a trailing backslash matches nothing
			}
			if tc != p[0] { // git folds the text here, not the quoted character
				return wmNoMatch
			}
			continue
		default:
			if tc != pc {
				return wmNoMatch
			}
			continue
		case '?':
			if pathname && tc == '/' {
				return wmNoMatch
			}
			continue
		case '[':
			rest, ok, malformed := bracket(p[1:], tc, fold)
			if malformed {
				return wmAbort
			}
			if !ok || pathname && tc == '/' {
				return wmNoMatch
			}
			p = rest // at the closing ']'
			continue
		case '*':
		}
		before := len(start) - len(p) - 1 // index of the char before the stars
		n := 1
		for n < len(p) && p[n] == '*' {
			n++
		}
		p = p[n:]
		matchSlash := !pathname
		if n >= 2 && pathname {
			atStart := before < 0 || start[before] == '/'
			atEnd := len(p) == 0 || p[0] == '/' || strings.HasPrefix(p, `\/`)
			if atStart && atEnd {
				// "**/" may match no folder at all: "a/**/b" matches "a/b".
				if len(p) > 0 && p[0] == '/' && wild(p[1:], t, flags) == wmMatch {
					return wmMatch
				}
				matchSlash = true
			}
		}
		if len(p) == 0 {
			if !matchSlash && strings.IndexByte(t, '/') >= 0 {
				return wmNoMatch
			}
			return wmMatch
		}
		if !matchSlash && p[0] == '/' {
			// "*/": the star takes everything up to the next slash.
			k := strings.IndexByte(t, '/')
			if k < 0 {
				return wmNoMatch
			}
			t = t[k:] // the loop's step consumes the slash of both
			continue
		}
		for i := 0; i < len(t); i++ {
			r := wild(p, t[i:], flags)
			if r != wmNoMatch {
				if !matchSlash || r != wmAbortToStarStar {
					return r
				}
			} else if !matchSlash && t[i] == '/' {
				return wmAbortToStarStar
			}
		}
		return wmAbort
	}
	if len(t) > 0 {
		return wmNoMatch
	}
	return wmMatch
}

// bracket matches the character c against the bracket expression that
// starts at p (just after '['). It returns the pattern from the closing
// ']' on, whether c is in the set (negation applied), and whether the
// expression is malformed.
func bracket(p string, c byte, fold bool) (rest string, ok, malformed bool) {
	if len(p) == 0 {
		return "", false, true
	}
	negated := false
	if p[0] == '!' || p[0] == '^' {
		negated = true
		p = p[1:]
	}
	matched := false
	var prev byte // the previous literal, 0 after a range or class
	first := true
	for first || len(p) > 0 && p[0] != ']' {
		first = false
		if len(p) == 0 {
			return "", false, true
		}
		pc := p[0]
		switch {
		case pc == '\\':
			p = p[1:]
			if len(p) == 0 {
				return "", false, true
			}
			pc = p[0]
			if c == pc {
				matched = true
			}
		case pc == '-' && prev != 0 && len(p) > 1 && p[1] != ']':
			p = p[1:]
			hi := p[0]
			if hi == '\\' {
				p = p[1:]
				if len(p) == 0 {
					return "", false, true
				}
				hi = p[0]
			}
			if prev <= c && c <= hi {
				matched = true
			} else if fold && 'a' <= c && c <= 'z' {
				if u := c - 'a' + 'A'; prev <= u && u <= hi {
					matched = true
				}
			}
			pc = 0
		case pc == '[' && len(p) > 1 && p[1] == ':':
			end := strings.IndexByte(p[2:], ']')
			if end < 0 {
				return "", false, true
			}
			name := p[2 : 2+end]
			if !strings.HasSuffix(name, ":") {
				// Not "[:class:]": a plain '['.
				if c == '[' {
					matched = true
				}
				break
			}
			in, known := charClass(name[:len(name)-1], c, fold)
			if !known {
				return "", false, true
			}
			if in {
				matched = true
			}
			p = p[2+end:] // at the class's closing ']'
			pc = 0
		default:
			if c == pc {
				matched = true
			}
		}
		prev = pc
		p = p[1:]
	}
	if len(p) == 0 {
		return "", false, true
	}
	return p, matched != negated, false
}

// charClass says whether c is in the POSIX class name, and whether the
// class exists.
func charClass(name string, c byte, fold bool) (in, known bool) {
	upper, lower, digit := 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9'
	punct := c > ' ' && c < 127 && !upper && !lower && !digit
	switch name {
	case "alnum":
		return upper || lower || digit, true
	case "alpha":
		return upper || lower, true
	case "blank":
		return c == ' ' || c == '\t', true
	case "cntrl":
		return c < ' ' || c == 127, true
	case "digit":
		return digit, true
	case "graph":
		return c > ' ' && c < 127, true
	case "lower":
		return lower, true
	case "print":
		return c >= ' ' && c < 127, true
	case "punct":
		return punct, true
	case "space":
		return c == ' ' || c >= '\t' && c <= '\r', true
	case "upper":
		return upper || fold && lower, true
	case "xdigit":
		return digit || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F', true
	}
	return false, false
}
