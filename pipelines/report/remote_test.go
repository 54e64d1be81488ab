package report

import (
	"strings"
	"testing"
	"time"
)

// TestRemote: a component answered by the shared result cache says so, with
// the entry's ref and when and where it was made, in every report.
func TestRemote(t *testing.T) {
	ref := "ghcr.io/org/cache@sha256:" + strings.Repeat("ab", 32)
	r := &Results{Components: []Component{{
		Name: "api", Kind: "go", Status: StatusSuccess,
		Remote: &Remote{Ref: ref, Digest: "sha256:" + strings.Repeat("cd", 32), Created: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC),
			Commit: "c0ffee", Run: "https://ci.example/run/7"},
		Steps: []Step{{Name: "build", Status: StatusSkipped, Error: CachedRemote + " " + ref}, {Name: "test", Status: StatusSkipped, Error: CachedRemote + " " + ref}},
	}, {Name: "web", Kind: "node", Status: StatusSuccess, Steps: []Step{{Name: "build", Status: StatusSuccess}}}}}
	files, err := Files(r)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{CachedRemote, ref, "2026-11-20T09:30:00Z", "c0ffee", "https://ci.example/run/7"}
	for name, text := range map[string]string{"text": Text(r), SummaryFile: string(files[SummaryFile]), JSONFile: string(files[JSONFile])} {
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q:\n%s", name, w, text)
			}
		}
	}
	if ju := string(files[JUnitFile]); !strings.Contains(ju, CachedRemote+" "+ref) {
		t.Errorf("junit.xml lacks the cached steps' note:\n%s", ju)
	}
	if got := CacheLabel(r.Components[0]); got != CachedRemote {
		t.Errorf("CacheLabel = %q, want %q", got, CachedRemote)
	}
	if got := CacheLabel(r.Components[1]); got != "no" {
		t.Errorf("CacheLabel of a built component = %q, want no", got)
	}
}
