package oci

import (
	"fmt"
	"maps"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The OCI annotation keys of Provenance (the image-spec's pre-defined
// annotations).
const (
	AnnotationSource   = "org.opencontainers.image.source"
	AnnotationRevision = "org.opencontainers.image.revision"
	AnnotationCreated  = "org.opencontainers.image.created"
)

// Provenance says where an image comes from: the repository's URL, the
// commit it was built from, and when (the commit's time, so that the same
// commit always gives the same digest and re-publishing stays a no-op).
type Provenance struct {
	Source   string
	Revision string
	Created  time.Time
}

// annotations are p's set values under their OCI keys.
func (p Provenance) annotations() map[string]string {
	ann := map[string]string{}
	if p.Source != "" {
		ann[AnnotationSource] = p.Source
	}
	if p.Revision != "" {
		ann[AnnotationRevision] = p.Revision
	}
	if !p.Created.IsZero() {
		ann[AnnotationCreated] = p.Created.UTC().Format(time.RFC3339)
	}
	return ann
}

// Annotate records p on the image before it is pushed: as annotations of
// its manifest (and of each platform's manifest in an index, and of the
// index) and as labels of each image's config, where `docker inspect`
// shows them. The digest changes accordingly; nothing is set for an empty
// p.
func (img *Image) Annotate(p Provenance) error {
	ann := p.annotations()
	if len(ann) == 0 {
		return nil
	}
	var t remote.Taggable
	switch x := img.taggable.(type) {
	case v1.Image:
		labelled, err := annotateImage(x, ann)
		if err != nil {
			return fmt.Errorf("annotate image %s: %w", img.Path, err)
		}
		t = labelled
	case v1.ImageIndex:
		idx, err := annotateIndex(x, ann)
		if err != nil {
			return fmt.Errorf("annotate image %s: %w", img.Path, err)
		}
		t = idx
	default:
		return fmt.Errorf("annotate image %s: %T is neither an image nor an index", img.Path, img.taggable)
	}
	_, err := img.set(t)
	return err
}

// annotateImage sets ann as config labels and manifest annotations.
func annotateImage(img v1.Image, ann map[string]string) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg := cf.Config
	cfg.Labels = maps.Clone(cfg.Labels)
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	maps.Copy(cfg.Labels, ann)
	if img, err = mutate.Config(img, cfg); err != nil {
		return nil, err
	}
	return mutate.Annotations(img, ann).(v1.Image), nil
}

// annotateIndex annotates every image of an index, in order, keeping each
// descriptor's platform and annotations, then the index itself.
func annotateIndex(idx v1.ImageIndex, ann map[string]string) (v1.ImageIndex, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	out := mutate.RemoveManifests(idx, func(v1.Descriptor) bool { return true })
	for _, desc := range im.Manifests {
		var add mutate.Appendable
		switch {
		case desc.MediaType.IsImage():
			child, err := idx.Image(desc.Digest)
			if err != nil {
				return nil, err
			}
			if add, err = annotateImage(child, ann); err != nil {
				return nil, err
			}
		case desc.MediaType.IsIndex():
			child, err := idx.ImageIndex(desc.Digest)
			if err != nil {
				return nil, err
			}
			if add, err = annotateIndex(child, ann); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("index entry %s: media type %s", desc.Digest, desc.MediaType)
		}
		out = mutate.AppendManifests(out, mutate.IndexAddendum{Add: add,
			Descriptor: v1.Descriptor{Platform: desc.Platform, Annotations: desc.Annotations, MediaType: desc.MediaType}})
	}
	return mutate.Annotations(out, ann).(v1.ImageIndex), nil
}
