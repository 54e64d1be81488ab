package pathglob

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"components/{a,b}", "components/a", true},
		{"components/{a,b}", "components/c", false},
		{"/go.work", "go.work", true},
		{"**/*.md", "services/api/README.md", true},
		{"**/*.md", "README.md", true},
		{"services/*", "services/api/x", false},
		{"docs/**", "docs/a/b.txt", true},
		{"[ab]/x", "a/x", true},
		{"{", "{", false}, // malformed: matches nothing
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.path); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, g := range []string{"a/{b,c}", "**/x", "/a/*", "[a-z]"} {
		if err := Validate(g); err != nil {
			t.Errorf("Validate(%q) = %v", g, err)
		}
	}
	for _, g := range []string{"a/{b,c", "[a-", `x\`} {
		if err := Validate(g); err == nil {
			t.Errorf("Validate(%q) = nil, want an error", g)
		}
	}
}

func TestCouldMatchBelow(t *testing.T) {
	tests := []struct {
		pattern, dir string
		ok, named    bool
	}{
		{"components/{a,b}", "components", true, true},
		{"components/{a,b}", "components/a", true, true},
		{"components/{a,b}", "components/c", false, false},
		{"components/{a,b}", "other", false, false},
		{"{libs,services}/*", "services", true, true},
		{"{libs,services}/*", "tools", false, false},
		{"services/*", "services/api", true, false},
		{"services/api", "services/api", true, true},
		{"services/*", "services/api/x", false, false},
		{"services/**", "services/api/x/y", true, false},
		{"**/vendor/*", "a/vendor", true, true},
		{"**/*", "a/vendor", true, false},
		{"{a/vendor,b}/*", "a/vendor", true, true},
		{"x/{a,{b,c}}", "x/c", true, true},
		{"[{]/x", "{", true, false},
		{"a/*", ".", true, true},
	}
	for _, tt := range tests {
		ok, named := CouldMatchBelow(tt.pattern, tt.dir)
		if ok != tt.ok || named != tt.named {
			t.Errorf("CouldMatchBelow(%q, %q) = %v, %v; want %v, %v", tt.pattern, tt.dir, ok, named, tt.ok, tt.named)
		}
	}
}

// TestCouldMatchBelowNeverPrunesAMatch checks the pruning against Match:
// whenever a path at or below dir matches, dir must be searched.
func TestCouldMatchBelowNeverPrunesAMatch(t *testing.T) {
	patterns := []string{"a/{b,c}", "{a,b}/c", "a/{b/c,d}", "**/c", "a/**", "*/b", "a/[bc]/d", "{a,b}/{c,d}/e", "a/{,b/}c"}
	paths := []string{"a", "b", "c", "a/b", "a/c", "a/d", "b/c", "a/b/c", "a/b/d", "a/c/d", "b/d/e", "a/c/e", "x/y/c"}
	for _, g := range patterns {
		for _, p := range paths {
			if !Match(g, p) {
				continue
			}
			for d := p; ; {
				if ok, _ := CouldMatchBelow(g, d); !ok {
					t.Errorf("CouldMatchBelow(%q, %q) = false, but %q matches", g, d, p)
				}
				i := lastSlash(d)
				if i < 0 {
					break
				}
				d = d[:i]
			}
		}
	}
}

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}

func TestExpandMatchesWhatThePatternMatches(t *testing.T) {
	paths := []string{"a/x.go", "b/x.go", "c/x.go", "a/y/z.proto", "b", "a", "shared/a.proto", "shared/b.json"}
	for _, pat := range []string{"{a,b}/*.go", "/shared/*.{proto,json}", "{a,{b,c}}/**", "plain/**", `\{a,b\}`} {
		alts := Expand(pat)
		for _, alt := range alts {
			if strings.ContainsAny(alt, "{}") && !strings.Contains(alt, `\{`) {
				t.Errorf("Expand(%q) left braces in %q", pat, alt)
			}
		}
		for _, p := range paths {
			if want, got := Match(pat, p), Any(alts, p); want != got {
				t.Errorf("%q on %q: pattern says %v, its alternatives %v say %v", pat, p, want, alts, got)
			}
		}
	}
	if err := Validate(strings.Repeat("{a,b}", 11)); err == nil {
		t.Error("Validate accepted 2048 brace alternatives")
	}
}

// TestFilter: Dagger's directory filters keep a path when it or a folder
// above it matches an include pattern, and drop it when it or a folder
// above it matches an exclude pattern; patterns anchor at the root.
func TestFilter(t *testing.T) {
	tests := []struct {
		include, exclude []string
		path             string
		want             bool
	}{
		{nil, nil, "a/b", true},
		{[]string{"a/**"}, nil, "a/b/c", true},
		{[]string{"a/**"}, nil, "ab/c", false},
		{[]string{"a/**"}, nil, "a", false}, // a file named a is not in folder a
		{[]string{"**/docs/**"}, nil, "x/docs", false},
		{[]string{"**/docs/**"}, nil, "x/docs/y", true},
		{[]string{"shared/*"}, nil, "shared/sub/deep/x", true}, // the folder matches: all of it
		{[]string{"shared/*.txt"}, nil, "shared/sub/x.txt", false},
		{[]string{"a/go.mod"}, nil, "a/go.mod", true},
		{[]string{"a/go.mod"}, nil, "a/go.mod.bak", false},
		{[]string{"**/*.proto"}, nil, "x/y/z.proto", true},
		{[]string{`we\[ird\]/**`}, nil, "we[ird]/x", true},
		{[]string{`we\[ird\]/**`}, nil, "wei/x", false},
		{nil, []string{".git"}, ".git/config", false},
		{nil, []string{".git"}, "sub/.git/config", true}, // anchored at the root
		{nil, []string{".git"}, ".github/ci.yml", true},
		{nil, []string{"**/node_modules"}, "node_modules/a.js", false},
		{nil, []string{"**/node_modules"}, "a/b/node_modules/c/d.js", false},
		{nil, []string{"**/node_modules"}, "a/node_modules_x/d.js", true},
		{nil, []string{"**/*.egg-info"}, "p/pkg.egg-info/PKG-INFO", false},
		{[]string{"a/**"}, []string{"**/__pycache__"}, "a/__pycache__/m.pyc", false},
		{[]string{"[ab]/x"}, nil, "b/x/y", true},
		{[]string{"[!x]/y"}, nil, "q/y", true},
	}
	for _, tt := range tests {
		if got := NewFilter(tt.include, tt.exclude).Keeps(tt.path); got != tt.want {
			t.Errorf("include %q exclude %q: Keeps(%s) = %v, want %v", tt.include, tt.exclude, tt.path, got, tt.want)
		}
		// The literal shortcut never decides otherwise than matching does.
		plain := true
		for _, g := range tt.exclude {
			plain = plain && !MatchesOrParent(g, tt.path)
		}
		if len(tt.include) > 0 {
			any := false
			for _, g := range tt.include {
				any = any || MatchesOrParent(g, tt.path)
			}
			plain = plain && any
		}
		if plain != tt.want {
			t.Errorf("include %q exclude %q: matching %s says %v, want %v", tt.include, tt.exclude, tt.path, plain, tt.want)
		}
	}
}

func TestLiterals(t *testing.T) {
	for _, tt := range []struct{ pattern, prefix, required string }{
		{"a/b/**", "a/b/", "a"},
		{"**/node_modules", "", "node_modules"},
		{"/go.work", "go.work", "go.work"},
		{"shared/*.txt", "shared/", "shared"},
		{`x\*y/long/**`, "x", "long"},
		{"[abcdefgh]/z", "", "z"},
		{"{alpha,beta}/x", "", ""},
	} {
		if got := LiteralPrefix(tt.pattern); got != tt.prefix {
			t.Errorf("LiteralPrefix(%q) = %q, want %q", tt.pattern, got, tt.prefix)
		}
		if got := requiredLiteral(tt.pattern); got != tt.required {
			t.Errorf("requiredLiteral(%q) = %q, want %q", tt.pattern, got, tt.required)
		}
	}
}

// TestExpandForDagger: the alternatives are written as Dagger's filters
// read them like Match does (checked against moby/patternmatcher, the
// matcher BuildKit's copies use, outside this module): negated classes
// as [^...], and a ** inside a segment as * within and across segments.
func TestExpandForDagger(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		want    []string
	}{
		{"a/**/b", []string{"a/**/b"}},
		{"[!x]/y", []string{"[^x]/y"}},
		{`\[!x]/y`, []string{`\[!x]/y`}},
		{"**.md", []string{"*.md", "*/**/*.md"}},
		{"{x,y}**z", []string{"x*z", "x*/**/*z", "y*z", "y*/**/*z"}},
		{"q/[!ab]**/*.go", []string{"q/[^ab]*/*.go", "q/[^ab]*/**/*/*.go"}},
	} {
		if got := Expand(tt.pattern); strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("Expand(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}
