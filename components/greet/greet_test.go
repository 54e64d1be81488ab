package greet

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestGreeting(t *testing.T) {
	tests := []struct {
		name, lang, want, err string
	}{
		{name: "ada", want: "Hello, Ada!"},
		{name: "  ada   lovelace ", lang: "en", want: "Hello, Ada Lovelace!"},
		{name: "émile", lang: "FR", want: "Bonjour, Émile !"},
		{name: "jürgen", lang: "de", want: "Hallo, Jürgen!"},
		{name: "lucía", lang: "es", want: "¡Hola, Lucía!"},
		{name: "ada", lang: "xx", err: `unknown language "xx" (known: de, en, es, fr)`},
		{name: " \t ", err: "name is empty"},
		{name: "a\x07b", err: "control character U+0007"},
		{name: strings.Repeat("a", MaxName+1), err: "longer than 64 characters"},
	}
	for _, tt := range tests {
		got, err := Greeting(tt.name, tt.lang)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Greeting(%q, %q) error = %v, want %q", tt.name, tt.lang, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Greeting(%q, %q) = %q, %v; want %q", tt.name, tt.lang, got, err, tt.want)
		}
	}
}

func TestEmptyNameIsSentinel(t *testing.T) {
	if _, err := Greeting("", "en"); !errors.Is(err, ErrEmptyName) {
		t.Errorf("err = %v, want ErrEmptyName", err)
	}
}

func TestLanguages(t *testing.T) {
	if got, want := Languages(), []string{"de", "en", "es", "fr"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Languages() = %v, want %v", got, want)
	}
}
