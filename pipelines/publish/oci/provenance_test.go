package oci

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/monopipe/monopipe/internal/ocitest"
)

var testProvenance = Provenance{Source: "https://github.com/org/repo", Revision: "0123456789abcdef0123456789abcdef01234567",
	Created: time.Date(2026, 11, 27, 10, 30, 0, 0, time.FixedZone("CET", 3600))}

var wantAnnotations = map[string]string{
	AnnotationSource:   "https://github.com/org/repo",
	AnnotationRevision: "0123456789abcdef0123456789abcdef01234567",
	AnnotationCreated:  "2026-11-27T09:30:00Z",
}

func checkAnnotations(t *testing.T, what string, got map[string]string) {
	t.Helper()
	for k, v := range wantAnnotations {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got[k], v)
		}
	}
}

// TestAnnotate pushes an annotated image to the in-process registry and
// reads it back: the manifest carries the OCI source, revision and created
// annotations and the config the same labels; the same provenance gives
// the same digest (re-publishing writes nothing).
func TestAnnotate(t *testing.T) {
	reg := ocitest.NewRegistry(t, "", "")
	path := ocitest.RandomImage(t)
	img, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	plain := img.Digest
	if err := img.Annotate(testProvenance); err != nil {
		t.Fatal(err)
	}
	if img.Digest == plain {
		t.Fatal("annotating did not change the digest")
	}
	again, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if err := again.Annotate(testProvenance); err != nil || again.Digest != img.Digest {
		t.Fatalf("the same provenance gave %s (%v), then %s", img.Digest, err, again.Digest)
	}
	tgt := Target{Repository: reg.Host + "/api"}
	if _, err := Push(context.Background(), img, tgt, []Tag{{Name: "0123456"}}, io.Discard); err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(reg.Host + "/api:0123456")
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := pushed.Digest(); d != img.Digest {
		t.Fatalf("registry holds %s, want %s", d, img.Digest)
	}
	m, err := pushed.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	checkAnnotations(t, "manifest", m.Annotations)
	cf, err := pushed.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	checkAnnotations(t, "config labels", cf.Config.Labels)
	layers, _ := pushed.Layers()
	if len(layers) != 1 {
		t.Errorf("%d layers, want the image's 1", len(layers))
	}
	puts := reg.Puts.Load()
	if res, err := Push(context.Background(), again, tgt, []Tag{{Name: "0123456"}}, io.Discard); err != nil || len(res.Changed) != 0 || reg.Puts.Load() != puts {
		t.Errorf("re-publishing the same commit: %+v, %v, %d writes", res, err, reg.Puts.Load()-puts)
	}
}

// TestAnnotateIndex: a multi-platform export keeps its platforms; the
// index and each platform's manifest and config carry the provenance.
func TestAnnotateIndex(t *testing.T) {
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
	if err := loaded.Annotate(testProvenance); err != nil {
		t.Fatal(err)
	}
	reg := ocitest.NewRegistry(t, "", "")
	if _, err := Push(context.Background(), loaded, Target{Repository: reg.Host + "/multi"}, []Tag{{Name: "abcdef0"}}, io.Discard); err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(reg.Host + "/multi:abcdef0")
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 2 {
		t.Fatalf("pushed index lists %v, %v", im, err)
	}
	checkAnnotations(t, "index", im.Annotations)
	for _, desc := range im.Manifests {
		child, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := child.Manifest()
		checkAnnotations(t, "platform manifest", m.Annotations)
		cf, _ := child.ConfigFile()
		checkAnnotations(t, "platform config", cf.Config.Labels)
	}
}
