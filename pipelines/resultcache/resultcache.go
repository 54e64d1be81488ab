// Package resultcache keeps components' build results in an OCI registry,
// keyed by their input digest (pipelines/digest), so that a result made
// once is read by every later run on any host (a cold CI runner, a
// laptop) instead of being built again.
//
// An entry is an OCI artifact: an image manifest whose config is the
// Record (component, digest, status, when, where) with the media type
// ArtifactType, and whose layers are the component's outputs (a tar), its
// JUnit results and its log. A success is tagged with its digest
// (sha256-<hex>) and is immutable: it is written once, never replaced,
// and a read checks the entry against the digest asked for. A failure is
// kept under its own tag (<tag>.failed), so it is never read as a hit.
// Anything unexpected under a tag (another tool's artifact, a corrupt or
// truncated entry, another component's result) is a miss with a warning.
package resultcache

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media types of an entry.
const (
	// ArtifactType is the config's media type, and the manifest's
	// artifactType.
	ArtifactType = "application/vnd.monopipe.result.v1+json"
	// OutputsType is the layer of the component's output files, a tar.
	OutputsType = "application/vnd.monopipe.outputs.v1.tar"
	// JUnitType is the layer of the component's JUnit XML.
	JUnitType = "application/vnd.monopipe.junit.v1+xml"
	// LogType is the layer of the component's log.
	LogType = "text/plain; charset=utf-8"
)

// Status values of a Record.
const (
	StatusSuccess = "success"
	StatusFailure = "failure"
)

// Record says what an entry is the result of.
type Record struct {
	Component string `json:"component"`
	// Digest is the component's input digest, sha256:<hex>.
	Digest string `json:"digest"`
	// Status is StatusSuccess or StatusFailure.
	Status string `json:"status"`
	// Created is when the result was made.
	Created time.Time `json:"created"`
	// Commit is the commit it was made from, when known.
	Commit string `json:"commit,omitempty"`
	// Run is the address of the run that made it (a CI run's page).
	Run string `json:"run,omitempty"`
	// Image is the component's image, by digest, when it made one.
	Image string `json:"image,omitempty"`
}

// Result is a component's result to store.
type Result struct {
	Record Record
	// Outputs are the component's output files by slash-separated path.
	Outputs map[string][]byte
	JUnit   []byte
	Log     []byte
}

// Mode says what a Cache may do.
type Mode int

const (
	// ReadWrite reads and writes: trusted runs (the base branch and
	// release tags in CI, a laptop when asked).
	ReadWrite Mode = iota
	// ReadOnly only reads: pull requests, forks, everything else.
	ReadOnly
)

// Cache is a result cache in one repository of a registry.
type Cache struct {
	repo name.Repository
	mode Mode
	opts []remote.Option
	// Warn receives what made an entry a miss (default: dropped).
	Warn func(string)
}

// New opens the cache in repository (e.g. ghcr.io/org/repo-cache), with
// options for the registry (remote.WithAuth, remote.WithTransport).
func New(repository string, mode Mode, opts ...remote.Option) (*Cache, error) {
	repo, err := name.NewRepository(repository)
	if err != nil {
		return nil, fmt.Errorf("cache registry %q: %w", repository, err)
	}
	return &Cache{repo: repo, mode: mode, opts: opts, Warn: func(string) {}}, nil
}

// Repository is where the cache is, e.g. ghcr.io/org/repo-cache.
func (c *Cache) Repository() string { return c.repo.String() }

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Tag is the tag of a digest's successful result.
func Tag(digest string) (string, error) {
	if !digestRE.MatchString(digest) {
		return "", fmt.Errorf("input digest %q: want sha256:<64 hex digits>", digest)
	}
	return strings.Replace(digest, ":", "-", 1), nil
}

// failedSuffix marks a failure's tag.
const failedSuffix = ".failed"

// Hit is a successful result read from the cache.
type Hit struct {
	Record Record
	// Ref is where it was read, repository@sha256:….
	Ref     string
	Outputs map[string][]byte
	JUnit   []byte
	Log     []byte
}

// Get reads the successful result of component at digest; nil, nil for a
// miss (no entry, or one that is not what it should be: see Warn). An
// error is for a registry that cannot be asked (the caller builds, and
// says the cache was not read).
func (c *Cache) Get(ctx context.Context, component, digest string) (*Hit, error) {
	tag, err := Tag(digest)
	if err != nil {
		return nil, err
	}
	ref := c.repo.Tag(tag)
	desc, err := remote.Get(ref, c.options(ctx)...)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	hit, why := c.read(ctx, desc, component, digest)
	if why != "" {
		c.Warn(fmt.Sprintf("cache entry %s ignored: %s", ref, why))
		return nil, nil
	}
	return hit, nil
}

// Has reports whether component has a successful result at digest, from
// the entry's manifest and record alone (its layers are read by Get, which
// still treats a corrupt one as a miss). It is what a plan asks of every
// component to heal a branch (see plan.Results); an error is for a
// registry that cannot be asked.
func (c *Cache) Has(ctx context.Context, component, digest string) (bool, error) {
	tag, err := Tag(digest)
	if err != nil {
		return false, err
	}
	ref := c.repo.Tag(tag)
	desc, err := remote.Get(ref, c.options(ctx)...)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", ref, err)
	}
	_, _, why := c.record(ctx, desc, component, digest)
	return why == "", nil
}

// record checks an entry's manifest and record; why says why it is not a
// success of component at digest.
func (c *Cache) record(ctx context.Context, desc *remote.Descriptor, component, digest string) (m *v1.Manifest, hit *Hit, why string) {
	m = &v1.Manifest{}
	if err := json.Unmarshal(desc.Manifest, m); err != nil {
		return nil, nil, fmt.Sprintf("manifest: %v", err)
	}
	if m.Config.MediaType != ArtifactType {
		return nil, nil, fmt.Sprintf("not a monopipe result (config %s)", m.Config.MediaType)
	}
	cfg, err := c.blob(ctx, m.Config)
	if err != nil {
		return nil, nil, fmt.Sprintf("record: %v", err)
	}
	hit = &Hit{Ref: c.repo.Digest(desc.Digest.String()).String()}
	if err := json.Unmarshal(cfg, &hit.Record); err != nil {
		return nil, nil, fmt.Sprintf("record: %v", err)
	}
	r := hit.Record
	switch {
	case r.Digest != digest:
		return nil, nil, fmt.Sprintf("it records digest %s", r.Digest)
	case r.Component != component:
		return nil, nil, fmt.Sprintf("it is component %q's", r.Component)
	case r.Status != StatusSuccess:
		return nil, nil, fmt.Sprintf("status %q", r.Status)
	}
	return m, hit, ""
}

// read checks and reads an entry; why says why it is not one.
func (c *Cache) read(ctx context.Context, desc *remote.Descriptor, component, digest string) (hit *Hit, why string) {
	m, hit, why := c.record(ctx, desc, component, digest)
	if why != "" {
		return nil, why
	}
	for _, l := range m.Layers {
		data, err := c.blob(ctx, l)
		if err != nil {
			return nil, fmt.Sprintf("layer %s: %v", l.Digest, err)
		}
		switch l.MediaType {
		case OutputsType:
			if hit.Outputs, err = untar(data); err != nil {
				return nil, fmt.Sprintf("outputs: %v", err)
			}
		case JUnitType:
			hit.JUnit = data
		case LogType:
			hit.Log = data
		default:
			return nil, fmt.Sprintf("unknown layer type %s", l.MediaType)
		}
	}
	return hit, ""
}

// maxBlob bounds what one read takes into memory.
const maxBlob = 1 << 30

// blob reads a blob, checking its size and digest.
func (c *Cache) blob(ctx context.Context, d v1.Descriptor) ([]byte, error) {
	if d.Size < 0 || d.Size > maxBlob {
		return nil, fmt.Errorf("size %d", d.Size)
	}
	l, err := remote.Layer(c.repo.Digest(d.Digest.String()), c.options(ctx)...)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed() // verifies the digest as it reads
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, d.Size+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) != d.Size {
		return nil, fmt.Errorf("%d bytes, the manifest says %d", len(data), d.Size)
	}
	return data, nil
}

// Put stores a result: a success under its digest's tag unless one is
// there already (entries are immutable; a result of the same inputs
// someone else stored first is kept), a failure under the failure tag.
// It returns the entry's reference, and does nothing in ReadOnly mode
// (stored false).
func (c *Cache) Put(ctx context.Context, res Result) (ref string, stored bool, err error) {
	if c.mode != ReadWrite {
		return "", false, nil
	}
	r := res.Record
	tag, err := Tag(r.Digest)
	if err != nil {
		return "", false, err
	}
	switch r.Status {
	case StatusSuccess:
	case StatusFailure:
		tag += failedSuffix
	default:
		return "", false, fmt.Errorf("result of %s: status %q", r.Component, r.Status)
	}
	tagRef := c.repo.Tag(tag)
	if r.Status == StatusSuccess {
		if d, err := remote.Head(tagRef, c.options(ctx)...); err == nil {
			return c.repo.Digest(d.Digest.String()).String(), false, nil
		} else if !isNotFound(err) {
			return "", false, fmt.Errorf("read %s: %w", tagRef, err)
		}
	}
	m, err := c.writeBlobs(ctx, res)
	if err != nil {
		return "", false, err
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return "", false, err
	}
	if err := remote.Put(tagRef, rawManifest(raw), c.options(ctx)...); err != nil {
		return "", false, fmt.Errorf("write %s: %w", tagRef, err)
	}
	ours, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return "", false, err
	}
	// Another writer may have tagged its own result of the same inputs
	// meanwhile: either is right, and the tag says which stays.
	d, err := remote.Head(tagRef, c.options(ctx)...)
	if err != nil {
		return "", false, fmt.Errorf("read back %s: %w", tagRef, err)
	}
	return c.repo.Digest(d.Digest.String()).String(), d.Digest == ours, nil
}

// writeBlobs uploads the record and layers and returns the manifest.
func (c *Cache) writeBlobs(ctx context.Context, res Result) (*v1.Manifest, error) {
	cfg, err := json.Marshal(res.Record)
	if err != nil {
		return nil, err
	}
	outputs, err := tarFiles(res.Outputs)
	if err != nil {
		return nil, fmt.Errorf("outputs of %s: %w", res.Record.Component, err)
	}
	blobs := []struct {
		data []byte
		mt   types.MediaType
	}{{cfg, ArtifactType}, {outputs, OutputsType}, {res.JUnit, JUnitType}, {res.Log, LogType}}
	m := &v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, ArtifactType: ArtifactType,
		Annotations: map[string]string{"org.opencontainers.image.created": res.Record.Created.UTC().Format(time.RFC3339)}}
	for i, b := range blobs {
		l := static.NewLayer(b.data, b.mt)
		if err := remote.WriteLayer(c.repo, l, c.options(ctx)...); err != nil {
			return nil, fmt.Errorf("write %s of %s: %w", b.mt, res.Record.Component, err)
		}
		d, err := l.Digest()
		if err != nil {
			return nil, err
		}
		desc := v1.Descriptor{MediaType: b.mt, Size: int64(len(b.data)), Digest: d}
		if i == 0 {
			m.Config = desc
		} else {
			m.Layers = append(m.Layers, desc)
		}
	}
	return m, nil
}

// ImageTag is the tag under which a success's image is kept in the
// cache's repository (see Record.Image): <tag>.image.
func ImageTag(digest string) (string, error) {
	tag, err := Tag(digest)
	return tag + imageSuffix, err
}

const imageSuffix = ".image"

// SaveImage copies an entry's image (Record.Image, repository@sha256:…)
// into an OCI layout folder at dir, for publish to push on. It reads only
// from the cache's own repository, by digest (what is read is checked
// against it): a record naming another place is refused.
func (c *Cache) SaveImage(ctx context.Context, ref, dir string) error {
	d, err := name.NewDigest(ref)
	if err != nil {
		return fmt.Errorf("cached image %q: %w", ref, err)
	}
	if d.Context().String() != c.repo.String() {
		return fmt.Errorf("cached image %s: not in the cache's repository %s", ref, c.repo)
	}
	desc, err := remote.Get(d, c.options(ctx)...)
	if err != nil {
		return fmt.Errorf("read cached image %s: %w", ref, err)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("cached image %s: %w", ref, err)
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err == nil {
			err = p.AppendIndex(idx)
		}
		if err != nil {
			return fmt.Errorf("copy cached image %s: %w", ref, err)
		}
		return nil
	}
	img, err := desc.Image()
	if err == nil {
		err = p.AppendImage(img)
	}
	if err != nil {
		return fmt.Errorf("copy cached image %s: %w", ref, err)
	}
	return nil
}

func (c *Cache) options(ctx context.Context) []remote.Option {
	return append([]remote.Option{remote.WithContext(ctx)}, c.opts...)
}

// rawManifest is an OCI manifest to put as it is.
type rawManifest []byte

func (r rawManifest) RawManifest() ([]byte, error)        { return r, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

func isNotFound(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound
}

// tarFiles writes files (sorted by path, fixed times and modes, so that
// the same files give the same bytes).
func tarFiles(files map[string][]byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if !fs.ValidPath(n) || n == "." {
			return nil, fmt.Errorf("output %q: not a relative path", n)
		}
		h := &tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// untar reads what tarFiles wrote: regular files with relative paths only.
func untar(data []byte) (map[string][]byte, error) {
	out := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg || !fs.ValidPath(h.Name) || h.Name == "." {
			return nil, fmt.Errorf("entry %q: only regular files with relative paths", h.Name)
		}
		if out[h.Name], err = io.ReadAll(tr); err != nil {
			return nil, err
		}
	}
}
