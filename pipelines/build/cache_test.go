package build

import "testing"

func TestCacheVolumeName(t *testing.T) {
	tests := []struct {
		scope CacheScope
		want  string
	}{
		{CacheScope{Repo: "acme/shop", Trust: Trusted}, "monopipe-gomod:trusted:acme/shop"},
		{CacheScope{Repo: "acme/shop", Trust: Untrusted}, "monopipe-gomod:untrusted:acme/shop"},
		{CacheScope{Repo: "acme/shop"}, "monopipe-gomod:untrusted:acme/shop"},
		{CacheScope{Repo: "acme/shop", Trust: "TRUSTED"}, "monopipe-gomod:untrusted:acme/shop"},
		{CacheScope{Trust: Trusted}, "monopipe-gomod:trusted:local"},
		{CacheScope{}, "monopipe-gomod:untrusted:local"},
		{CacheScope{Repo: "a:b/c d", Trust: Trusted}, "monopipe-gomod:trusted:a_b/c_d"},
	}
	for _, tt := range tests {
		if got := CacheVolumeName(tt.scope, "gomod"); got != tt.want {
			t.Errorf("CacheVolumeName(%+v) = %q, want %q", tt.scope, got, tt.want)
		}
	}
	// Every pair of scopes that differ in repository or trust gets its own
	// volume.
	seen := map[string]CacheScope{}
	for _, repo := range []string{"", "acme/shop", "acme/shop2", "fork/shop"} {
		for _, trust := range []Trust{Trusted, Untrusted} {
			s := CacheScope{Repo: repo, Trust: trust}
			name := CacheVolumeName(s, "npm")
			if other, dup := seen[name]; dup {
				t.Errorf("%+v and %+v share %s", s, other, name)
			}
			seen[name] = s
		}
	}
}
