package build

import (
	"strings"
)

// Trust is how far a run's sources are trusted, which decides the cache
// volumes it may write: a run never shares a cache volume with a run of
// another trust level, so an untrusted build (a pull request, a fork, a
// branch other than the base branch, a laptop) cannot put anything into
// the module and package caches that a trusted build (the base branch, a
// release) reads.
type Trust string

// The trust levels.
const (
	// Trusted: a push or manual run on the base branch, or a release from
	// a tag (reachable from the base branch or a release branch).
	Trusted Trust = "trusted"
	// Untrusted: everything else, and the default.
	Untrusted Trust = "untrusted"
)

// CacheScope says whose cache volumes a Builder's containers mount: the
// repository's (owner/name; "" for unknown, as on a laptop without an
// origin remote) at a trust level (Untrusted when empty).
type CacheScope struct {
	Repo  string
	Trust Trust
}

// CacheVolumeName is the name of a cache volume (gomod, gobuild, npm, pip)
// in a scope: "monopipe-<cache>:<trust>:<repo>", e.g.
// "monopipe-gomod:trusted:acme/shop". Characters other than letters,
// digits, '.', '_', '-' and '/' in the repository become '_'; an unknown
// repository is "local" and an unknown trust level is untrusted, so a
// missing scope can only separate caches, never join a trusted one.
func CacheVolumeName(s CacheScope, cache string) string {
	trust := Untrusted
	if s.Trust == Trusted {
		trust = Trusted
	}
	repo := "local"
	if s.Repo != "" {
		repo = strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-', r == '/':
				return r
			}
			return '_'
		}, s.Repo)
	}
	return "monopipe-" + cache + ":" + string(trust) + ":" + repo
}
