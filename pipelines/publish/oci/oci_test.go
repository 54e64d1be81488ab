package oci

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/monopipe/monopipe/internal/ocitest"
)

func TestTags(t *testing.T) {
	const sha = "0123456789abcdef0123456789abcdef01234567"
	v142 := semver.MustParse("1.4.2")
	for _, tc := range []struct {
		name string
		in   TagInput
		want []Tag
		err  string
	}{
		{name: "base branch", in: TagInput{Commit: sha, Branch: "main", BaseBranch: "main"}, want: []Tag{{Name: "0123456"}}},
		{name: "suffix", in: TagInput{Commit: sha, Branch: "feature/x", BaseBranch: "main", Suffix: "-dev"}, want: []Tag{{Name: "0123456-dev"}, {Name: "feature-x-dev"}}},
		{name: "base branch latest", in: TagInput{Commit: sha, Branch: "main", BaseBranch: "main", Latest: "base"}, want: []Tag{{Name: "0123456"}, {Name: "latest"}}},
		{name: "feature branch", in: TagInput{Commit: sha, Branch: "Feature/JIRA-12_new..thing", BaseBranch: "main", Latest: "base"},
			want: []Tag{{Name: "0123456"}, {Name: "feature-jira-12_new..thing"}}},
		{name: "release with aliases", in: TagInput{Commit: sha, Branch: "main", BaseBranch: "main", Version: "v1.4.2", SemverAliases: true, Latest: "release"},
			want: []Tag{{Name: "0123456"}, {Name: "1.4.2", Immutable: true}, {Name: "1.4", Alias: v142}, {Name: "1", Alias: v142}, {Name: "latest", Alias: v142}}},
		{name: "prerelease never moves latest", in: TagInput{Commit: sha, Version: "2.0.0-rc.1", Latest: "release"},
			want: []Tag{{Name: "0123456"}, {Name: "2.0.0-rc.1", Immutable: true}}},
		{name: "prerelease has no aliases", in: TagInput{Commit: sha, Version: "2.0.0-rc.1", SemverAliases: true},
			want: []Tag{{Name: "0123456"}, {Name: "2.0.0-rc.1", Immutable: true}}},
		{name: "release latest=base", in: TagInput{Commit: sha, Branch: "main", BaseBranch: "main", Version: "1.0.0", Latest: "base"},
			want: []Tag{{Name: "0123456"}, {Name: "1.0.0", Immutable: true}}},
		{name: "bad version", in: TagInput{Commit: sha, Version: "1.2"}, err: `release version "1.2"`},
		{name: "short commit", in: TagInput{Commit: "abc"}, err: `commit id "abc" is too short`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Tags(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestSanitizeTag(t *testing.T) {
	for in, want := range map[string]string{
		"feature/x":              "feature-x",
		"-.Hotfix--1.":           "hotfix--1",
		"ünïcode branch":         "n-code-branch",
		strings.Repeat("a", 200): strings.Repeat("a", 128),
	} {
		if got := SanitizeTag(in); got != want {
			t.Errorf("SanitizeTag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoad(t *testing.T) {
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	dir := t.TempDir()
	layoutDir := ocitest.WriteLayout(t, filepath.Join(dir, "layout"), img)
	ociTar := filepath.Join(dir, "oci.tar")
	ocitest.TarDir(t, layoutDir, ociTar)
	dockerTar := filepath.Join(dir, "docker.tar")
	if err := tarball.WriteToFile(dockerTar, name.MustParseReference("x/y:z"), img); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{layoutDir, ociTar, dockerTar} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			got, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			got.Close()
			if got.Digest != want {
				t.Fatalf("digest %s, want %s", got.Digest, want)
			}
			if got.tmp != "" {
				if _, err := os.Stat(got.tmp); !os.IsNotExist(err) {
					t.Errorf("Close left %s behind", got.tmp)
				}
			}
		})
	}
	if _, err := Load(filepath.Join(dir, "missing.tar")); err == nil || !strings.Contains(err.Error(), "missing.tar") {
		t.Errorf("missing file: %v", err)
	}
}

func TestPush(t *testing.T) {
	reg := ocitest.NewRegistry(t, "", "")
	ctx := context.Background()
	v1img, v2img := loadRandom(t), loadRandom(t)
	tgt := Target{Repository: reg.Host + "/team/api"}
	release := func(img *Image, commit string) (*Result, error) {
		tags, err := Tags(TagInput{Commit: commit, Branch: "main", BaseBranch: "main", Version: "1.2.3", SemverAliases: true, Latest: "release"})
		if err != nil {
			t.Fatal(err)
		}
		return Push(ctx, img, tgt, tags, io.Discard)
	}

	// First publish: every tag set.
	res, err := release(v1img, "aaaaaaaaaa")
	if err != nil {
		t.Fatal(err)
	}
	wantTags := []string{"aaaaaaa", "1.2.3", "1.2", "1", "latest"}
	// The release version first, then the rest.
	if !reflect.DeepEqual(res.Changed, []string{"1.2.3", "aaaaaaa", "1.2", "1", "latest"}) || res.Ref != tgt.Repository+"@"+v1img.Digest.String() {
		t.Fatalf("first publish: %+v", res)
	}
	reg.AssertTags(t, "team/api", v1img.Digest, wantTags...)

	// Same content again: success, nothing written.
	puts := reg.Puts.Load()
	res, err = release(v1img, "aaaaaaaaaa")
	if err != nil || len(res.Changed) != 0 || !reflect.DeepEqual(res.Tags, wantTags) {
		t.Fatalf("re-publish same: %+v, %v", res, err)
	}
	if n := reg.Puts.Load(); n != puts {
		t.Errorf("re-publish of the same content made %d writes", n-puts)
	}

	// Different content, same version: refused before anything is written.
	_, err = release(v2img, "bbbbbbbbbb")
	if err == nil || !strings.Contains(err.Error(), "release tag "+tgt.Repository+":1.2.3 already points at "+v1img.Digest.String()) {
		t.Fatalf("re-publish different: %v", err)
	}
	if n := reg.Puts.Load(); n != puts {
		t.Errorf("refused publish made %d writes", n-puts)
	}
	reg.AssertTags(t, "team/api", v1img.Digest, wantTags...)

	// Moving tags (branch, sha) do move.
	tags, _ := Tags(TagInput{Commit: "cccccccccc", Branch: "feat/x", BaseBranch: "main"})
	tags = append(tags, Tag{Name: "aaaaaaa"})
	if res, err = Push(ctx, v2img, tgt, tags, io.Discard); err != nil {
		t.Fatal(err)
	}
	reg.AssertTags(t, "team/api", v2img.Digest, "ccccccc", "feat-x", "aaaaaaa")
}

func TestPushRegistryDownMidway(t *testing.T) {
	reg := ocitest.NewRegistry(t, "", "")
	img := loadRandom(t)
	tgt := Target{Repository: reg.Host + "/api", Backoff: remote.Backoff{Steps: 1}}
	tags := []Tag{{Name: "abcdef0"}, {Name: "1.0.0", Immutable: true}}

	// The registry goes down after the image's manifest is written by
	// digest, before the tags.
	reg.FailManifestPutsAfter.Store(1)
	_, err := Push(context.Background(), img, tgt, tags, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "tag "+tgt.Repository+":1.0.0") || !strings.Contains(err.Error(), "503") {
		t.Fatalf("want a clear error naming the tag and the 503, got %v", err)
	}
	reg.FailManifestPutsAfter.Store(-1)
	res, err := Push(context.Background(), img, tgt, tags, io.Discard)
	if err != nil {
		t.Fatalf("retry after the registry came back: %v", err)
	}
	if !reflect.DeepEqual(res.Changed, []string{"1.0.0", "abcdef0"}) {
		t.Errorf("retry changed %v", res.Changed)
	}
	reg.AssertTags(t, "api", img.Digest, "abcdef0", "1.0.0")
}

func TestPushWrongCredentials(t *testing.T) {
	const user, password = "ci", "s3cr3t-registry-passw0rd"
	reg := ocitest.NewRegistry(t, user, password)
	img := loadRandom(t)
	var logBuf bytes.Buffer
	for _, tc := range []struct {
		name, password string
		ok             bool
	}{{"wrong", "not-" + password, false}, {"right", password, true}} {
		t.Run(tc.name, func(t *testing.T) {
			tgt := Target{Repository: reg.Host + "/api", Auth: &authn.Basic{Username: user, Password: tc.password}}
			_, err := Push(context.Background(), img, tgt, []Tag{{Name: "abcdef0"}}, &logBuf)
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "401") && !strings.Contains(err.Error(), "UNAUTHORIZED") {
					t.Errorf("error does not say unauthorized: %v", err)
				}
				if strings.Contains(err.Error(), tc.password) {
					t.Errorf("error shows the password: %v", err)
				}
			}
		})
	}
	if strings.Contains(logBuf.String(), password) {
		t.Errorf("log shows the password: %s", logBuf.String())
	}
	reg.AssertTags(t, "api", img.Digest, "abcdef0")
}

func loadRandom(t *testing.T) *Image {
	t.Helper()
	loaded, err := Load(ocitest.RandomImage(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(loaded.Close)
	return loaded
}

// TestPushMultiPlatform pushes a layout that lists two images (a
// multi-platform export) as one index.
func TestPushMultiPlatform(t *testing.T) {
	var imgs []v1.Image
	for range 2 {
		img, err := random.Image(128, 1)
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	loaded, err := Load(ocitest.WriteLayout(t, filepath.Join(t.TempDir(), "layout"), imgs...))
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	reg := ocitest.NewRegistry(t, "", "")
	if _, err := Push(context.Background(), loaded, Target{Repository: reg.Host + "/multi"}, []Tag{{Name: "abcdef0"}}, io.Discard); err != nil {
		t.Fatal(err)
	}
	reg.AssertTags(t, "multi", loaded.Digest, "abcdef0")
	ref, err := name.ParseReference(reg.Host + "/multi:abcdef0")
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	if im, err := idx.IndexManifest(); err != nil || len(im.Manifests) != 2 {
		t.Fatalf("pushed index lists %v, %v", im, err)
	}
}
