package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

// TestExplain: plan --format json --digest shows each selected component's digest;
// --explain lists the inputs; --against names the inputs that differ.
func TestExplain(t *testing.T) {
	r := gittest.New(t)
	one := r.Commit("one", map[string]string{
		"lib/component.yaml": "name: lib\nkind: go\n",
		"lib/lib.go":         "package lib\n",
		"app/component.yaml": "name: app\nkind: docker\ndependsOn: [lib]\n",
		"app/Dockerfile":     "FROM scratch\n",
	})
	r.Commit("two", map[string]string{
		"lib/lib.go":         "package lib // 2\n",
		"lib/new.go":         "package lib\n",
		"app/component.yaml": "name: app\nkind: docker\ndependsOn: [lib]\nbuild:\n  env: {A: b}\n",
	})
	plan := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"plan", "--dir", r.Dir}, args...), &out, &errb)
		return out.String(), errb.String(), code
	}

	out, errs, code := plan("--format", "json", "--digest", "--base", "HEAD~1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		Components []struct{ Name, Digest string }
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	digests := map[string]string{}
	for _, c := range got.Components {
		if !strings.HasPrefix(c.Digest, "sha256:") || len(c.Digest) != len("sha256:")+64 {
			t.Errorf("%s: digest %q", c.Name, c.Digest)
		}
		digests[c.Name] = c.Digest
	}
	if len(digests) != 2 || digests["lib"] == digests["app"] {
		t.Fatalf("digests %v", digests)
	}

	out, errs, code = plan("--explain", "app")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"app at the working tree: " + digests["app"] + "\n",
		"  dep lib " + digests["lib"] + "\n",
		"  env A=b\n",
		"  file app/Dockerfile blob " + r.Git("rev-parse", "HEAD:app/Dockerfile") + "\n",
		"  recipe docker/1\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--explain output lacks %q:\n%s", want, out)
		}
	}

	out, errs, code = plan("--explain", "lib", "--against", one)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{
		"2 inputs differ (from " + one + " to the working tree):\n",
		"  changed file lib/lib.go blob " + r.Git("rev-parse", "HEAD:lib/lib.go") + " (was file lib/lib.go blob " + r.Git("rev-parse", one+":lib/lib.go") + ")\n",
		"  added   file lib/new.go blob ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--against output lacks %q:\n%s", want, out)
		}
	}

	out, _, _ = plan("--explain", "app", "--against", one, "--head", "HEAD")
	for _, want := range []string{"  changed dep lib ", "  changed manifest ", "  added   env A=b\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("--against output lacks %q:\n%s", want, out)
		}
	}
	if out, _, _ = plan("--explain", "app", "--against", "HEAD"); !strings.Contains(out, "same inputs\n") {
		t.Errorf("clean working tree against HEAD:\n%s", out)
	}

	out, _, _ = plan("--explain", "lib", "--against", one, "--format", "json")
	var e struct {
		Component, Digest, AgainstDigest string
		Inputs, Changed, Added, Removed  []string
	}
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if e.Component != "lib" || e.Digest != digests["lib"] || e.AgainstDigest == "" || len(e.Inputs) == 0 || len(e.Changed) != 1 || len(e.Added) != 1 || len(e.Removed) != 0 {
		t.Errorf("--format json: %+v", e)
	}

	// With the digest memo warm at HEAD (it keeps sums alone), --explain
	// still computes the digest and lists its inputs.
	for range 2 {
		if _, errs, code = plan("--all", "--head", "HEAD", "--digest", "--format", "json"); code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(r.Dir, ".git", "monopipe", "digest-memo")); err != nil {
		t.Fatalf("no digest memo: %v", err)
	}
	out, _, _ = plan("--explain", "app", "--head", "HEAD")
	for _, want := range []string{
		"app at HEAD: " + digests["app"] + "\n",
		"  dep lib " + digests["lib"] + "\n",
		"  file app/Dockerfile blob " + r.Git("rev-parse", "HEAD:app/Dockerfile") + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--explain with the memo warm lacks %q:\n%s", want, out)
		}
	}

	if _, errs, code = plan("--explain", "nope"); code != 1 || !strings.Contains(errs, "monopipe plan: --explain nope: no such component") {
		t.Errorf("unknown component: exit %d, stderr %q", code, errs)
	}
	if _, errs, code = plan("--against", one); code != 2 || !strings.Contains(errs, "--against needs --explain") {
		t.Errorf("--against alone: exit %d, stderr %q", code, errs)
	}
}
