// Package generic uploads a file over HTTP: a raw PUT, or a multipart POST
// (field "file"). Where the server lets the upload be read back, an
// identical file is left alone and a different one is an error unless
// overwriting is allowed.
package generic

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/monopipe/monopipe/pipelines/publish/httpdo"
)

// Target is where and how to upload.
type Target struct {
	// URL receives the upload.
	URL string
	// Method is PUT (default) or POST.
	Method string
	// CheckURL is read with GET to find an existing upload; "" skips the
	// check.
	CheckURL string
	// Overwrite replaces an existing upload with other content.
	Overwrite bool
	// Token is sent as a Bearer token; else Username and Password, if
	// set, as basic auth.
	Token, Username, Password string
	// Client is the HTTP client (nil: httpdo.Client, with timeouts).
	Client *http.Client
	// Retry bounds the retries (zero: httpdo's defaults).
	Retry httpdo.Retry
}

// Result is what an upload did.
type Result struct {
	URL    string
	SHA256 string
	// Changed is false when the same file was already there.
	Changed bool
}

// Upload sends file to tgt.
func Upload(ctx context.Context, file string, tgt Target, log io.Writer) (*Result, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	sum := sha256.Sum256(data)
	res := &Result{URL: tgt.URL, SHA256: hex.EncodeToString(sum[:])}
	if tgt.CheckURL != "" {
		existing, found, err := tgt.existing(ctx)
		if err != nil {
			return nil, fmt.Errorf("upload %s: check %s: %w", filepath.Base(file), tgt.CheckURL, err)
		}
		switch {
		case found && existing == res.SHA256:
			fmt.Fprintf(log, "upload: %s already holds this file (sha256 %s)\n", tgt.CheckURL, res.SHA256)
			return res, nil
		case found && !tgt.Overwrite:
			return nil, fmt.Errorf("upload %s: %s holds other content (sha256 %s, not %s); a published file is never overwritten (set overwrite to allow it)",
				filepath.Base(file), tgt.CheckURL, existing, res.SHA256)
		}
	}
	method, body, contentType := http.MethodPut, io.Reader(bytes.NewReader(data)), "application/octet-stream"
	if tgt.Method == http.MethodPost {
		method = http.MethodPost
		if body, contentType, err = httpdo.Multipart(nil, "file", filepath.Base(file), data); err != nil {
			return nil, fmt.Errorf("upload %s: %w", filepath.Base(file), err)
		}
	}
	req, err := tgt.request(ctx, method, tgt.URL, body, contentType)
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", filepath.Base(file), err)
	}
	resp, err := tgt.Retry.Do(tgt.Client, req, tgt.resend(method, res.SHA256))
	if errors.Is(err, httpdo.ErrTookEffect) {
		res.Changed = true
		fmt.Fprintf(log, "upload: %s %s (sha256 %s; the answer was lost, %s shows it)\n", method, tgt.URL, res.SHA256, tgt.CheckURL)
		return res, nil
	}
	if err != nil {
		return nil, fmt.Errorf("upload %s to %s: %w", filepath.Base(file), tgt.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("upload %s to %s: %s", filepath.Base(file), tgt.URL, httpdo.Describe(resp))
	}
	res.Changed = true
	fmt.Fprintf(log, "upload: %s %s (sha256 %s)\n", method, tgt.URL, res.SHA256)
	return res, nil
}

// resend decides whether a failed upload is sent again. A PUT of the same
// bytes to the same URL is idempotent: it is resent (after CheckURL, when
// set, shows the earlier attempt did not land). A POST may create a
// second copy, so it is resent only when CheckURL shows the file absent,
// and never without a CheckURL.
func (tgt Target) resend(method, sha string) httpdo.Resend {
	if tgt.CheckURL == "" {
		if method == http.MethodPut {
			return httpdo.Always
		}
		return nil
	}
	return func(ctx context.Context) (bool, error) {
		existing, found, err := tgt.existing(ctx)
		switch {
		case err != nil:
			return false, err
		case found && existing == sha:
			return false, httpdo.ErrTookEffect
		case found && method != http.MethodPut:
			return false, fmt.Errorf("%s now holds other content (sha256 %s)", tgt.CheckURL, existing)
		}
		return true, nil
	}
}

// existing returns the sha256 of what CheckURL serves.
func (tgt Target) existing(ctx context.Context) (string, bool, error) {
	req, err := tgt.request(ctx, http.MethodGet, tgt.CheckURL, nil, "")
	if err != nil {
		return "", false, err
	}
	body, found, err := tgt.Retry.Fetch(tgt.Client, req)
	if err != nil || !found {
		return "", false, err
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), true, nil
}

// request builds a request with the target's authentication.
func (tgt Target) request(ctx context.Context, method, url string, body io.Reader, contentType string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	switch {
	case tgt.Token != "":
		req.Header.Set("Authorization", "Bearer "+tgt.Token)
	case tgt.Username != "":
		req.SetBasicAuth(tgt.Username, tgt.Password)
	}
	return req, nil
}
