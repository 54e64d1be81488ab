package gitparity_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gitparity"
)

func TestCompare(t *testing.T) {
	tests := []struct {
		name           string
		want, got      []string
		missing, extra []string
	}{
		{"equal", []string{"a", "b"}, []string{"b", "a"}, nil, nil},
		{"both empty", nil, []string{}, nil, nil},
		{"duplicates do not matter", []string{"a"}, []string{"a", "a"}, nil, nil},
		{"missing", []string{"a", "b/"}, []string{"a"}, []string{"b/"}, nil},
		{"extra", []string{"a"}, []string{"a", "c"}, nil, []string{"c"}},
		{"nothing changed is wrong", []string{"sub"}, nil, []string{"sub"}, nil},
		{"a folder is not its files", []string{"nested/"}, []string{"nested/f"}, []string{"nested/"}, []string{"nested/f"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := gitparity.Compare(tt.want, tt.got)
			if tt.missing == nil && tt.extra == nil {
				if m != nil {
					t.Fatalf("Compare = %v, want agreement", m)
				}
				return
			}
			if m == nil || !reflect.DeepEqual(m.Missing, tt.missing) || !reflect.DeepEqual(m.Extra, tt.extra) {
				t.Fatalf("Compare = %+v, want missing %q extra %q", m, tt.missing, tt.extra)
			}
		})
	}
}

func TestParseStatusV2(t *testing.T) {
	out := strings.Join([]string{
		"# branch.oid 0123",
		"1 .M N... 100644 100644 100644 aaa aaa a file.txt",
		"1 .M S.M. 160000 160000 160000 bbb bbb sub",
		"2 R. N... 100644 100644 100644 ccc ccc R100 new name", "old name",
		"u UU N... 100644 100644 100644 100644 d1 d2 d3 conflict",
		"? untracked dir/f",
		"? nested/",
		"! ignored.log",
		"",
	}, "\x00")
	got, err := gitparity.ParseStatusV2([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a file.txt", "conflict", "nested/", "new name", "old name", "sub", "untracked dir/f"}
	if !slices.Equal(got, want) {
		t.Fatalf("ParseStatusV2 = %q, want %q", got, want)
	}
	if _, err := gitparity.ParseStatusV2([]byte("Z what\x00")); err == nil {
		t.Fatal("an unknown record parsed without error")
	}
}

// needHarness skips t where the harness cannot run, saying why.
func needHarness(t *testing.T) {
	if err := gitparity.Available(); err != nil {
		t.Skip(err)
	}
}

// allChecks turns every check on.
func allChecks() map[string]bool {
	on := map[string]bool{}
	for _, c := range gitparity.Checks {
		on[c.Name] = true
	}
	return on
}

// script is a state with a change of every kind the checks look at.
var script = []string{
	`printf 'x\n' > untracked.txt && printf 'i\n' > ignored.log && printf '*.log\n' > .gitignore && printf 'm\n' >> README && git tag -a -m t t1`,
	`git checkout -q -b feature && printf 'f\n' > f.txt && git add f.txt && git commit -q -m f && git checkout -q main && printf 'm\n' > m.txt && git add m.txt && git commit -q -m m && git checkout -q feature`,
	`git worktree add -q -b wt "$T/wt" && printf 'w\n' > "$T/wt/w.txt" && git init -q nested && printf 'n\n' > nested/f`,
}

// The harness agrees with git itself, and fails a detector that is wrong
// in any of the ways it must catch.
func TestHarnessCatchesWrongAnswers(t *testing.T) {
	needHarness(t)
	tests := []struct {
		name   string
		detect gitparity.Detector
		check  string // the check that must fail; "" for none
	}{
		{"git itself", gitparity.GitDetector, ""},
		{"misses an untracked file", func(dir, base, head string) (gitparity.Answer, error) {
			a, err := gitparity.GitDetector(dir, base, head)
			a.Paths = slices.DeleteFunc(a.Paths, func(p string) bool { return p == "untracked.txt" })
			return a, err
		}, "worktree"},
		{"reports an extra path in commit mode", func(dir, base, head string) (gitparity.Answer, error) {
			a, err := gitparity.GitDetector(dir, base, head)
			if head != "" {
				a.Paths = append(a.Paths, "extra")
			}
			return a, err
		}, "commit"},
		{"says nothing changed", func(dir, base, head string) (gitparity.Answer, error) {
			a, err := gitparity.GitDetector(dir, base, head)
			a.Paths = nil
			return a, err
		}, "worktree"},
		{"says everything", func(dir, base, head string) (gitparity.Answer, error) {
			a, err := gitparity.GitDetector(dir, base, head)
			a.Everything, a.Reason = true, "unsure"
			return a, err
		}, "worktree"},
		{"wrong only in the linked work tree", func(dir, base, head string) (gitparity.Answer, error) {
			a, err := gitparity.GitDetector(dir, base, head)
			if strings.HasSuffix(dir, "/wt") && head == "" {
				a.Paths = slices.DeleteFunc(a.Paths, func(p string) bool { return p == "w.txt" })
			}
			return a, err
		}, "worktree"},
		{"two-dot diff from a diverged base", func(dir, base, head string) (gitparity.Answer, error) {
			a, err := gitparity.GitDetector(dir, base, head)
			if exec.Command("git", "-C", dir, "merge-base", "--is-ancestor", base, "HEAD").Run() != nil {
				a.Paths = append(a.Paths, "m.txt")
			}
			return a, err
		}, "mergebase"},
		{"lists an ignored file as present", func(dir, base, head string) (gitparity.Answer, error) {
			a, err := gitparity.GitDetector(dir, base, head)
			if a.Files != nil {
				a.Files = append(a.Files, "ignored.log")
			}
			return a, err
		}, "files"},
		{"trusts a stale blob id", func(dir, base, head string) (gitparity.Answer, error) {
			a, err := gitparity.GitDetector(dir, base, head)
			if a.Blob != nil {
				a.Blob = func(p string) (string, bool) { return "ce013625030ba8dba906f756967f9e9ca394464a", p == "README" } // "hello\n"
			}
			return a, err
		}, "blobs"},
		{"resolves an unknown revision to HEAD", func(dir, base, head string) (gitparity.Answer, error) {
			if strings.Contains(base, ":") {
				base = "HEAD"
			}
			return gitparity.GitDetector(dir, base, head)
		}, "revisions"},
		{"answer depends on the cache", func(dir, base, head string) (gitparity.Answer, error) {
			a, err := gitparity.GitDetector(dir, base, head)
			cache := filepath.Join(dir, ".git", "monopipe")
			if st, statErr := os.Stat(filepath.Join(dir, ".git")); statErr == nil && st.IsDir() {
				if _, statErr := os.Stat(cache); statErr != nil {
					a.Paths = append(a.Paths, "cold") // without its cache it is wrong
				}
				_ = os.MkdirAll(cache, 0o755)
			}
			return a, err
		}, "cold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checks := allChecks()
			if tt.check != "" { // only what must fail, and what it needs, for speed
				checks = map[string]bool{tt.check: true, "linked": true}
				if tt.check == "cold" || tt.check == "mergebase" {
					checks["worktree"] = true
				}
			}
			cfg := gitparity.Config{Checks: checks, Detect: tt.detect}
			fails, err := gitparity.Replay(t, t.TempDir(), cfg, script)
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, f := range fails {
				failed = append(failed, f.Check)
			}
			if tt.check == "" {
				for _, f := range fails {
					t.Errorf("harness fails git itself:\n%s", f)
				}
				return
			}
			if !slices.Contains(failed, tt.check) {
				t.Fatalf("failed checks %q, want %q among them", failed, tt.check)
			}
		})
	}
}

// A random run against git itself passes: the operations leave states
// the oracles read deterministically.
func TestRunAgainstGitItself(t *testing.T) {
	needHarness(t)
	ops := map[string]bool{}
	for _, n := range gitparity.OpNames() {
		ops[n] = true
	}
	steps := 8
	if testing.Short() {
		steps = 3
	}
	if s := os.Getenv("MONOPIPE_PARITY_STEPS"); s != "" {
		steps, _ = strconv.Atoi(s)
	}
	cfg := gitparity.Config{Seed: 7, Steps: steps, Ops: ops, Checks: allChecks(), Detect: gitparity.GitDetector}
	rep, err := gitparity.Run(t, t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Failures {
		t.Errorf("harness fails git itself:\n%s", f)
	}
}

// The same seed makes the same steps; another seed, others.
func TestRunIsReproducible(t *testing.T) {
	needHarness(t)
	ops := map[string]bool{}
	for _, n := range gitparity.OpNames() {
		ops[n] = true
	}
	run := func(seed uint64) []string {
		cfg := gitparity.Config{Seed: seed, Steps: 25, Ops: ops, Checks: map[string]bool{}, Detect: gitparity.GitDetector}
		rep, err := gitparity.Run(t, t.TempDir(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range rep.Log { // without the notes of failed steps, which may name temporary folders
			rep.Log[i], _, _ = strings.Cut(l, "  #! ")
		}
		return rep.Log
	}
	a, b, c := run(3), run(3), run(4)
	if !slices.Equal(a, b) {
		t.Fatalf("seed 3 made different steps:\n%s\n---\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	if slices.Equal(a, c) {
		t.Fatal("seeds 3 and 4 made the same steps")
	}
}
