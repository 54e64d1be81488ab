package plan

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

// fakeResults knows successful results by component name; lookups of the
// components in fail fail.
type fakeResults struct {
	good map[string]bool
	fail map[string]bool

	mu    sync.Mutex
	asked map[string]string // component: digest
}

func (f *fakeResults) Has(_ context.Context, component, digest string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.asked == nil {
		f.asked = map[string]string{}
	}
	f.asked[component] = digest
	if f.fail[component] {
		return false, errors.New("registry unreachable")
	}
	return f.good[component], nil
}

func TestHeal(t *testing.T) {
	r := newFixture(t)
	base := r.Git("rev-parse", "HEAD")
	r.Commit("change cli", map[string]string{"tools/cli/main.go": "package main // 2\n"})
	everyone := map[string]bool{}
	for _, n := range allNames {
		everyone[n] = true
	}
	tests := []struct {
		name       string
		good, fail map[string]bool
		healBranch string
		noHeal     bool
		want       []string
		reasons    map[string]string // component: a substring of its reason
	}{
		{name: "every result there: only the diff", good: everyone, want: []string{"cli"}},
		{name: "no result for proto and web", good: map[string]bool{"cli": true, "greet": true, "api": true, "admin": true},
			want:    []string{"cli", "proto", "web"},
			reasons: map[string]string{"proto": "no successful result for digest sha256:", "web": "no successful result for digest sha256:"}},
		{name: "a failed lookup selects", good: map[string]bool{"greet": true, "proto": true, "admin": true, "web": true},
			fail: map[string]bool{"api": true}, want: []string{"cli", "api"},
			reasons: map[string]string{"api": "could not look up a result for digest sha256:"}},
		{name: "healing off", good: map[string]bool{}, noHeal: true, want: []string{"cli"}},
		{name: "another branch's push does not heal", good: map[string]bool{}, healBranch: "release", want: []string{"cli"}},
		{name: "the base branch's push heals", good: map[string]bool{"greet": true, "proto": true, "api": true, "admin": true, "web": true},
			healBranch: "main", want: []string{"cli"}},
		{name: "the base branch's push heals what is missing", good: map[string]bool{"greet": true, "proto": true, "api": true, "web": true},
			healBranch: "main", want: []string{"cli", "admin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeResults{good: tt.good, fail: tt.fail}
			p, err := Make(context.Background(), Options{Dir: r.Dir, Base: base, Head: "HEAD", Results: func(*manifest.Workspace) Results { return f }, Heal: !tt.noHeal, HealBranch: tt.healBranch})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, n := range names(p) {
				got[n] = true
			}
			want := map[string]bool{}
			for _, n := range tt.want {
				want[n] = true
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("selected %v, want %v (reason %q)", names(p), tt.want, p.Reason)
			}
			for _, c := range p.Components {
				if !strings.HasPrefix(c.Digest, "sha256:") {
					t.Errorf("%s: digest %q", c.Name, c.Digest)
				}
				if sub, ok := tt.reasons[c.Name]; ok {
					if len(c.Reasons) != 1 || !strings.Contains(c.Reasons[0], sub) || !strings.Contains(c.Reasons[0], c.Digest) {
						t.Errorf("%s: reasons %q, want one with %q and its digest %s", c.Name, c.Reasons, sub, c.Digest)
					}
				}
				if asked, ok := f.asked[c.Name]; ok && asked != c.Digest {
					t.Errorf("%s: asked about digest %s, plan says %s", c.Name, asked, c.Digest)
				}
			}
			if f.asked["cli"] != "" {
				t.Errorf("asked about cli, which the diff selected")
			}
		})
	}
}
