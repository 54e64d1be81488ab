// Package components_test runs the example components' own tests natively,
// so that CI, which has no Dagger engine, still proves they pass. The
// pipeline runs the same tests in containers (`dagger call build --all`).
// banner is left out: it is a Dagger module (kind dagger), whose code
// compiles only with what the engine generates; pipelines/build's
// TestEngineDaggerModule and TestEngineExamples run it on an engine.
package components_test

import (
	"bytes"
	"os"
	"os/exec"
	"testing"

	"github.com/monopipe/monopipe/internal/pgtest"
)

func TestComponents(t *testing.T) {
	tests := []struct {
		dir  string
		cmd  []string
		tool string // what must be installed; the test skips without it
		// postgres: the tests need a database (test.services in the
		// pipeline): a real PostgreSQL started here, at DATABASE_URL.
		postgres bool
	}{
		{"greet", []string{"go", "test", "./..."}, "go", false},
		{"hello-api", []string{"go", "test", "./..."}, "go", false},
		{"webfmt", []string{"npm", "test"}, "npm", false},
		{"pyslug", []string{"/usr/bin/python3", "-m", "pytest", "-q"}, "/usr/bin/python3 with pytest (.ci/setup.d/components.sh)", false},
		{"lambda-image", []string{"/usr/bin/python3", "-m", "unittest", "-q"}, "/usr/bin/python3", false},
		{"semver-bump", []string{"sh", "test.sh"}, "sh", false},
		{"pgcount", []string{"go", "test", "-v", "./..."}, "go", true},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			if _, err := exec.LookPath(tt.cmd[0]); err != nil {
				t.Skipf("%s is not installed: %v", tt.tool, err)
			}
			if tt.dir == "pyslug" && exec.Command(tt.cmd[0], "-m", "pytest", "--version").Run() != nil {
				t.Skipf("%s is not installed", tt.tool)
			}
			cmd := exec.Command(tt.cmd[0], tt.cmd[1:]...)
			cmd.Dir = tt.dir
			if tt.postgres {
				cmd.Env = append(os.Environ(), "DATABASE_URL="+pgtest.Start(t))
			}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v in components/%s: %v\n%s", tt.cmd, tt.dir, err, out)
			}
			if tt.postgres && (!bytes.Contains(out, []byte("--- PASS: TestHitAndCount")) || bytes.Contains(out, []byte("--- SKIP"))) {
				t.Fatalf("components/%s: its database tests did not all run and pass:\n%s", tt.dir, out)
			}
		})
	}
}
