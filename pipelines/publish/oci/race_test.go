package oci

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/monopipe/monopipe/internal/ocitest"
)

// TestPushConcurrentSameVersion: eight publishers push version 1.0.0 with
// different content at once. The registry holds their tag writes until all
// eight have checked the tag and written it (the race made certain, no
// timing): exactly one succeeds, the seven others fail saying which digest
// won, and none of the losers' other tags is set.
func TestPushConcurrentSameVersion(t *testing.T) {
	for _, immutable := range []bool{false, true} {
		t.Run(fmt.Sprintf("immutable tags %t", immutable), func(t *testing.T) { concurrentSameVersion(t, immutable) })
	}
}

// concurrentSameVersion is TestPushConcurrentSameVersion on a registry
// that lets tags move (the last writer holds the tag) or not (the first
// does, the others' writes are refused).
func concurrentSameVersion(t *testing.T, immutable bool) {
	const writers = 8
	reg := ocitest.NewRegistry(t, "", "")
	reg.ImmutableTags.Store(immutable)
	reg.HoldTagWrites("api", "1.0.0", writers)
	tgt := Target{Repository: reg.Host + "/api"}
	imgs := make([]*Image, writers)
	for i := range imgs {
		imgs[i] = loadRandom(t)
	}
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			commit := fmt.Sprintf("%07d", i)
			_, errs[i] = Push(context.Background(), imgs[i], tgt, []Tag{{Name: commit}, {Name: "1.0.0", Immutable: true}}, io.Discard)
		})
	}
	wg.Wait()
	ref, err := name.ParseReference(reg.Host + "/api:1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(ref)
	if err != nil {
		t.Fatal(err)
	}
	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Errorf("writers %d and %d both report success", winner, i)
			}
			winner = i
			continue
		}
		want := fmt.Sprintf("another writer won: tag %s:1.0.0 holds %s, we pushed %s", tgt.Repository, desc.Digest, imgs[i].Digest)
		if !strings.Contains(err.Error(), want) {
			t.Errorf("writer %d: %v\nwant %q", i, err, want)
		}
	}
	if winner < 0 {
		t.Fatalf("no writer succeeded: %v", errs)
	}
	if desc.Digest != imgs[winner].Digest {
		t.Errorf("1.0.0 holds %s, not the successful writer's %s", desc.Digest, imgs[winner].Digest)
	}
	repo, err := name.NewRepository(tgt.Repository)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := remote.List(repo)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{fmt.Sprintf("%07d", winner), "1.0.0"}; !reflect.DeepEqual(tags, want) {
		t.Errorf("tags %v, want only the version and the winner's commit %v", tags, want)
	}
	if immutable { // the registry itself refuses to move the tag
		_, err := Push(context.Background(), loadRandom(t), tgt, []Tag{{Name: "1.0.0"}}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "TAG_INVALID") {
			t.Errorf("moving an immutable registry's tag: %v", err)
		}
	}
}

// TestPushAliasesMoveForward releases 1.1.4, 1.2.0, then the backport
// 1.1.5 with semver aliases and latest=release: the backport moves 1.1
// only; 1 and latest stay on 1.2.0. A pre-release moves nothing; 1.2.1
// moves 1.2, 1 and latest; re-publishing 1.2.0 leaves them on 1.2.1.
func TestPushAliasesMoveForward(t *testing.T) {
	reg := ocitest.NewRegistry(t, "", "")
	tgt := Target{Repository: reg.Host + "/api"}
	ctx := context.Background()
	images := map[string]*Image{}
	release := func(version string) *Result {
		t.Helper()
		img := images[version]
		if img == nil {
			img = loadRandom(t)
			images[version] = img
		}
		tags, err := Tags(TagInput{Commit: "c" + strings.Repeat(strings.ReplaceAll(version, ".", ""), 3), Branch: "main", BaseBranch: "main",
			Version: version, SemverAliases: true, Latest: "release"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Push(ctx, img, tgt, tags, io.Discard)
		if err != nil {
			t.Fatalf("release %s: %v", version, err)
		}
		return res
	}
	at := func(version string, tags ...string) {
		t.Helper()
		reg.AssertTags(t, "api", images[version].Digest, tags...)
	}
	release("1.1.4")
	at("1.1.4", "1.1.4", "1.1", "1", "latest")
	release("1.2.0")
	at("1.2.0", "1.2.0", "1.2", "1", "latest")
	at("1.1.4", "1.1")
	res := release("1.1.5")
	at("1.1.5", "1.1.5", "1.1")
	at("1.2.0", "1.2", "1", "latest")
	if !reflect.DeepEqual(res.Kept, []string{"1", "latest"}) || strings.Join(res.Tags, " ") != "c115115 1.1.5 1.1" {
		t.Errorf("backport: kept %v, tags %v", res.Kept, res.Tags)
	}
	release("2.0.0-rc.1")
	at("1.2.0", "1", "latest")
	release("1.2.1")
	at("1.2.1", "1.2", "1", "latest")
	res = release("1.2.0") // a re-run of an older release
	at("1.2.1", "1.2", "1", "latest")
	if len(res.Changed) != 0 || !reflect.DeepEqual(res.Kept, []string{"1.2", "1", "latest"}) {
		t.Errorf("re-run of 1.2.0: changed %v, kept %v", res.Changed, res.Kept)
	}
	release("2.0.0")
	at("2.0.0", "2.0", "2", "latest")
	at("1.2.1", "1.2", "1")
}

func TestCovers(t *testing.T) {
	for _, tc := range []struct {
		alias, v string
		want     bool
	}{
		{"latest", "0.1.0", true}, {"latest", "2.0.0-rc.1", false}, {"1", "1.9.3", true}, {"1", "10.0.0", false},
		{"1.2", "1.2.7", true}, {"1.2", "1.20.0", false}, {"1.2", "2.2.0", false}, {"11", "1.1.0", false},
	} {
		v, err := semver.StrictNewVersion(tc.v)
		if err != nil {
			t.Fatal(err)
		}
		if got := Covers(tc.alias, v); got != tc.want {
			t.Errorf("Covers(%s, %s) = %t", tc.alias, tc.v, got)
		}
	}
}

// roundTripper is a function as an http.RoundTripper.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestPushAliasesConcurrentReleases: a backport 1.1.5 checks alias "1"
// (newest 1.1.4: it may move), then, just before it writes "1", the whole
// release of 1.2.0 runs and moves "1" to 1.2.0; the backport's write then
// takes "1" back to 1.1.5, and it gives it back to 1.2.0 when it sees the
// newer release.
func TestPushAliasesConcurrentReleases(t *testing.T) {
	reg := ocitest.NewRegistry(t, "", "")
	tgt := Target{Repository: reg.Host + "/api"}
	ctx := context.Background()
	release := func(tgt Target, img *Image, version string) *Result {
		t.Helper()
		tags, err := Tags(TagInput{Commit: "c" + strings.Repeat(strings.ReplaceAll(version, ".", ""), 3), Version: version, SemverAliases: true})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Push(ctx, img, tgt, tags, io.Discard)
		if err != nil {
			t.Fatalf("release %s: %v", version, err)
		}
		return res
	}
	v114, v115, v120 := loadRandom(t), loadRandom(t), loadRandom(t)
	release(tgt, v114, "1.1.4")

	var once sync.Once
	backport := tgt
	backport.Transport = roundTripper(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/manifests/1") {
			once.Do(func() { release(tgt, v120, "1.2.0") })
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	res := release(backport, v115, "1.1.5")
	reg.AssertTags(t, "api", v120.Digest, "1.2.0", "1.2", "1")
	reg.AssertTags(t, "api", v115.Digest, "1.1.5", "1.1")
	if !reflect.DeepEqual(res.Kept, []string{"1"}) || slices.Contains(res.Tags, "1") {
		t.Errorf("backport result: tags %v, kept %v", res.Tags, res.Kept)
	}
}
