package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func TestGraph(t *testing.T) {
	r := gittest.New(t)
	r.Commit("one", map[string]string{
		"lib/component.yaml":  "name: lib\nkind: go\n",
		"lib/lib.go":          "package lib\n",
		"app/component.yaml":  "name: app\nkind: docker\ndependsOn: [lib]\n",
		"app/Dockerfile":      "FROM scratch\n",
		"web/component.yaml":  "name: web\nkind: node\ndependsOn: [app]\n",
		"tool/component.yaml": "name: tool\nkind: custom\n",
	})
	r.Commit("two", map[string]string{"lib/lib.go": "package lib // 2\n"})
	r.Write(map[string]string{"tool/run.sh": "echo\n"}) // uncommitted

	tests := []struct {
		name   string
		args   []string
		code   int
		golden string // file under testdata with the expected stdout
		stderr string
	}{
		{"every component", nil, 0, "graph.mmd", ""},
		{"dot", []string{"--format", "dot"}, 0, "graph.dot", ""},
		{"changed, working tree included", []string{"--changed"}, 0, "graph-changed.mmd", ""},
		{"commits only", []string{"--base", "HEAD~1", "--head", "HEAD"}, 0, "graph-commits.mmd", ""},
		{"commits only, dot", []string{"--base", "HEAD~1", "--head", "HEAD", "--format", "dot"}, 0, "graph-commits.dot", ""},
		{"narrowed", []string{"--base", "HEAD~1", "--head", "HEAD", "--component", "web"}, 0, "graph-narrowed.mmd", ""},
		{"unknown format", []string{"--format", "svg"}, 2, "", "monopipe graph: --format svg: unknown format (one of mermaid, dot)\n"},
		{"bad revision", []string{"--base", "nope"}, 1, "", "monopipe graph: --base nope: no such revision\n"},
		{"stray argument", []string{"extra"}, 2, "", `monopipe graph: unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append([]string{"graph", "--dir", r.Dir}, tt.args...), &out, &errb)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, errb.String())
			}
			if !strings.Contains(errb.String(), tt.stderr) || (tt.stderr == "" && errb.Len() > 0) {
				t.Errorf("stderr = %q, want %q", errb.String(), tt.stderr)
			}
			if tt.golden == "" {
				if out.Len() > 0 {
					t.Errorf("stdout = %q, want none", out.String())
				}
				return
			}
			file := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != string(want) {
				t.Errorf("stdout differs from %s (go test -update to accept):\n%s", file, out.String())
			}
		})
	}
}
