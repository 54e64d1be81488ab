// Package components_test runs the example components' own tests natively,
// so that CI, which has no Dagger engine, still proves they pass. The
// pipeline runs the same tests in containers (`dagger call build --all`).
package components_test

import (
	"os/exec"
	"testing"
)

func TestComponents(t *testing.T) {
	tests := []struct {
		dir  string
		cmd  []string
		tool string // what must be installed; the test skips without it
	}{
		{"greet", []string{"go", "test", "./..."}, "go"},
		{"hello-api", []string{"go", "test", "./..."}, "go"},
		{"webfmt", []string{"npm", "test"}, "npm"},
		{"pyslug", []string{"/usr/bin/python3", "-m", "pytest", "-q"}, "/usr/bin/python3 with pytest (.ci/setup.d/components.sh)"},
		{"lambda-image", []string{"/usr/bin/python3", "-m", "unittest", "-q"}, "/usr/bin/python3"},
		{"semver-bump", []string{"sh", "test.sh"}, "sh"},
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
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v in components/%s: %v\n%s", tt.cmd, tt.dir, err, out)
			}
		})
	}
}
