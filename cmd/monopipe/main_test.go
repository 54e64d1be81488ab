package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

func TestRun(t *testing.T) {
	r := gittest.New(t)
	r.Commit("one", map[string]string{
		"lib/component.yaml": "name: lib\nkind: go\n",
		"lib/lib.go":         "package lib\n",
		"app/component.yaml": "name: app\nkind: docker\ndependsOn: [lib]\n",
		"app/Dockerfile":     "FROM scratch\n",
	})
	r.Commit("two", map[string]string{"lib/lib.go": "package lib // 2\n"})

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring, or exact JSON when it starts with {
		stderr string
	}{
		{"text", []string{"plan"}, 0, "lib (go, lib) level 0\n  - lib/lib.go changed\n\napp (docker, app) level 1\n  - depends on lib: app → lib (changed)", ""},
		{"github matrix", []string{"plan", "--format", "github-matrix"}, 0, `{"include":[{"component":"lib","dir":"lib"},{"component":"app","dir":"app"}]}`, ""},
		{"narrowed", []string{"plan", "--component", "app", "--format", "github-matrix"}, 0, `{"include":[{"component":"app","dir":"app"}]}`, ""},
		{"nothing affected exits 0", []string{"plan", "--base", "HEAD", "--head", "HEAD", "--format", "github-matrix"}, 0, `{"include":[]}`, ""},
		{"bad revision", []string{"plan", "--base", "nope"}, 1, "", "monopipe plan: --base nope: no such revision\n"},
		{"unknown component", []string{"plan", "--component", "web"}, 1, "", "monopipe plan: --component web: no such component (known: app, lib)\n"},
		{"unknown format", []string{"plan", "--format", "yaml"}, 2, "", "monopipe plan: --format yaml: unknown format (one of text, json, github-matrix)\n"},
		{"unknown flag", []string{"plan", "--bsae", "x"}, 2, "", "flag provided but not defined: -bsae"},
		{"stray argument", []string{"plan", "extra"}, 2, "", `unexpected argument "extra"`},
		{"unknown command", []string{"build"}, 2, "", `monopipe: unknown command "build"`},
		{"no command", nil, 2, "", "usage: monopipe plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append(tt.args, dirArg(tt.args, r.Dir)...), &out, &errb)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, errb.String())
			}
			if strings.HasPrefix(tt.stdout, "{") {
				if got := strings.TrimSpace(out.String()); got != tt.stdout {
					t.Errorf("stdout = %s\nwant %s", got, tt.stdout)
				}
			} else if !strings.Contains(out.String(), tt.stdout) {
				t.Errorf("stdout = %q, want it to contain %q", out.String(), tt.stdout)
			}
			if !strings.Contains(errb.String(), tt.stderr) || (tt.stderr == "" && errb.Len() > 0) {
				t.Errorf("stderr = %q, want %q", errb.String(), tt.stderr)
			}
		})
	}
}

// dirArg points plan commands at the test repository.
func dirArg(args []string, dir string) []string {
	if len(args) > 0 && args[0] == "plan" && !slices.Contains(args, "extra") {
		return []string{"--dir", dir}
	}
	return nil
}

func TestRunJSON(t *testing.T) {
	r := gittest.New(t)
	r.Commit("one", map[string]string{"lib/component.yaml": "name: lib\nkind: go\n"})
	base := r.Commit("two", map[string]string{"lib/x.go": "package lib\n"})
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"plan", "--dir", r.Dir, "--format", "json", "--base", "HEAD~1", "--head", base}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got struct {
		Base, Head string
		All        bool
		Reason     string
		Components []struct {
			Name, Dir, Kind string
			DependsOn       []string
			Reasons         []string
			Level           int
		}
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Head != base || len(got.Base) != 40 || got.All || len(got.Components) != 1 {
		t.Fatalf("plan = %+v", got)
	}
	c := got.Components[0]
	if c.Name != "lib" || c.Dir != "lib" || c.Kind != "go" || c.DependsOn == nil || c.Reasons[0] != "lib/x.go changed" || c.Level != 0 {
		t.Errorf("component = %+v", c)
	}
}
