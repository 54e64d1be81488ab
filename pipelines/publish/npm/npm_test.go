package npm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monopipe/monopipe/internal/httpfake"
	"github.com/monopipe/monopipe/internal/verdacciotest"
	"github.com/monopipe/monopipe/pipelines/publish/httpdo"
)

// writeTarball writes an npm pack style tarball.
func writeTarball(t *testing.T, name, version, code string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range [][2]string{
		{"package/package.json", fmt.Sprintf(`{"name":%q,"version":%q,"description":"test","main":"index.js"}`, name, version)},
		{"package/index.js", code},
	} {
		file, content := f[0], f[1]
		tw.WriteHeader(&tar.Header{Name: file, Mode: 0o644, Size: int64(len(content))})
		tw.Write([]byte(content))
	}
	tw.Close()
	zw.Close()
	p := filepath.Join(t.TempDir(), "pkg.tgz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPublishVerdaccio(t *testing.T) {
	url, token := verdacciotest.Start(t, verdacciotest.Public)
	ctx := context.Background()
	reg := Registry{URL: url + "/", Token: token}
	var log bytes.Buffer

	for _, tc := range []struct {
		name        string
		pkg         string // name@version
		code        string
		reg         Registry
		wantChanged bool
		wantErr     string
	}{
		{name: "first publish", pkg: "@team/api@1.0.0", code: "one", reg: reg, wantChanged: true},
		{name: "same tarball again", pkg: "@team/api@1.0.0", code: "one", reg: reg},
		{name: "other tarball, same version", pkg: "@team/api@1.0.0", code: "two", reg: reg, wantErr: "already published with another tarball"},
		{name: "next version", pkg: "@team/api@1.0.1", code: "two", reg: reg, wantChanged: true},
		{name: "unscoped", pkg: "plain-lib@0.1.0", code: "x", reg: reg, wantChanged: true},
		{name: "wrong token", pkg: "plain-lib@0.2.0", code: "y", reg: Registry{URL: url, Token: "wrong-" + token}, wantErr: "401"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := strings.LastIndex(tc.pkg, "@")
			pkg, err := ReadPackage(writeTarball(t, tc.pkg[:at], tc.pkg[at+1:], tc.code))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Publish(ctx, tc.reg, pkg, "", &log)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), token) {
					t.Errorf("the error shows the token: %v", err)
				}
				return
			}
			if err != nil || res.Changed != tc.wantChanged || res.ID != tc.pkg {
				t.Fatalf("got %+v, %v", res, err)
			}
			// The registry serves exactly our tarball for that version.
			dist, err := reg.publishedDist(ctx, url+"/"+escapeName(pkg.Name), pkg.Version)
			if err != nil || dist == nil || dist.Integrity != pkg.Integrity {
				t.Fatalf("published dist %+v, %v; want integrity %s", dist, err, pkg.Integrity)
			}
			resp, err := http.Get(dist.Tarball)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got bytes.Buffer
			got.ReadFrom(resp.Body)
			if !bytes.Equal(got.Bytes(), pkg.Tarball) {
				t.Errorf("tarball at %s differs (%s, %d bytes)", dist.Tarball, resp.Status, got.Len())
			}
		})
	}
	if strings.Contains(log.String(), token) {
		t.Error("the log shows the token")
	}
}

func TestReadPackageErrors(t *testing.T) {
	dir := t.TempDir()
	notGzip := filepath.Join(dir, "x.tgz")
	os.WriteFile(notGzip, []byte("this is not a gzip stream at all"), 0o644)
	for file, want := range map[string]string{
		filepath.Join(dir, "missing.tgz"): "no such file",
		notGzip:                           "x.tgz: gzip: invalid header",
		writeTarball(t, "", "1.0.0", ""):  "needs a name and a version",
	} {
		if _, err := ReadPackage(file); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadPackage(%s) = %v, want %q", file, err, want)
		}
	}
}

// TestDistTagMovesForward publishes 1.1.4, 1.2.0, then the backport 1.1.5
// to Verdaccio under the dist-tag latest: latest stays on 1.2.0, the
// backport gets latest-1.1; 1.2.1 moves latest again.
func TestDistTagMovesForward(t *testing.T) {
	url, token := verdacciotest.Start(t, verdacciotest.Public)
	ctx := context.Background()
	reg := Registry{URL: url, Token: token}
	var log bytes.Buffer
	tags := func() map[string]string {
		t.Helper()
		doc, err := reg.published(ctx, url+"/"+escapeName("@team/web"))
		if err != nil {
			t.Fatal(err)
		}
		return doc.DistTags
	}
	for _, tc := range []struct {
		version, wantTag string
		want             map[string]string
	}{
		{"1.1.4", "latest", map[string]string{"latest": "1.1.4"}},
		{"1.2.0", "latest", map[string]string{"latest": "1.2.0"}},
		{"1.1.5", "latest-1.1", map[string]string{"latest": "1.2.0", "latest-1.1": "1.1.5"}},
		{"1.2.1", "latest", map[string]string{"latest": "1.2.1", "latest-1.1": "1.1.5"}},
	} {
		pkg, err := ReadPackage(writeTarball(t, "@team/web", tc.version, "v"+tc.version))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Publish(ctx, reg, pkg, "", &log)
		if err != nil {
			t.Fatalf("publish %s: %v", tc.version, err)
		}
		if res.Tag != tc.wantTag {
			t.Errorf("publish %s: dist-tag %q, want %q", tc.version, res.Tag, tc.wantTag)
		}
		if got := tags(); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("after %s: dist-tags %v, want %v", tc.version, got, tc.want)
		}
	}
	if !strings.Contains(log.String(), "npm: dist-tag latest stays on 1.2.0 (newer than 1.1.5); @team/web@1.1.5 gets dist-tag latest-1.1") {
		t.Errorf("log does not say why latest stayed:\n%s", log.String())
	}
}

// TestPublishRetries puts a flaky proxy in front of Verdaccio: a publish
// whose answer is lost is found in the package document and not sent
// again (Verdaccio would refuse it); a publish dropped before it arrived
// is sent again; document reads are retried.
func TestPublishRetries(t *testing.T) {
	url, token := verdacciotest.Start(t, verdacciotest.Public)
	target, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	noSleep := func(context.Context, time.Duration) error { return nil }
	for i, tc := range []struct {
		name     string
		flaky    *httpfake.Flaky
		wantSeen int
	}{
		{name: "answer lost", flaky: &httpfake.Flaky{Match: httpfake.Method("PUT"), Fail: 1, How: httpfake.Lost}, wantSeen: 1},
		{name: "dropped", flaky: &httpfake.Flaky{Match: httpfake.Method("PUT"), Fail: 1, How: httpfake.Drop}, wantSeen: 2},
		{name: "503", flaky: &httpfake.Flaky{Match: httpfake.Method("PUT"), Fail: 1, Status: 503}, wantSeen: 2},
		{name: "reads fail", flaky: &httpfake.Flaky{Match: httpfake.Method("GET"), Fail: 2, Status: 502}, wantSeen: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.flaky.Next = httputil.NewSingleHostReverseProxy(target)
			srv := httptest.NewServer(tc.flaky)
			defer srv.Close()
			reg := Registry{URL: srv.URL, Token: token, Retry: httpdo.Retry{Sleep: noSleep}}
			pkg, err := ReadPackage(writeTarball(t, "@team/retry", fmt.Sprintf("1.0.%d", i), "x"))
			if err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			res, err := Publish(context.Background(), reg, pkg, "", &log)
			if err != nil || !res.Changed {
				t.Fatalf("got %+v, %v\n%s", res, err, log.String())
			}
			if tc.flaky.Seen() != tc.wantSeen {
				t.Errorf("%d requests, want %d", tc.flaky.Seen(), tc.wantSeen)
			}
			direct := Registry{URL: url, Token: token}
			dist, err := direct.publishedDist(context.Background(), url+"/"+escapeName(pkg.Name), pkg.Version)
			if err != nil || dist == nil || dist.Integrity != pkg.Integrity {
				t.Fatalf("published dist %+v, %v", dist, err)
			}
			if strings.Contains(log.String(), token) {
				t.Error("the log shows the token")
			}
		})
	}
}
