package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

// TestRunGitShapes plans, end to end, over repository shapes that once gave
// wrong answers: revisions git resolves otherwise than "HEAD", a pull
// request branch whose base branch moved on, a symlinked manifest read at a
// commit, a partial clone missing a manifest's blob.
func TestRunGitShapes(t *testing.T) {
	r := gittest.New(t)
	r.Commit("one", map[string]string{
		"lib/component.yaml": "name: lib\nkind: go\n",
		"lib/lib.go":         "package lib\n",
		"shared/app.yaml":    "name: app\nkind: docker\n",
		"app/Dockerfile":     "FROM scratch\n",
	})
	if err := os.Symlink("../shared/app.yaml", filepath.Join(r.Dir, "app/component.yaml")); err != nil {
		t.Fatal(err)
	}
	r.Git("add", "-A")
	r.Git("commit", "-q", "-m", "link app's manifest")
	r.Commit("change lib", map[string]string{"lib/lib.go": "package lib // 2\n"})
	r.Git("checkout", "-q", "-b", "feature", "HEAD~1")
	r.Commit("change app", map[string]string{"app/Dockerfile": "FROM busybox\n"})
	r.Git("checkout", "-q", "main")
	// A partial clone that checked out a branch with another app manifest
	// has not fetched main's.
	r.Git("branch", "newer", "main")
	r.Git("checkout", "-q", "newer")
	r.Commit("change the manifest", map[string]string{"shared/app.yaml": "name: app\nkind: docker\n# 2\n"})
	r.Git("checkout", "-q", "main")
	r.Git("config", "uploadpack.allowFilter", "true")
	clone := filepath.Join(t.TempDir(), "partial")
	r.Git("clone", "-q", "--filter=blob:none", "--branch", "newer", "file://"+r.Dir, clone)

	tests := []struct {
		name, dir   string
		args        []string
		code        int
		stdout      string
		stderr      string
		notInStdout string
	}{
		// main@{1} is the commit before "change lib" moved main: lib changed since.
		{"reflog", r.Dir, []string{"plan", "--base", "main@{1}", "--head", "main", "--format", "github-matrix"}, 0, `"component":"lib"`, "", `"app"`},
		{"tree is not a commit", r.Dir, []string{"plan", "--base", "HEAD^{tree}"}, 1, "", "--base HEAD^{tree}: HEAD^{tree} names a tree, not a commit", ""},
		{"path is not a commit", r.Dir, []string{"plan", "--base", "HEAD:lib"}, 1, "", "--base HEAD:lib: names a file or folder in a tree (:lib), not a commit", ""},
		{"past the root", r.Dir, []string{"plan", "--base", "HEAD~9", "--head", "HEAD"}, 1, "", "--base HEAD~9: history has only 2 commits before HEAD", ""},
		{"date", r.Dir, []string{"plan", "--base", "main@{yesterday}"}, 1, "", "not supported", ""},
		// The branch changed app only; main's lib change since is not its.
		{"merge-base", r.Dir, []string{"plan", "--base", "main", "--head", "feature", "--format", "github-matrix"}, 0, `{"include":[{"component":"app","dir":"app"}]}`, "", ""},
		{"symlinked manifest at a commit", r.Dir, []string{"plan", "--base", "HEAD~1", "--head", "feature", "--format", "github-matrix"}, 0, `"component":"app"`, "", ""},
		{"partial clone", clone, []string{"plan", "--base", "origin/main~1", "--head", "origin/main"}, 1, "", "app/component.yaml: blob 1284314233c0fa547cb8b50b669376d9858efd35: object missing from this clone (a partial clone?)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append(tt.args, "--dir", tt.dir), &out, &errb)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, errb.String())
			}
			if !strings.Contains(out.String(), tt.stdout) || (tt.notInStdout != "" && strings.Contains(out.String(), tt.notInStdout)) {
				t.Errorf("stdout = %q, want it to contain %q and not %q", out.String(), tt.stdout, tt.notInStdout)
			}
			if !strings.Contains(errb.String(), tt.stderr) || (tt.stderr == "" && errb.Len() > 0) {
				t.Errorf("stderr = %q, want %q", errb.String(), tt.stderr)
			}
		})
	}
}
