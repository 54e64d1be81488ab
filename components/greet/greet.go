// Package greet builds greetings in a few languages. It is the Go library of
// monopipe's example monorepo: hello-api depends on it.
package greet

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxName is the longest name, in characters, that Greeting accepts.
const MaxName = 64

// ErrEmptyName is returned for a name that is empty once trimmed.
var ErrEmptyName = errors.New("greet: name is empty")

var templates = map[string]string{
	"de": "Hallo, %s!",
	"en": "Hello, %s!",
	"es": "¡Hola, %s!",
	"fr": "Bonjour, %s !",
}

// Languages lists the language codes Greeting knows, sorted.
func Languages() []string {
	out := make([]string, 0, len(templates))
	for l := range templates {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Greeting greets name in lang (a code from Languages; "" means "en"). The
// name is trimmed, its inner spaces collapsed and each word capitalised.
func Greeting(name, lang string) (string, error) {
	if lang == "" {
		lang = "en"
	}
	tmpl, ok := templates[strings.ToLower(lang)]
	if !ok {
		return "", fmt.Errorf("greet: unknown language %q (known: %s)", lang, strings.Join(Languages(), ", "))
	}
	n, err := Normalize(name)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(tmpl, n), nil
}

// Normalize trims name, collapses runs of white space and capitalises each
// word. It rejects empty names, names longer than MaxName characters and
// names with control characters.
func Normalize(name string) (string, error) {
	words := strings.Fields(name)
	if len(words) == 0 {
		return "", ErrEmptyName
	}
	for i, w := range words {
		for _, r := range w {
			if unicode.IsControl(r) {
				return "", fmt.Errorf("greet: name has a control character %U", r)
			}
		}
		r, size := utf8.DecodeRuneInString(w)
		words[i] = string(unicode.ToTitle(r)) + w[size:]
	}
	n := strings.Join(words, " ")
	if utf8.RuneCountInString(n) > MaxName {
		return "", fmt.Errorf("greet: name is longer than %d characters", MaxName)
	}
	return n, nil
}
