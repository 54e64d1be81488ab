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

// TestDigestsStable pins the digests of components that use no newer
// setting: a new manifest field, or any change to how entries are
// encoded, must not change every component's digest (every shared-cache
// entry would miss at once). Digests may change on purpose (a recipe
// version bump); then update the pins and say why in the commit. These
// are the digests 867982f computed.
func TestDigestsStable(t *testing.T) {
	r := gittest.New(t)
	r.Commit("one", map[string]string{
		"api/component.yaml": "name: api\nkind: node\n",
		"api/a.js":           "x\n",
		"lib/component.yaml": "name: lib\nkind: go\nbuild: {main: ./cmd/x, env: {A: b}}\npublish: {image: {registry: r.example, repository: \"t/{name}\"}}\ndeploy: {lambda: {function: f}}\n",
	})
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"plan", "--dir", r.Dir, "--all", "--head", "HEAD", "--format", "json", "--digest"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got struct {
		Components []struct{ Name, Digest string }
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"api": "sha256:e5f52ab01ae210b334644c3e3458e028a0ac2d1842058cac9624915911b7d459",
		"lib": "sha256:498bb90eddd4211b1337d3a569f9ed0b3c7298b5a706d98fe8831282193ead18",
	}
	for _, c := range got.Components {
		if c.Digest != want[c.Name] {
			t.Errorf("%s: digest %s, want %s", c.Name, c.Digest, want[c.Name])
		}
	}
	if len(got.Components) != len(want) {
		t.Errorf("%d components, want %d", len(got.Components), len(want))
	}
}
