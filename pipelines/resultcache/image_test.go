package resultcache

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/monopipe/monopipe/internal/ocitest"
)

func TestHas(t *testing.T) {
	ctx := context.Background()
	reg := ocitest.NewRegistry(t, "", "")
	c, _ := open(t, reg.Host, ReadWrite)
	ok, failed, other := digestOf("ok"), digestOf("failed"), digestOf("other")
	for _, r := range []Result{result("api", ok, StatusSuccess, "1"), result("api", failed, StatusFailure, "2"), result("web", other, StatusSuccess, "3")} {
		if _, _, err := c.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		component, digest string
		want              bool
	}{{"api", ok, true}, {"api", failed, false}, {"api", digestOf("never"), false}, {"api", other, false}, {"web", other, true}} {
		got, err := c.Has(ctx, tt.component, tt.digest)
		if err != nil || got != tt.want {
			t.Errorf("Has(%s, %s) = %v, %v; want %v", tt.component, tt.digest, got, err, tt.want)
		}
	}
	down, _ := open(t, "127.0.0.1:1", ReadOnly)
	if _, err := down.Has(ctx, "api", ok); err == nil {
		t.Error("Has on a registry that does not answer: no error")
	}
}

func TestSaveImage(t *testing.T) {
	ctx := context.Background()
	reg := ocitest.NewRegistry(t, "", "")
	c, _ := open(t, reg.Host, ReadWrite)
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	tag, err := ImageTag(digestOf("api"))
	if err != nil || !strings.HasSuffix(tag, ".image") {
		t.Fatalf("ImageTag = %q, %v", tag, err)
	}
	if err := remote.Write(mustRef(t, reg.Host+"/org/cache:"+tag), img); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "layout")
	if err := c.SaveImage(ctx, reg.Host+"/org/cache@"+d.String(), dir); err != nil {
		t.Fatal(err)
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil || len(m.Manifests) != 1 || m.Manifests[0].Digest != d {
		t.Fatalf("layout index = %+v, %v; want the image %s", m, err, d)
	}
	// A record naming another repository is refused: a reader only reads
	// from the cache.
	if err := remote.Write(mustRef(t, reg.Host+"/elsewhere/img:x"), img); err != nil {
		t.Fatal(err)
	}
	if err := c.SaveImage(ctx, reg.Host+"/elsewhere/img@"+d.String(), filepath.Join(t.TempDir(), "x")); err == nil || !strings.Contains(err.Error(), "not in the cache's repository") {
		t.Errorf("an image outside the cache: %v", err)
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
