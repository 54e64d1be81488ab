package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/reference.golden.md")

// Types for the rendering test: every shape the manifests use.
type (
	refWorkspace struct {
		Branch  string             `yaml:"branch"`
		Globs   []string           `yaml:"globs"`
		Env     map[string]string  `yaml:"env"`
		Section refSection         `yaml:"section"`
		Items   []refItem          `yaml:"items"`
		Named   map[string]refItem `yaml:"named"`
		Hidden  string             `yaml:"-"`
	}
	refSection struct {
		Mode   string   `yaml:"mode"`
		Method string   `yaml:"method"`
		On     []string `yaml:"on"`
		Wait   string   `yaml:"wait"`
		Flag   *bool    `yaml:"flag"`
	}
	refItem struct {
		Name string      `yaml:"name"`
		Sub  *refSection `yaml:"sub"`
	}
	refComponent struct {
		Name string   `yaml:"name"`
		Deps []string `yaml:"deps"`
	}
)

// TestReferenceGolden renders fixture types with fixture doc comments and
// rules and compares the Markdown with testdata/reference.golden.md (go
// test -run TestReferenceGolden -update rewrites it).
func TestReferenceGolden(t *testing.T) {
	g := &gen{
		docs: docs{
			"refWorkspace":         "refWorkspace is the top file.\n\nIt has two paragraphs.",
			"refWorkspace.Branch":  "Branch is the branch to compare with.",
			"refWorkspace.Globs":   "Globs are paths like `a|b/**` and <dir>/*_test.go. Empty means every file.",
			"refWorkspace.Env":     "Env, a mapping, is extra environment.",
			"refSection":           "refSection is a section; its keys follow.",
			"refSection.Mode":      "Mode is how: fast (default) or slow.",
			"refSection.Method":    "Method is GET or PUT; default \"PUT\".",
			"refSection.On":        "On lists when. Default base and release.",
			"refSection.Wait":      "Wait bounds the wait; default 5m.",
			"refSection.Flag":      "Flag turns it on (default false).",
			"refItem.Name":         "Name names the item. Required.",
			"refComponent":         "refComponent is the other file.",
			"refComponent.Name":    "Name is unique.",
			"refComponent.Deps":    "Deps names other components.",
			"refWorkspace.Section": "",
			"refWorkspace.Named":   "Named are items by name.",
		},
		rules: map[string]rule{
			"refWorkspace.branch": {def: "main"},
			"refSection.mode":     {enum: []string{"", "fast", "slow"}},
			"refSection.method":   {anyCase: []string{"GET", "PUT"}},
			"refSection.on":       {enum: []string{"base", "release"}},
			"refComponent.name":   {pattern: "^[a-z]+$", maxLength: 8, required: true, nonNull: true},
			"refComponent.deps":   {pattern: "^[a-z]+$", maxLength: 8},
		},
	}
	ws := g.object(reflect.TypeFor[refWorkspace]())
	ws.Title = "top.yaml"
	comp := g.object(reflect.TypeFor[refComponent]())
	comp.Title = "other.yaml"
	if g.err != nil {
		t.Fatal(g.err)
	}
	got := reference(ws, comp)
	golden := filepath.Join("testdata", "reference.golden.md")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("reference differs from %s (-update rewrites it):\n%s", golden, got)
	}
}

// TestDocDefault: the defaults the manifests' doc comments state, in each
// phrasing they use.
func TestDocDefault(t *testing.T) {
	tests := []struct{ doc, want string }{
		{`Latest says when the "latest" tag is set: never (default), on the base branch, or on releases.`, "never"},
		{`Method is PUT (default, raw body) or POST (multipart, field "file").`, "PUT"},
		{`GitHubRelease creates a GitHub release with notes (default true).`, "true"},
		{`Repository is the path in the registry; "{name}" is replaced by the component name. Default "{name}".`, `"{name}"`},
		{`Timeout bounds the wait, as a Go duration; default 5m.`, "5m"},
		{`Code is where the new code comes from. Default: image when an image is published, else zip.`, "image when an image is published, else zip"},
		{`CheckURL is where an upload can be read back (a template like URL); default URL for PUT, none for POST.`, "URL for PUT, none for POST"},
		{`Components are globs. Empty means the whole tree, skipping hidden folders.`, "the whole tree, skipping hidden folders"},
		{`Submodules: none (the default when git's configuration says nothing), untracked. Empty means git's configuration (submodule.<name>.ignore).`, "git's configuration (submodule.<name>.ignore)"},
		{`Images overrides the default base image of each kind (to use a mirror).`, ""},
		{`Publish holds workspace-wide publish defaults; components override them.`, ""},
		{`BaseBranch is the branch that pull requests merge into.`, ""},
	}
	for _, tt := range tests {
		if got := docDefault(tt.doc); got != tt.want {
			t.Errorf("docDefault(%q) = %q, want %q", tt.doc, got, tt.want)
		}
	}
}

// TestEveryKeyDocumented: every key of both files has a description (the
// reference would show an empty cell), from its field's or its type's doc
// comment.
func TestEveryKeyDocumented(t *testing.T) {
	gen, err := Generate("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(gen.Reference), "\n") {
		if strings.HasPrefix(line, "| `") && strings.HasSuffix(line, "|  |") {
			t.Errorf("no doc comment: %s", line)
		}
	}
}
