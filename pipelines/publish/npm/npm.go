// Package npm publishes an npm tarball (npm pack output) to an npm registry
// with the registry's publish protocol: PUT /<name> with the package
// document and the tarball as a base64 attachment. A version that is
// already published with the same tarball is left alone; one with another
// tarball is an error (npm versions are immutable).
package npm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/monopipe/monopipe/pipelines/publish/httpdo"
)

// Package is a read npm tarball.
type Package struct {
	Name, Version string
	// Manifest is package/package.json.
	Manifest map[string]any
	Tarball  []byte
	// Integrity (sha512-<base64>) and Shasum (sha1 hex) identify the
	// tarball, as npm records them in dist.
	Integrity, Shasum string
}

// ReadPackage reads an npm tarball and its package/package.json.
func ReadPackage(file string) (*Package, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read npm package: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("read npm package %s: %w", file, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("read npm package %s: no package/package.json", file)
		}
		if err != nil {
			return nil, fmt.Errorf("read npm package %s: %w", file, err)
		}
		if h.Name != "package/package.json" {
			continue
		}
		p := &Package{Tarball: data}
		if err := json.NewDecoder(tr).Decode(&p.Manifest); err != nil {
			return nil, fmt.Errorf("read npm package %s: package.json: %w", file, err)
		}
		p.Name, _ = p.Manifest["name"].(string)
		p.Version, _ = p.Manifest["version"].(string)
		if p.Name == "" || p.Version == "" {
			return nil, fmt.Errorf("read npm package %s: package.json needs a name and a version", file)
		}
		s512, s1 := sha512.Sum512(data), sha1.Sum(data)
		p.Integrity = "sha512-" + base64.StdEncoding.EncodeToString(s512[:])
		p.Shasum = hex.EncodeToString(s1[:])
		return p, nil
	}
}

// Registry is where to publish.
type Registry struct {
	// URL is the registry root, e.g. https://registry.npmjs.org/.
	URL string
	// Token is the auth token sent as a Bearer token.
	Token string
	// Client is the HTTP client (nil: httpdo.Client, with timeouts).
	Client *http.Client
	// Retry bounds the retries (zero: httpdo's defaults).
	Retry httpdo.Retry
}

// Result is what a publish did.
type Result struct {
	// ID is name@version.
	ID string
	// Changed is false when the version was already published with this
	// tarball.
	Changed bool
	// Tag is the dist-tag set ("" when nothing was published).
	Tag string
}

// Publish publishes pkg under the dist-tag tag (default "latest"). A
// dist-tag moves only forward: when it points at a newer version than
// pkg's (a backport 1.1.5 after 1.2.0), it stays, and pkg gets the
// dist-tag <tag>-<major>.<minor> (latest-1.1) instead.
func Publish(ctx context.Context, reg Registry, pkg *Package, tag string, log io.Writer) (*Result, error) {
	if tag == "" {
		tag = "latest"
	}
	id := pkg.Name + "@" + pkg.Version
	res := &Result{ID: id}
	docURL := strings.TrimSuffix(reg.URL, "/") + "/" + escapeName(pkg.Name)
	doc, err := reg.published(ctx, docURL)
	if err != nil {
		return nil, fmt.Errorf("npm publish %s to %s: %w", id, reg.URL, err)
	}
	if v, ok := doc.Versions[pkg.Version]; ok {
		dist := v.Dist
		if dist.Integrity == pkg.Integrity || (dist.Integrity == "" && dist.Shasum == pkg.Shasum) {
			fmt.Fprintf(log, "npm: %s is already published with this tarball\n", id)
			return res, nil
		}
		return nil, fmt.Errorf("npm publish %s to %s: this version is already published with another tarball (integrity %s, not %s); npm versions are immutable: bump the version", id, reg.URL, dist.Integrity, pkg.Integrity)
	}
	if line, newer := forwardTag(tag, pkg.Version, doc.DistTags); line != tag {
		fmt.Fprintf(log, "npm: dist-tag %s stays on %s (newer than %s); %s gets dist-tag %s\n", tag, newer, pkg.Version, id, line)
		tag = line
	}
	body, err := json.Marshal(pkg.document(reg.URL, tag))
	if err != nil {
		return nil, fmt.Errorf("npm publish %s: %w", id, err)
	}
	req, err := reg.request(ctx, http.MethodPut, docURL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("npm publish %s: %w", id, err)
	}
	// npm's publish is not idempotent (a second one is refused), so it is
	// sent again only when the package document shows that the failed
	// attempt did not publish the version.
	resp, err := reg.Retry.Do(reg.Client, req, func(ctx context.Context) (bool, error) {
		doc, err := reg.published(ctx, docURL)
		if err != nil {
			return false, err
		}
		v, ok := doc.Versions[pkg.Version]
		switch {
		case !ok:
			return true, nil
		case v.Dist.Integrity == pkg.Integrity || (v.Dist.Integrity == "" && v.Dist.Shasum == pkg.Shasum):
			return false, httpdo.ErrTookEffect
		}
		return false, fmt.Errorf("another tarball was published as this version meanwhile (integrity %s)", v.Dist.Integrity)
	})
	if errors.Is(err, httpdo.ErrTookEffect) {
		res.Changed, res.Tag = true, tag
		fmt.Fprintf(log, "npm: published %s to %s (dist-tag %s; the answer was lost, the registry shows it)\n", id, reg.URL, tag)
		return res, nil
	}
	if err != nil {
		return nil, fmt.Errorf("npm publish %s to %s: %w", id, reg.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("npm publish %s to %s: %s", id, reg.URL, httpdo.Describe(resp))
	}
	res.Changed, res.Tag = true, tag
	fmt.Fprintf(log, "npm: published %s to %s (dist-tag %s)\n", id, reg.URL, tag)
	return res, nil
}

// forwardTag is the dist-tag to publish version under: tag, unless tag
// points at a newer version now; then <tag>-<major>.<minor>, and the newer
// version. Versions that are not semver leave tag alone.
func forwardTag(tag, version string, current map[string]string) (string, string) {
	v, err := semver.NewVersion(version)
	if err != nil {
		return tag, ""
	}
	cur, err := semver.NewVersion(current[tag])
	if err != nil || !cur.GreaterThan(v) {
		return tag, ""
	}
	return fmt.Sprintf("%s-%d.%d", tag, v.Major(), v.Minor()), current[tag]
}

// Dist is the part of a published version that identifies its tarball.
type Dist struct {
	Integrity string `json:"integrity"`
	Shasum    string `json:"shasum"`
	Tarball   string `json:"tarball"`
}

// packageDoc is the part of the registry's package document publish reads.
type packageDoc struct {
	DistTags map[string]string `json:"dist-tags"`
	Versions map[string]struct {
		Dist Dist `json:"dist"`
	} `json:"versions"`
}

// published reads the package document; empty when the package does not
// exist yet.
func (reg Registry) published(ctx context.Context, docURL string) (*packageDoc, error) {
	doc := &packageDoc{}
	req, err := reg.request(ctx, http.MethodGet, docURL, nil)
	if err != nil {
		return nil, err
	}
	body, found, err := reg.Retry.Fetch(reg.Client, req)
	if err != nil {
		return nil, fmt.Errorf("read the published versions: %w", err)
	}
	if !found {
		return doc, nil
	}
	if err := json.Unmarshal(body, doc); err != nil {
		return nil, fmt.Errorf("read the published versions: %w", err)
	}
	return doc, nil
}

// publishedDist returns the dist of an already published version, nil
// when the package or version does not exist.
func (reg Registry) publishedDist(ctx context.Context, docURL, version string) (*Dist, error) {
	doc, err := reg.published(ctx, docURL)
	if err != nil {
		return nil, err
	}
	v, ok := doc.Versions[version]
	if !ok {
		return nil, nil
	}
	return &v.Dist, nil
}

// document is the body npm publish sends.
func (pkg *Package) document(registry, tag string) map[string]any {
	file := path.Base(pkg.Name) + "-" + pkg.Version + ".tgz"
	version := map[string]any{}
	for k, v := range pkg.Manifest {
		version[k] = v
	}
	version["_id"] = pkg.Name + "@" + pkg.Version
	version["dist"] = Dist{
		Integrity: pkg.Integrity, Shasum: pkg.Shasum,
		Tarball: strings.TrimSuffix(registry, "/") + "/" + pkg.Name + "/-/" + file,
	}
	doc := map[string]any{
		"_id":       pkg.Name,
		"name":      pkg.Name,
		"dist-tags": map[string]string{tag: pkg.Version},
		"versions":  map[string]any{pkg.Version: version},
		"access":    nil,
		"_attachments": map[string]any{file: map[string]any{
			"content_type": "application/octet-stream",
			"data":         base64.StdEncoding.EncodeToString(pkg.Tarball),
			"length":       len(pkg.Tarball),
		}},
	}
	if d, ok := pkg.Manifest["description"]; ok {
		doc["description"] = d
	}
	return doc
}

// request builds a request with the registry's token.
func (reg Registry) request(ctx context.Context, method, u string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if reg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+reg.Token)
	}
	return req, nil
}

// escapeName encodes a scoped name's slash, as npm does: @scope%2fname.
func escapeName(name string) string {
	return strings.Replace(url.PathEscape(name), "%2F", "%2f", 1)
}
