package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestWrapperFlags reads every script of the CI wrappers that runs
// monopipe and checks that each --flag it writes is one that a monopipe
// command it runs there defines: a renamed or misspelt flag fails here,
// not on the first run in CI.
func TestWrapperFlags(t *testing.T) {
	commands := []string{"ci", "release", "plan", "promote", "rollback"}
	flags := map[string][]string{}
	def := regexp.MustCompile(`(?m)^\s+-([a-z0-9-]+)`)
	for _, c := range commands {
		var out bytes.Buffer
		run(context.Background(), []string{c, "-h"}, &out, &out)
		for _, m := range def.FindAllStringSubmatch(out.String(), -1) {
			flags[c] = append(flags[c], m[1])
		}
		if len(flags[c]) == 0 {
			t.Fatalf("monopipe %s -h lists no flags:\n%s", c, out.String())
		}
	}
	files, _ := filepath.Glob(filepath.Join("..", "..", ".github", "workflows", "*.yml"))
	files = append(files, filepath.Join("..", "..", ".circleci", "config.yml"))
	invoke := regexp.MustCompile(`monopipe"? (` + strings.Join(commands, "|") + `)\b`)
	flag := regexp.MustCompile(`(?:^|[\s("'])--([a-z][a-z0-9-]*)`)
	checked := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, script := range scripts(&doc) {
			used := invoke.FindAllStringSubmatch(script.Value, -1)
			if len(used) == 0 {
				continue
			}
			for _, m := range flag.FindAllStringSubmatch(script.Value, -1) {
				checked++
				if !slices.ContainsFunc(used, func(u []string) bool { return slices.Contains(flags[u[1]], m[1]) }) {
					t.Errorf("%s:%d: --%s is not a flag of monopipe %s", f, script.Line, m[1], used[0][1])
				}
			}
		}
	}
	if checked < 20 {
		t.Errorf("checked %d flags: the wrappers should run monopipe with flags", checked)
	}
}

// scripts lists every "run:" and "command:" string below n (GitHub
// Actions steps, CircleCI run steps).
func scripts(n *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 && (c.Value == "run" || c.Value == "command") && n.Content[i+1].Kind == yaml.ScalarNode {
			out = append(out, n.Content[i+1])
		}
		out = append(out, scripts(c)...)
	}
	return out
}
