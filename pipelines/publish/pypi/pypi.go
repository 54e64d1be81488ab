// Package pypi uploads wheels and sdists to a PyPI-compatible index with
// the legacy upload API that twine uses (multipart POST, :action
// file_upload, basic auth). When the index's simple API (PEP 503) is known,
// a file already there with the same sha256 is left alone and one with
// another sha256 is an error; without it, the index's "already exists"
// answer is reported.
package pypi

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/textproto"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/crypto/blake2b"

	"github.com/monopipe/monopipe/pipelines/publish/httpdo"
)

// Dist is a wheel or sdist read from disk.
type Dist struct {
	// File is the file name, e.g. api-1.0.0-py3-none-any.whl.
	File          string
	Name, Version string
	// FileType is bdist_wheel or sdist; PyVersion is the wheel's python
	// tag, or "source".
	FileType, PyVersion string
	// Metadata is the core metadata (METADATA or PKG-INFO headers).
	Metadata textproto.MIMEHeader
	Data     []byte
	SHA256   string
}

// ReadDist reads a .whl or .tar.gz and its core metadata.
func ReadDist(file string) (*Dist, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read Python dist: %w", err)
	}
	d := &Dist{File: filepath.Base(file), Data: data}
	var meta []byte
	switch {
	case strings.HasSuffix(d.File, ".whl"):
		parts := strings.Split(strings.TrimSuffix(d.File, ".whl"), "-")
		if len(parts) < 5 {
			return nil, fmt.Errorf("read Python dist %s: not a wheel name (name-version-python-abi-platform.whl)", file)
		}
		d.FileType, d.PyVersion = "bdist_wheel", parts[len(parts)-3]
		meta, err = wheelMetadata(data)
	case strings.HasSuffix(d.File, ".tar.gz"):
		d.FileType, d.PyVersion = "sdist", "source"
		meta, err = sdistMetadata(data)
	default:
		return nil, fmt.Errorf("read Python dist %s: not a .whl or .tar.gz", file)
	}
	if err != nil {
		return nil, fmt.Errorf("read Python dist %s: %w", file, err)
	}
	d.Metadata, err = textproto.NewReader(bufio.NewReader(bytes.NewReader(meta))).ReadMIMEHeader()
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read Python dist %s: metadata: %w", file, err)
	}
	d.Name, d.Version = d.Metadata.Get("Name"), d.Metadata.Get("Version")
	if d.Name == "" || d.Version == "" {
		return nil, fmt.Errorf("read Python dist %s: metadata has no Name or Version", file)
	}
	sum := sha256.Sum256(data)
	d.SHA256 = hex.EncodeToString(sum[:])
	return d, nil
}

func wheelMetadata(data []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".dist-info/METADATA") && strings.Count(f.Name, "/") == 1 {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			return io.ReadAll(rc)
		}
	}
	return nil, fmt.Errorf("no .dist-info/METADATA")
}

func sdistMetadata(data []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("no PKG-INFO")
		}
		if err != nil {
			return nil, err
		}
		if path.Base(h.Name) == "PKG-INFO" && strings.Count(strings.Trim(h.Name, "/"), "/") == 1 {
			return io.ReadAll(tr)
		}
	}
}

// Index is where to upload.
type Index struct {
	// UploadURL is the upload endpoint, e.g. https://upload.pypi.org/legacy/.
	UploadURL string
	// SimpleURL is the simple API root, e.g. https://pypi.org/simple/; ""
	// skips the check for an existing file.
	SimpleURL string
	// Username and Password log in ("__token__" and an API token on PyPI).
	Username, Password string
	// Client is the HTTP client (nil: httpdo.Client, with timeouts).
	Client *http.Client
	// Retry bounds the retries (zero: httpdo's defaults).
	Retry httpdo.Retry
}

// Result is what an upload did.
type Result struct {
	File string
	// Changed is false when the index already had this file.
	Changed bool
}

// Upload uploads d unless the index already has it.
func Upload(ctx context.Context, idx Index, d *Dist, log io.Writer) (*Result, error) {
	res := &Result{File: d.File}
	if idx.SimpleURL != "" {
		sha, found, err := idx.published(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("pypi upload %s: check %s: %w", d.File, idx.SimpleURL, err)
		}
		switch {
		case found && sha == "":
			return nil, fmt.Errorf("pypi upload %s: the index has this file but shows no sha256 to compare", d.File)
		case found && sha == d.SHA256:
			fmt.Fprintf(log, "pypi: %s is already on the index with this content\n", d.File)
			return res, nil
		case found:
			return nil, fmt.Errorf("pypi upload %s: the index has this file with other content (sha256 %s, not %s); released files are immutable: bump the version", d.File, sha, d.SHA256)
		}
	}
	body, contentType, err := d.form()
	if err != nil {
		return nil, fmt.Errorf("pypi upload %s: %w", d.File, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, idx.UploadURL, body)
	if err != nil {
		return nil, fmt.Errorf("pypi upload %s: %w", d.File, err)
	}
	req.Header.Set("Content-Type", contentType)
	req.SetBasicAuth(idx.Username, idx.Password)
	resp, err := idx.Retry.Do(idx.Client, req, idx.resend(d))
	if errors.Is(err, httpdo.ErrTookEffect) {
		res.Changed = true
		fmt.Fprintf(log, "pypi: uploaded %s to %s (the answer was lost, the index shows it)\n", d.File, idx.UploadURL)
		return res, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pypi upload %s to %s: %w", d.File, idx.UploadURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg := httpdo.Describe(resp)
		if (resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusConflict) && strings.Contains(strings.ToLower(msg), "exist") {
			msg += " (set publish.pypi.simpleUrl so that monopipe can tell whether it is the same file)"
		}
		return nil, fmt.Errorf("pypi upload %s to %s: %s", d.File, idx.UploadURL, msg)
	}
	res.Changed = true
	fmt.Fprintf(log, "pypi: uploaded %s to %s\n", d.File, idx.UploadURL)
	return res, nil
}

// resend decides whether a failed upload POST is sent again. The legacy
// upload API is a POST that creates a file, so it is not idempotent by
// itself: it is resent only when the simple index (SimpleURL) shows that
// the failed attempt did not store the file, and never without a
// SimpleURL. A resend that races a slow first attempt cannot store the
// file twice: indexes refuse a file name they hold ("File already
// exists"), and the next run compares its sha256.
func (idx Index) resend(d *Dist) httpdo.Resend {
	if idx.SimpleURL == "" {
		return nil
	}
	return func(ctx context.Context) (bool, error) {
		sha, found, err := idx.published(ctx, d)
		switch {
		case err != nil:
			return false, err
		case !found:
			return true, nil
		case sha == d.SHA256:
			return false, httpdo.ErrTookEffect
		}
		return false, fmt.Errorf("the index now has this file with other content (sha256 %s)", sha)
	}
}

// form is the multipart body twine sends.
func (d *Dist) form() (io.Reader, string, error) {
	blake := blake2b.Sum256(d.Data)
	fields := [][2]string{
		{":action", "file_upload"}, {"protocol_version", "1"},
		{"metadata_version", d.Metadata.Get("Metadata-Version")},
		{"name", d.Name}, {"version", d.Version},
		{"filetype", d.FileType}, {"pyversion", d.PyVersion},
		{"sha256_digest", d.SHA256}, {"blake2_256_digest", hex.EncodeToString(blake[:])},
		{"summary", d.Metadata.Get("Summary")}, {"requires_python", d.Metadata.Get("Requires-Python")},
	}
	return httpdo.Multipart(fields, "content", d.File, d.Data)
}

var (
	anchorRE    = regexp.MustCompile(`(?is)<a\s[^>]*href="([^"]*)"[^>]*>([^<]*)</a>`)
	normalizeRE = regexp.MustCompile(`[-_.]+`)
)

// Normalize is a project name as the simple API spells it (PEP 503).
func Normalize(name string) string {
	return normalizeRE.ReplaceAllString(strings.ToLower(name), "-")
}

// published looks d's file up in the simple API and returns its sha256.
func (idx Index) published(ctx context.Context, d *Dist) (sha string, found bool, err error) {
	u := strings.TrimSuffix(idx.SimpleURL, "/") + "/" + Normalize(d.Name) + "/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", false, err
	}
	req.Header.Set("Accept", "text/html")
	req.SetBasicAuth(idx.Username, idx.Password)
	page, found, err := idx.Retry.Fetch(idx.Client, req)
	if err != nil || !found {
		return "", false, err
	}
	for _, m := range anchorRE.FindAllStringSubmatch(string(page), -1) {
		if strings.TrimSpace(html.UnescapeString(m[2])) != d.File {
			continue
		}
		_, frag, _ := strings.Cut(html.UnescapeString(m[1]), "#sha256=")
		return frag, true, nil
	}
	return "", false, nil
}
