// Package oci pushes a built image, handed over as an OCI image tarball or
// layout on disk, to an OCI registry with go-containerregistry: by digest
// first, then each tag, never moving a release version tag.
package oci

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Image is a loaded image or multi-platform index, ready to push.
type Image struct {
	// Digest is the manifest digest the registry will report.
	Digest v1.Hash
	// Path is the file or folder it was read from.
	Path string

	taggable remote.Taggable
	tmp      string
}

// Load reads an image from an OCI layout folder, an OCI layout tarball
// (what Dagger's Container.Export and AsTarball write) or a docker save
// tarball. Close the image when done.
func Load(path string) (*Image, error) {
	img := &Image{Path: path}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load image: %w", err)
	}
	dir := path
	if !st.IsDir() {
		hasIndex, err := tarHas(path, "index.json")
		if err != nil {
			return nil, fmt.Errorf("load image %s: %w", path, err)
		}
		if !hasIndex {
			t, err := tarball.ImageFromPath(path, nil)
			if err != nil {
				return nil, fmt.Errorf("load image %s: %w", path, err)
			}
			return img.set(t)
		}
		if img.tmp, err = os.MkdirTemp("", "monopipe-oci-"); err != nil {
			return nil, fmt.Errorf("load image %s: %w", path, err)
		}
		if err := untar(path, img.tmp); err != nil {
			img.Close()
			return nil, fmt.Errorf("load image %s: %w", path, err)
		}
		dir = img.tmp
	}
	t, err := fromLayout(dir)
	if err != nil {
		img.Close()
		return nil, fmt.Errorf("load image %s: %w", path, err)
	}
	return img.set(t)
}

func (img *Image) set(t remote.Taggable) (*Image, error) {
	d, ok := t.(interface{ Digest() (v1.Hash, error) })
	if !ok {
		return nil, fmt.Errorf("load image %s: no digest", img.Path)
	}
	h, err := d.Digest()
	if err != nil {
		img.Close()
		return nil, fmt.Errorf("load image %s: digest: %w", img.Path, err)
	}
	img.taggable, img.Digest = t, h
	return img, nil
}

// Close removes the temporary copy of an unpacked tarball.
func (img *Image) Close() {
	if img.tmp != "" {
		os.RemoveAll(img.tmp)
	}
}

// fromLayout picks what to push from an OCI layout: its single image or
// index, or the layout's own index when it lists several manifests.
func fromLayout(dir string) (remote.Taggable, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	switch {
	case len(im.Manifests) == 0:
		return nil, errors.New("the OCI layout lists no manifest")
	case len(im.Manifests) > 1:
		return idx, nil
	case im.Manifests[0].MediaType.IsIndex():
		return idx.ImageIndex(im.Manifests[0].Digest)
	default:
		return idx.Image(im.Manifests[0].Digest)
	}
}

func tarHas(path, name string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if strings.TrimPrefix(h.Name, "./") == name {
			return true, nil
		}
	}
}

// untar extracts regular files and folders, refusing paths that leave dst.
func untar(path, dst string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if !filepath.IsLocal(h.Name) {
			return fmt.Errorf("tar entry %q leaves the layout", h.Name)
		}
		target := filepath.Join(dst, h.Name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := writeFile(target, tr); err != nil {
				return err
			}
		}
	}
}

func writeFile(path string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
