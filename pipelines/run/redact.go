package run

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Pair is a username and password that travel together, as HTTP basic
// authentication does: base64 of "username:password" is redacted too (the
// username alone is not a secret).
type Pair struct {
	Username, Password string
}

// minBase64Fragment is the shortest middle part of a base64 encoding that
// is redacted: shorter fragments would match unrelated base64 text.
const minBase64Fragment = 8

// Forms returns every form a secret can come back in: the value itself,
// URL-encoded (query, path, user-info and strict escaping, with upper and
// lower case hex digits), JSON-escaped (with and
// without HTML escaping, quotes removed), and base64 in the standard and
// URL alphabets with and without padding, both of the value alone and, as
// fragments, of the value at any alignment inside longer encoded text.
// An empty secret has no forms.
func Forms(secret string) []string {
	if secret == "" {
		return nil
	}
	escaped := []string{url.QueryEscape(secret), url.PathEscape(secret), strictEscape(secret)}
	if u := url.UserPassword("u", secret).String(); strings.HasPrefix(u, "u:") {
		escaped = append(escaped, u[len("u:"):])
	}
	forms := []string{secret, jsonEscape(secret, true), jsonEscape(secret, false)}
	for _, e := range escaped {
		forms = append(forms, e, lowerHex(e)) // other encoders write %2f
	}
	forms = append(forms, base64Forms(secret, true)...)
	return dedupe(forms)
}

// PairForms returns the forms of a basic-authentication pair: every form of
// the password, and base64 of "username:password" in every alphabet and
// padding (what an Authorization: Basic header carries).
func PairForms(p Pair) []string {
	if p.Password == "" {
		return nil
	}
	forms := Forms(p.Password)
	if p.Username != "" {
		forms = append(forms, base64Forms(p.Username+":"+p.Password, false)...)
	}
	return dedupe(forms)
}

var encodings = []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding}

// base64Forms encodes s whole in every alphabet, with and without padding;
// with fragments, also the part of its encoding that does not depend on
// what surrounds s, at each of the three byte alignments, when that part is
// long enough to be told from other text.
func base64Forms(s string, fragments bool) []string {
	var out []string
	for _, enc := range encodings {
		out = append(out, enc.EncodeToString([]byte(s)))
	}
	if !fragments {
		return out
	}
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for k := range 3 {
			buf := append(make([]byte, k), s...)
			full := enc.EncodeToString(buf)
			// Character i covers bits [6i, 6i+6); s covers bits
			// [8k, 8(k+len(s))). Keep the characters made of s's bits only.
			first := (8*k + 5) / 6
			last := (8 * (k + len(s))) / 6 // exclusive
			if last > len(full) {
				last = len(full)
			}
			if last-first >= minBase64Fragment {
				out = append(out, full[first:last])
			}
		}
	}
	return out
}

// strictEscape percent-encodes every byte but RFC 3986's unreserved
// characters (what JavaScript's encodeURIComponent and Python's quote(s,
// safe="") write, give or take a few).
func strictEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// lowerHex writes the hex digits of s's percent escapes in lower case.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lower(b[i+1]), lower(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'F' {
		return c + 'a' - 'A'
	}
	return c
}

// jsonEscape is s as json.Marshal writes it inside a string, without the
// quotes; html says whether <, > and & are escaped (json.Marshal's default).
func jsonEscape(s string, html bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(strings.TrimSpace(b.String()), `"`)[1:]
}

func dedupe(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// Redactor returns a function that replaces every form (see Forms and
// PairForms) of each secret and pair with "***"; empty secrets are
// ignored. Longer forms are replaced first, so that a form that contains
// another is replaced whole.
func Redactor(secrets []string, pairs ...Pair) func(string) string {
	var forms []string
	for _, s := range secrets {
		forms = append(forms, Forms(s)...)
	}
	for _, p := range pairs {
		forms = append(forms, PairForms(p)...)
	}
	forms = dedupe(forms)
	if len(forms) == 0 {
		return func(s string) string { return s }
	}
	// strings.Replacer tries its patterns in argument order at each
	// position: longest first.
	slices.SortStableFunc(forms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	args := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		args = append(args, f, "***")
	}
	return strings.NewReplacer(args...).Replace
}
