package resultcache

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/monopipe/monopipe/internal/ocitest"
)

func digestOf(s string) string { return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(s))) }

func result(component, digest, status, marker string) Result {
	return Result{
		Record:  Record{Component: component, Digest: digest, Status: status, Created: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC), Commit: "c0ffee", Run: "https://ci/run/1"},
		Outputs: map[string][]byte{"bin/api": []byte("binary " + marker), "dist/api-1.0.tgz": []byte("tgz " + marker)},
		JUnit:   []byte("<testsuites name=\"" + marker + "\"/>"),
		Log:     []byte("log " + marker + "\n"),
	}
}

// open opens a cache on a fresh in-process registry; warnings are
// collected.
func open(t *testing.T, host string, mode Mode) (*Cache, *[]string) {
	t.Helper()
	c, err := New(host+"/org/cache", mode)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	warnings := &[]string{}
	c.Warn = func(s string) { mu.Lock(); *warnings = append(*warnings, s); mu.Unlock() }
	return c, warnings
}

func TestPutGet(t *testing.T) {
	ctx := context.Background()
	reg := ocitest.NewRegistry(t, "", "")
	c, warnings := open(t, reg.Host, ReadWrite)
	d := digestOf("api inputs")

	if hit, err := c.Get(ctx, "api", d); err != nil || hit != nil {
		t.Fatalf("empty cache: %+v, %v; want a miss", hit, err)
	}
	want := result("api", d, StatusSuccess, "first")
	ref, stored, err := c.Put(ctx, want)
	if err != nil || !stored || !strings.HasPrefix(ref, reg.Host+"/org/cache@sha256:") {
		t.Fatalf("Put = %q, %v, %v", ref, stored, err)
	}
	hit, err := c.Get(ctx, "api", d)
	if err != nil || hit == nil {
		t.Fatalf("Get after Put: %+v, %v (warnings %v)", hit, err, *warnings)
	}
	if hit.Ref != ref || !reflect.DeepEqual(hit.Record, want.Record) || !reflect.DeepEqual(hit.Outputs, want.Outputs) ||
		string(hit.JUnit) != string(want.JUnit) || string(hit.Log) != string(want.Log) {
		t.Errorf("hit = %+v, want %+v at %s", hit, want, ref)
	}

	// Immutable: a later result of the same inputs does not replace it.
	ref2, stored, err := c.Put(ctx, result("api", d, StatusSuccess, "second"))
	if err != nil || stored || ref2 != ref {
		t.Errorf("second Put = %q, %v, %v; want the first entry kept", ref2, stored, err)
	}
	if hit, _ := c.Get(ctx, "api", d); hit == nil || string(hit.Log) != "log first\n" {
		t.Errorf("after a second Put the entry is %+v", hit)
	}
	if len(*warnings) > 0 {
		t.Errorf("warnings: %v", *warnings)
	}
}

// TestFailureIsNotAHit: a failed result is recorded, and never read as a
// success; a later success of the same inputs is stored and read.
func TestFailureIsNotAHit(t *testing.T) {
	ctx := context.Background()
	reg := ocitest.NewRegistry(t, "", "")
	c, _ := open(t, reg.Host, ReadWrite)
	d := digestOf("flaky")
	if _, stored, err := c.Put(ctx, result("api", d, StatusFailure, "failed")); err != nil || !stored {
		t.Fatalf("Put failure: %v, %v", stored, err)
	}
	if hit, err := c.Get(ctx, "api", d); err != nil || hit != nil {
		t.Fatalf("after a failure Get = %+v, %v; want a miss", hit, err)
	}
	if _, stored, err := c.Put(ctx, result("api", d, StatusSuccess, "green")); err != nil || !stored {
		t.Fatalf("Put success after a failure: %v, %v", stored, err)
	}
	if hit, _ := c.Get(ctx, "api", d); hit == nil || hit.Record.Status != StatusSuccess {
		t.Fatalf("Get = %+v, want the success", hit)
	}
	// What is under the failure tag is a failure, and stays readable as
	// such for people.
	desc, err := remote.Get(ref(t, reg.Host+"/org/cache:"+strings.Replace(d, ":", "-", 1)+".failed"))
	if err != nil || !strings.Contains(string(desc.Manifest), ArtifactType) {
		t.Errorf("failure entry: %v", err)
	}
}

// TestReadOnly: a read-only cache reads and never writes.
func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	reg := ocitest.NewRegistry(t, "", "")
	rw, _ := open(t, reg.Host, ReadWrite)
	d := digestOf("ro")
	if _, _, err := rw.Put(ctx, result("api", d, StatusSuccess, "x")); err != nil {
		t.Fatal(err)
	}
	ro, _ := open(t, reg.Host, ReadOnly)
	before := reg.Puts.Load()
	if ref, stored, err := ro.Put(ctx, result("web", digestOf("other"), StatusSuccess, "y")); ref != "" || stored || err != nil {
		t.Errorf("read-only Put = %q, %v, %v", ref, stored, err)
	}
	if n := reg.Puts.Load() - before; n != 0 {
		t.Errorf("read-only Put wrote %d times", n)
	}
	if hit, err := ro.Get(ctx, "api", d); err != nil || hit == nil {
		t.Errorf("read-only Get = %+v, %v", hit, err)
	}
}

// TestForeignOrWrongEntries: whatever else is under a digest's tag is a
// miss with a warning naming why.
func TestForeignOrWrongEntries(t *testing.T) {
	ctx := context.Background()
	reg := ocitest.NewRegistry(t, "", "")
	c, warnings := open(t, reg.Host, ReadWrite)

	// Another tool's image under the tag.
	d := digestOf("foreign")
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := Tag(d)
	if err := remote.Write(ref(t, reg.Host+"/org/cache:"+tag), img); err != nil {
		t.Fatal(err)
	}
	if hit, err := c.Get(ctx, "api", d); err != nil || hit != nil {
		t.Errorf("foreign image: %+v, %v; want a miss", hit, err)
	}
	// Another component's result, and a result recording another digest.
	d2 := digestOf("web's")
	if _, _, err := c.Put(ctx, result("web", d2, StatusSuccess, "w")); err != nil {
		t.Fatal(err)
	}
	if hit, _ := c.Get(ctx, "api", d2); hit != nil {
		t.Errorf("another component's result read as a hit")
	}
	d3 := digestOf("copied")
	moved := result("api", digestOf("the original"), StatusSuccess, "m")
	m, err := c.writeBlobs(ctx, moved)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := jsonMarshal(m)
	tag3, _ := Tag(d3)
	if err := remote.Put(ref(t, reg.Host+"/org/cache:"+tag3), rawManifest(raw)); err != nil {
		t.Fatal(err)
	}
	if hit, _ := c.Get(ctx, "api", d3); hit != nil {
		t.Errorf("an entry recording another digest read as a hit")
	}
	for i, want := range []string{"not a monopipe result", `component "web"`, "records digest " + moved.Record.Digest} {
		if i >= len(*warnings) || !strings.Contains((*warnings)[i], want) {
			t.Errorf("warning %d = %q, want it to contain %q (all: %v)", i, at(*warnings, i), want, *warnings)
		}
	}
	if _, err := Tag("sha256:abc"); err == nil {
		t.Error("Tag of a short digest: no error")
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

// TestCorruptBlob: a registry that answers a blob with other bytes gives
// a miss with a warning, never the bytes.
func TestCorruptBlob(t *testing.T) {
	ctx := context.Background()
	var corrupt atomic.Bool
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if corrupt.Load() && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			rec := httptest.NewRecorder()
			inner.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			if len(body) > 0 {
				body[len(body)/2] ^= 0xff
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(body)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c, warnings := open(t, strings.TrimPrefix(srv.URL, "http://"), ReadWrite)
	d := digestOf("corrupt")
	if _, _, err := c.Put(ctx, result("api", d, StatusSuccess, "x")); err != nil {
		t.Fatal(err)
	}
	corrupt.Store(true)
	if hit, err := c.Get(ctx, "api", d); err != nil || hit != nil {
		t.Fatalf("corrupt blob: %+v, %v; want a miss", hit, err)
	}
	if len(*warnings) != 1 || !strings.Contains((*warnings)[0], "ignored") {
		t.Errorf("warnings = %v", *warnings)
	}
}

// TestConcurrentWriters: eight runs storing results of the same inputs at
// once all succeed, and what stays is one whole entry of the eight.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	reg := ocitest.NewRegistry(t, "", "")
	d := digestOf("race")
	tag, _ := Tag(d)
	reg.HoldTagWrites("org/cache", tag, 8)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _ := open(t, reg.Host, ReadWrite)
			_, _, errs[i] = c.Put(ctx, result("api", d, StatusSuccess, fmt.Sprint("writer", i)))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	c, warnings := open(t, reg.Host, ReadOnly)
	hit, err := c.Get(ctx, "api", d)
	if err != nil || hit == nil {
		t.Fatalf("after the race: %+v, %v (%v)", hit, err, *warnings)
	}
	marker := strings.TrimSuffix(strings.TrimPrefix(string(hit.Log), "log "), "\n")
	if want := result("api", d, StatusSuccess, marker); !reflect.DeepEqual(hit.Outputs, want.Outputs) || !strings.HasPrefix(marker, "writer") {
		t.Errorf("the entry mixes writers: log %q, outputs %v", hit.Log, hit.Outputs)
	}
}

// TestRegistryDown: a registry that cannot be asked is an error, not a
// miss (the caller says the cache was not read).
func TestRegistryDown(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c, _ := open(t, strings.TrimPrefix(srv.URL, "http://"), ReadWrite)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if hit, err := c.Get(ctx, "api", digestOf("x")); err == nil || hit != nil {
		t.Errorf("Get = %+v, %v; want an error", hit, err)
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func ref(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
