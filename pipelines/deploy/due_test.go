package deploy

import (
	"strings"
	"testing"
)

func TestDue(t *testing.T) {
	for _, tc := range []struct {
		name   string
		on     []string
		when   When
		want   bool
		reason string
	}{
		{name: "default base", when: When{Branch: "main", BaseBranch: "main"}, want: true, reason: "on the base branch main"},
		{name: "default release", when: When{Branch: "v1", BaseBranch: "main", Release: true}, want: true, reason: "release build"},
		{name: "default branch", when: When{Branch: "feat/x", BaseBranch: "main"}, reason: "deploy.on is [base release] and this run is on branch feat/x"},
		{name: "no branch", when: When{BaseBranch: "main"}, reason: "this run is on no branch"},
		{name: "release only, base", on: []string{"release"}, when: When{Branch: "main", BaseBranch: "main"}, reason: "this run is on the base branch main"},
		{name: "release only, release", on: []string{"release"}, when: When{Branch: "main", BaseBranch: "main", Release: true}, want: true},
		{name: "base only, release off base", on: []string{"base"}, when: When{Branch: "rel", BaseBranch: "main", Release: true}, reason: "this run is on a release"},
		{name: "branch", on: []string{"branch"}, when: When{Branch: "feat/x", BaseBranch: "main"}, want: true, reason: "on branch feat/x"},
		{name: "branch not base", on: []string{"branch"}, when: When{Branch: "main", BaseBranch: "main"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := Due(tc.on, tc.when)
			if got != tc.want || !strings.Contains(reason, tc.reason) {
				t.Fatalf("Due = %v, %q; want %v, %q", got, reason, tc.want, tc.reason)
			}
		})
	}
}
