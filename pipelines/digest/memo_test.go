package digest_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
)

// memoShapes is shapes with a component whose inputs glob can match
// anywhere, one that depends on a docker component, and a docker
// component whose component.yaml is outside its build context.
var memoShapes = func() map[string]string {
	m := maps.Clone(shapes)
	m["schema/component.yaml"] = "name: schema\nkind: custom\ninputs: [\"/**/*.schema\"]\nbuild:\n  commands: [\"true\"]\n"
	m["schema/run.sh"] = "true\n"
	m["deep/x/a.schema"] = "a\n"
	m["apps/site/component.yaml"] = "name: site\nkind: node\ndependsOn: [web]\n"
	m["apps/site/package.json"] = "{}\n"
	m["apps/box/component.yaml"] = "name: box\nkind: docker\nbuild:\n  context: src\n"
	m["apps/box/src/Dockerfile"] = "FROM scratch\n"
	return m
}()

// memoFile is where plan keeps the digest memo of the repository at dir.
func memoFile(dir string) string { return filepath.Join(dir, ".git", "monopipe", "digest-memo") }

// sums plans every component at HEAD with digests: from the memo when
// memo says so (reporting how many came from it), else computed in full.
func sums(t *testing.T, dir string, memo bool) (map[string]string, int) {
	t.Helper()
	p, err := plan.Make(context.Background(), plan.Options{Dir: dir, Head: "HEAD", All: true, Digest: true, DigestInputs: !memo})
	if err != nil {
		t.Fatal(err)
	}
	out, hits := map[string]string{}, 0
	for _, c := range p.Components {
		if !strings.HasPrefix(c.Digest, "sha256:") {
			t.Fatalf("%s: digest %q", c.Name, c.Digest)
		}
		out[c.Name] = c.Digest
		if c.Inputs == nil {
			hits++
		}
	}
	return out, hits
}

// TestMemo: a digest taken from the memo equals the one computed in full
// after every kind of change to what decides it, with the memo warm (made
// at the commit before) and, for a few changes, cold (absent) and
// corrupt; where nothing changed, every digest comes from the memo.
func TestMemo(t *testing.T) {
	for _, tc := range []struct {
		name   string
		files  map[string]string
		remove []string
		recipe bool
		same   bool // no digest changes
	}{
		{name: "nothing", same: true},
		{name: "file in the folder", files: map[string]string{"svc/api/main.go": "package main // 2\n"}},
		{name: "new file in the folder", files: map[string]string{"svc/api/util.go": "package main\n"}},
		{name: "removed file in the folder", remove: []string{"svc/api/main.go"}},
		{name: "ignored file in the folder", files: map[string]string{"svc/api/docs/guide.txt": "guide 2\n"}},
		{name: "nested component's file", files: map[string]string{"svc/api/admin/run.sh": "false\n"}},
		{name: "new nested component", files: map[string]string{"svc/api/more/component.yaml": "name: more\nkind: custom\nbuild:\n  commands: [\"true\"]\n"}},
		{name: "inputs file outside", files: map[string]string{"shared/a.txt": "a 2\n"}},
		{name: "inputs file outside, a folder below", files: map[string]string{"shared/sub/c.txt": "c\n"}},
		{name: "inputs file named by a glob's braces", files: map[string]string{"proto/a.proto": "a 2\n"}},
		{name: "file next to an inputs file", files: map[string]string{"proto/c.proto": "c 2\n"}, same: true},
		{name: "inputs glob matching anywhere", files: map[string]string{"elsewhere/deep/b.schema": "b\n"}},
		{name: "go.mod above", files: map[string]string{"libs/go.mod": "module example.com/libs // 2\n"}},
		{name: "go.sum above", files: map[string]string{"libs/go.sum": "x\n"}},
		{name: "go.mod above removed", remove: []string{"libs/go.mod"}},
		{name: "go.mod higher still", files: map[string]string{"go.mod": "module example.com\n"}, remove: []string{"libs/go.mod"}},
		{name: "file next to go.mod above", files: map[string]string{"libs/other/other.go": "package other // 2\n"}, same: true},
		{name: "docker context file elsewhere", files: map[string]string{"apps/assets/logo.svg": "<svg></svg>\n"}},
		{name: "docker context new file", files: map[string]string{"apps/new.txt": "new\n"}},
		{name: "file excluded from every tree", files: map[string]string{"apps/assets/node_modules/m/i.js": "x\n"}, same: true},
		{name: "global file", files: map[string]string{"tools/ci.sh": "echo ci 2\n"}},
		{name: "new global file", files: map[string]string{"tools/lint.sh": "echo lint\n"}},
		{name: "global glob", files: map[string]string{"monopipe.yaml": strings.Replace(shapes["monopipe.yaml"], `"tools/**"`, `"tools/**", "other/**"`, 1)}},
		{name: "workspace ignore of a global file", files: map[string]string{"monopipe.yaml": strings.Replace(shapes["monopipe.yaml"], `"**/*.md"`, `"**/*.md", "tools/ci.sh"`, 1)}},
		{name: "component ignore of a global file", files: map[string]string{"svc/api/component.yaml": strings.Replace(shapes["svc/api/component.yaml"], `"docs/**"`, `"docs/**", "/tools/**"`, 1)}},
		{name: "manifest", files: map[string]string{"svc/api/component.yaml": shapes["svc/api/component.yaml"] + "build:\n  env:\n    A: b\n"}},
		{name: "manifest outside its docker context", files: map[string]string{"apps/box/component.yaml": memoShapes["apps/box/component.yaml"] + "test:\n  skip: true\n"}},
		{name: "manifest inputs", files: map[string]string{"py/component.yaml": strings.Replace(memoShapes["py/component.yaml"], "{a,b}", "{a,c}", 1)}},
		{name: "workspace image", files: map[string]string{"monopipe.yaml": shapes["monopipe.yaml"] + "images:\n  go: mirror.example/golang:1.26\n"}},
		{name: "workspace publish setting", files: map[string]string{"monopipe.yaml": shapes["monopipe.yaml"] + "publish:\n  image:\n    registry: ghcr.io/acme\n"}},
		{name: "dependency's file", files: map[string]string{"libs/greet/greet.go": "package greet // 2\n"}},
		{name: "docker dependency's folder outside its context", files: map[string]string{"apps/web/notes.txt": "n\n"}},
		{name: "component moved", files: map[string]string{"svc/api2/component.yaml": shapes["svc/api/component.yaml"], "svc/api2/go.mod": shapes["svc/api/go.mod"], "svc/api2/main.go": shapes["svc/api/main.go"]},
			remove: []string{"svc/api/component.yaml", "svc/api/go.mod", "svc/api/main.go", "svc/api/docs"}},
		{name: "recipe version", recipe: true},
	} {
		modes := []string{"warm"}
		if tc.name == "nothing" || tc.name == "file in the folder" || tc.name == "global file" {
			modes = append(modes, "cold", "corrupt")
		}
		for _, memo := range modes {
			t.Run(tc.name+"/"+memo, func(t *testing.T) {
				r := gittest.New(t)
				r.Commit("shapes", memoShapes)
				before, hits := sums(t, r.Dir, true)
				if hits != 0 {
					t.Fatalf("%d digests from a memo that was not there", hits)
				}
				if again, hits := sums(t, r.Dir, true); hits != len(before) || !maps.Equal(again, before) {
					t.Fatalf("unchanged: %d of %d from the memo, %v, want %v", hits, len(before), again, before)
				}
				r.Remove(tc.remove...)
				r.Commit("change", tc.files)
				if tc.recipe {
					old := manifest.RecipeVersions[manifest.KindGo]
					manifest.RecipeVersions[manifest.KindGo] = old + 1
					t.Cleanup(func() { manifest.RecipeVersions[manifest.KindGo] = old })
				}
				switch memo {
				case "cold":
					if err := os.Remove(memoFile(r.Dir)); err != nil {
						t.Fatal(err)
					}
				case "corrupt":
					data, err := os.ReadFile(memoFile(r.Dir))
					if err != nil {
						t.Fatal(err)
					}
					data[len(data)/2] ^= 0xff
					if err := os.WriteFile(memoFile(r.Dir), data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, _ := sums(t, r.Dir, false)
				got, hits := sums(t, r.Dir, true)
				if !maps.Equal(got, want) {
					for n := range want {
						if got[n] != want[n] {
							t.Errorf("%s: memo gives %s, computing gives %s (before the change %s)", n, got[n], want[n], before[n])
						}
					}
				}
				changed := 0
				for n := range want {
					if want[n] != before[n] {
						changed++
					}
				}
				if (changed == 0) != tc.same {
					t.Errorf("the change changed %d digests", changed)
				}
				if memo == "warm" && hits == 0 && changed < len(want) {
					t.Errorf("no digest came from the memo (%d of %d changed)", changed, len(want))
				}
				// The memo now knows this commit.
				if again, hits := sums(t, r.Dir, true); hits != len(want) || !maps.Equal(again, want) {
					t.Errorf("again: %d of %d from the memo, %v, want %v", hits, len(want), again, want)
				}
			})
		}
	}
}
