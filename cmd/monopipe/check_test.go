package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

func TestCheck(t *testing.T) {
	good := map[string]string{
		"monopipe.yaml":      "baseBranch: main\n",
		"lib/component.yaml": "name: lib\nkind: go\n",
		"lib/go.mod":         "module example.com/lib\n\ngo 1.26\n",
		"lib/lib.go":         "package lib\n",
		"app/component.yaml": "name: app\nkind: go\n",
		"app/go.mod":         "module example.com/app\n\ngo 1.26\n",
		"app/main.go":        "package main\n\nimport _ \"example.com/lib\"\n\nfunc main() {}\n",
	}
	const warning = "app/main.go:3: warning: app imports example.com/lib (component lib) but does not declare dependsOn: [lib]\n"
	tests := []struct {
		name     string
		worktree map[string]string // written after the commit, uncommitted
		args     []string
		code     int
		stdout   string // substring
		stderr   string // substring; "" means empty
	}{
		{"undeclared import is a warning", nil, nil, 0,
			warning + "ok: monopipe.yaml and 2 components valid, no dependency cycle; 1 undeclared dependencies (errors with --strict)\n", ""},
		{"--strict makes it an error", nil, []string{"--strict"}, 1, "",
			"app/main.go:3: error: app imports example.com/lib (component lib) but does not declare dependsOn: [lib]\nmonopipe check: 1 undeclared dependencies\n"},
		{"declared", map[string]string{"app/component.yaml": "name: app\nkind: go\ndependsOn: [lib]\n"}, []string{"--strict"}, 0,
			"ok: monopipe.yaml and 2 components valid, no dependency cycle\n", ""},
		{"unknown key in an uncommitted manifest", map[string]string{"app/component.yaml": "name: app\nkind: go\ndepends: [lib]\n"}, nil, 1, "",
			`monopipe check: app/component.yaml:3: unknown key "depends"`},
		{"an untracked manifest is checked", map[string]string{"web/component.yaml": "name: Web\nkind: node\n"}, nil, 1, "",
			`monopipe check: web/component.yaml:1: name "Web" must be lower case`},
		{"--head reads the commit, not the working tree", map[string]string{"web/component.yaml": "name: Web\nkind: node\n"}, []string{"--head", "HEAD"}, 0,
			warning, ""},
		{"unknown dependency", map[string]string{"app/component.yaml": "name: app\nkind: go\ndependsOn:\n  - lib\n  - db\n"}, nil, 1, "",
			`monopipe check: app/component.yaml:5: dependsOn names unknown component "db"`},
		{"cycle", map[string]string{
			"app/component.yaml": "name: app\nkind: go\ndependsOn: [lib]\n",
			"lib/component.yaml": "name: lib\nkind: go\ndependsOn: [app]\n",
		}, nil, 1, "", "monopipe check: dependency cycle: app → lib → app"},
		{"bad monopipe.yaml", map[string]string{"monopipe.yaml": "basebranch: main\n"}, nil, 1, "",
			`monopipe check: monopipe.yaml:1: unknown key "basebranch"`},
		{"a git-ignored folder is not searched", map[string]string{".gitignore": "out/\n", "out/component.yaml": "bad: yes\n"}, nil, 0, warning, ""},
		{"stray argument", nil, []string{"extra"}, 2, "", `monopipe check: unexpected argument "extra"`},
		{"unknown flag", nil, []string{"--format", "json"}, 2, "", "flag provided but not defined: -format"},
		{"help", nil, []string{"-h"}, 0, "", "usage: monopipe check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gittest.New(t)
			r.Commit("one", good)
			r.Write(tt.worktree)
			var out, errb bytes.Buffer
			args := append([]string{"check", "--dir", r.Dir}, tt.args...)
			code := run(context.Background(), args, &out, &errb)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stdout: %s; stderr: %s", code, tt.code, out.String(), errb.String())
			}
			if !strings.Contains(out.String(), tt.stdout) {
				t.Errorf("stdout = %q, want it to contain %q", out.String(), tt.stdout)
			}
			if !strings.Contains(errb.String(), tt.stderr) || (tt.stderr == "" && errb.Len() > 0) {
				t.Errorf("stderr = %q, want %q", errb.String(), tt.stderr)
			}
		})
	}
}

// TestCheckEnvironments: monopipe check names a component's environment
// that monopipe.yaml does not have, with file and line.
func TestCheckEnvironments(t *testing.T) {
	r := gittest.New(t)
	r.Commit("init", map[string]string{
		"monopipe.yaml":      "environments:\n  - name: dev\n",
		"api/component.yaml": "name: api\nkind: go\nenvironments:\n  prod: {skip: true}\n",
	})
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"check", "--dir", r.Dir}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "api/component.yaml:4: environments.prod: no such environment (environments: dev)") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}
