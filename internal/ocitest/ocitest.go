// Package ocitest serves an in-process OCI registry and writes test images
// as OCI layouts and tarballs, for the tests of the publishers, deploy and jobs.
package ocitest

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Registry is go-containerregistry's in-process registry on a loopback
// port, behind basic auth when a user is given, with a switch to fail
// manifest writes (a registry going down mid-push).
type Registry struct {
	Host string
	// Puts counts PUT/POST/PATCH/DELETE requests.
	Puts atomic.Int64
	// FailManifestPutsAfter > -1 makes manifest PUTs after that many
	// answer 503.
	FailManifestPutsAfter atomic.Int64
	manifestPuts          atomic.Int64
	auth                  authn.Authenticator
	gate                  atomic.Pointer[gate]
	// ImmutableTags makes the registry refuse to move a tag to another
	// digest (400 TAG_INVALID), as ECR's IMMUTABLE repositories do.
	ImmutableTags atomic.Bool
}

// gate holds the manifest writes to one tag until n have arrived, runs
// them one at a time, and answers none until all n ran: n concurrent
// writers that all checked the tag before any of them wrote it.
type gate struct {
	path      string
	n         int
	mu        sync.Mutex
	arrived   int
	ran       int
	allIn     chan struct{}
	allRan    chan struct{}
	oneAtTime sync.Mutex
}

// HoldTagWrites makes the next n manifest writes to repo:tag wait for one
// another (see gate): the race of concurrent publishers, made certain
// without timing.
func (r *Registry) HoldTagWrites(repo, tag string, n int) {
	r.gate.Store(&gate{path: "/v2/" + repo + "/manifests/" + tag, n: n, allIn: make(chan struct{}), allRan: make(chan struct{})})
}

// pass runs one held write through h.
func (g *gate) pass(w http.ResponseWriter, req *http.Request, h http.Handler) {
	wait := func(ch chan struct{}) bool {
		select {
		case <-ch:
			return true
		case <-req.Context().Done():
			http.Error(w, "client gone", http.StatusServiceUnavailable)
			return false
		}
	}
	g.mu.Lock()
	if g.arrived++; g.arrived == g.n {
		close(g.allIn)
	}
	g.mu.Unlock()
	if !wait(g.allIn) {
		return
	}
	rec := httptest.NewRecorder()
	g.oneAtTime.Lock()
	h.ServeHTTP(rec, req)
	g.oneAtTime.Unlock()
	g.mu.Lock()
	if g.ran++; g.ran == g.n {
		close(g.allRan)
	}
	g.mu.Unlock()
	if !wait(g.allRan) {
		return
	}
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// NewRegistry starts a Registry, stopped at cleanup.
func NewRegistry(tb testing.TB, user, password string) *Registry {
	tb.Helper()
	r := &Registry{}
	r.FailManifestPutsAfter.Store(-1)
	r.auth = &authn.Basic{Username: user, Password: password}
	if user == "" {
		r.auth = authn.Anonymous
	}
	inner := r.immutable(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if user != "" {
			u, p, ok := req.BasicAuth()
			if !ok || u != user || p != password {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
		}
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			r.Puts.Add(1)
		}
		if req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/manifests/") {
			n := r.manifestPuts.Add(1)
			if after := r.FailManifestPutsAfter.Load(); after >= 0 && n > after {
				http.Error(w, "registry down", http.StatusServiceUnavailable)
				return
			}
		}
		if g := r.gate.Load(); g != nil && req.Method == http.MethodPut && req.URL.Path == g.path {
			g.pass(w, req, inner)
			return
		}
		inner.ServeHTTP(w, req)
	}))
	tb.Cleanup(srv.Close)
	r.Host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// immutable wraps the registry: with ImmutableTags, a manifest PUT to a
// tag that holds another digest is refused.
func (r *Registry) immutable(inner http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, ref, isManifest := strings.Cut(req.URL.Path, "/manifests/")
		if !r.ImmutableTags.Load() || req.Method != http.MethodPut || !isManifest || strings.HasPrefix(ref, "sha256:") {
			inner.ServeHTTP(w, req)
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		head := httptest.NewRecorder()
		inner.ServeHTTP(head, httptest.NewRequest(http.MethodHead, req.URL.Path, nil))
		sum := sha256.Sum256(body)
		if current := head.Header().Get("Docker-Content-Digest"); head.Code == http.StatusOK && current != "sha256:"+hex.EncodeToString(sum[:]) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"errors":[{"code":"TAG_INVALID","message":"The image tag '`+ref+`' already exists and cannot be overwritten because the repository is immutable."}]}`)
			return
		}
		inner.ServeHTTP(w, req)
	})
}

// AssertTags checks that each tag of repo points at want.
func (r *Registry) AssertTags(tb testing.TB, repo string, want v1.Hash, tags ...string) {
	tb.Helper()
	for _, tag := range tags {
		ref, err := name.ParseReference(r.Host + "/" + repo + ":" + tag)
		if err != nil {
			tb.Fatal(err)
		}
		desc, err := remote.Head(ref, remote.WithAuth(r.auth))
		if err != nil {
			tb.Errorf("tag %s: %v", tag, err)
			continue
		}
		if desc.Digest != want {
			tb.Errorf("tag %s on %s, want %s", tag, desc.Digest, want)
		}
	}
}

// WriteLayout writes imgs as an OCI layout in dir (several images are
// what a multi-platform export lists).
func WriteLayout(tb testing.TB, dir string, imgs ...v1.Image) string {
	tb.Helper()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		tb.Fatal(err)
	}
	for _, img := range imgs {
		if err := lp.AppendImage(img); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// TarDir tars dir's content into file, like an OCI tarball export.
func TarDir(tb testing.TB, dir, file string) {
	tb.Helper()
	out, err := os.Create(file)
	if err != nil {
		tb.Fatal(err)
	}
	defer out.Close()
	tw := tar.NewWriter(out)
	if err := tw.AddFS(os.DirFS(dir)); err != nil {
		tb.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
}

// RandomImage writes a small random image as an OCI tarball (the shape of
// Dagger's Container.Export) and returns its path.
func RandomImage(tb testing.TB) string {
	tb.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(tb.TempDir(), "image.tar")
	TarDir(tb, WriteLayout(tb, filepath.Join(tb.TempDir(), "layout"), img), p)
	return p
}
