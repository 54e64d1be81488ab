package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

// TestInit: init prints a diff and writes nothing; --write writes; a
// rerun proposes nothing; an existing file is overwritten only with
// --force; the result passes check.
func TestInit(t *testing.T) {
	r := gittest.New(t)
	r.Commit("repo", map[string]string{
		"libs/lib/go.mod":       "module example.com/lib\n\ngo 1.26\n",
		"libs/lib/lib.go":       "package lib\n",
		"apps/app/go.mod":       "module example.com/app\n\ngo 1.26\n",
		"apps/app/main.go":      "package main\n\nimport _ \"example.com/lib\"\n\nfunc main() {}\n",
		"apps/web/package.json": `{"name": "web"}`,
	})
	runIn := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append(append([]string{"init"}, args...), "--dir", r.Dir), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, out, errOut := runIn()
	if code != 0 {
		t.Fatalf("init: exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"--- /dev/null\n+++ b/apps/app/component.yaml\n@@ -0,0 +1,6 @@\n",
		"+name: app\n+kind: go\n+dependsOn:\n+  - lib # apps/app/main.go:3: imports example.com/lib (component lib)\n",
		"+++ b/monopipe.yaml\n", `+components: ["apps/*", "libs/*"]` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "4 files proposed (3 components); --write writes them") {
		t.Errorf("stderr: %s", errOut)
	}
	if _, err := os.Stat(filepath.Join(r.Dir, "monopipe.yaml")); err == nil {
		t.Fatal("init without --write wrote monopipe.yaml")
	}
	// The diff is one git apply takes.
	if git, err := exec.LookPath("git"); err == nil {
		cmd := exec.Command(git, "apply", "--check", "-")
		cmd.Dir, cmd.Stdin = r.Dir, strings.NewReader(out)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("git apply --check: %v: %s", err, b)
		}
	}

	if code, _, errOut := runIn("--write"); code != 0 {
		t.Fatalf("--write: exit %d: %s", code, errOut)
	}
	if code, out, errOut := runIn(); code != 0 || out != "" || !strings.Contains(errOut, "nothing new to propose") {
		t.Errorf("rerun: exit %d: %q %q", code, out, errOut)
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"check", "--strict", "--dir", r.Dir}, &stdout, &stderr); code != 0 {
		t.Errorf("check after init: exit %d: %s%s", code, stdout.String(), stderr.String())
	}

	// A component.yaml that the globs do not search is in the way: not
	// overwritten without --force.
	r.Write(map[string]string{"monopipe.yaml": "components: [\"libs/*\", apps/web]\n", "apps/app/component.yaml": "# mine\n"})
	if code, _, errOut := runIn("--write"); code != 1 || !strings.Contains(errOut, "apps/app/component.yaml exists: not overwritten (--force overwrites it)") {
		t.Errorf("--write over an existing file: exit %d: %s", code, errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(r.Dir, "apps/app/component.yaml")); string(b) != "# mine\n" {
		t.Errorf("overwritten without --force: %q", b)
	}
	if code, _, errOut := runIn("--write", "--force"); code != 0 || !strings.Contains(errOut, "wrote apps/app/component.yaml") {
		t.Errorf("--write --force: exit %d: %s", code, errOut)
	}
}
