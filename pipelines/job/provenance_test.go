package job

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/monopipe/monopipe/internal/gittest"
)

func TestWebURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://github.com/org/repo.git":                       "https://github.com/org/repo",
		"https://x-access-token:ghs_SECRET@github.com/org/repo": "https://github.com/org/repo",
		"https://ghe.example.com:8443/org/repo/":                "https://ghe.example.com:8443/org/repo",
		"git@github.com:org/repo.git":                           "https://github.com/org/repo",
		"ssh://git@ghe.example.com:2222/org/repo.git":           "https://ghe.example.com/org/repo",
		"/srv/git/repo.git":                                     "",
		"file:///srv/git/repo.git":                              "",
		"https://gitlab.example.com/group/sub/project.git":      "https://gitlab.example.com/group/sub/project",
	} {
		if got := webURL(in); got != want {
			t.Errorf("webURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestProvenanceOf reads the commit's time and the origin remote of a real
// repository; a credential in the remote URL never reaches the source.
func TestProvenanceOf(t *testing.T) {
	repo := gittest.New(t)
	commit := repo.Commit("init", map[string]string{"a": "1"})
	when, err := time.Parse(time.RFC3339, strings.TrimSpace(repo.Git("show", "-s", "--format=%cI", commit)))
	if err != nil {
		t.Fatal(err)
	}
	p := provenanceOf(repo.Dir, commit, "org/fallback", io.Discard)
	if p.Revision != commit || !p.Created.Equal(when) || p.Source != "https://github.com/org/fallback" {
		t.Errorf("without a remote: %+v, want the commit, %s and the fallback repository", p, when)
	}
	repo.Git("remote", "add", "origin", "https://x-access-token:ghs_SECRET@ghe.example.com/org/repo.git")
	if p = provenanceOf(repo.Dir, commit, "org/fallback", io.Discard); p.Source != "https://ghe.example.com/org/repo" {
		t.Errorf("source %q, want the origin's address without the credential", p.Source)
	}
}
