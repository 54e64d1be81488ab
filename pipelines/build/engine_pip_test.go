package build

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/monopipe/monopipe/internal/enginetest"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/report"
	"github.com/monopipe/monopipe/pipelines/run"
)

// TestEnginePrivateIndex builds and tests a python component that depends
// on a package only an authenticated index serves, with the index token
// given as a build secret (pip helper): the build and the test pass, and
// no form of the token is in the results or the report files. The index
// (a test server that also relays PyPI, or $PIP_INDEX_URL, for the build
// tools) must be reachable from the engine's containers: set
// MONOPIPE_TEST_ENGINE_HOST to the address at which they reach this
// machine (e.g. 172.17.0.1 for an engine in Docker).
func TestEnginePrivateIndex(t *testing.T) {
	ctx, client := enginetest.Connect(t, 30*time.Minute)
	hostAddr := os.Getenv("MONOPIPE_TEST_ENGINE_HOST")
	if hostAddr == "" {
		t.Skip("set MONOPIPE_TEST_ENGINE_HOST to the address at which the engine's containers reach this machine")
	}
	const token = "pypi-PRIVATE-token-0123456789"
	srv := privateIndex(t, token)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	index := fmt.Sprintf("http://%s/simple/", net.JoinHostPort(hostAddr, port))

	root := t.TempDir()
	files := map[string]string{
		"app/component.yaml": fmt.Sprintf("name: app\nkind: python\nbuild:\n  secrets:\n    - name: PIP_TOKEN\n      pip: {index: %q}\n", index),
		"app/pyproject.toml": "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n\n" +
			"[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"acme-private==1.0.0\"]\n\n[tool.setuptools]\npackages = [\"app\"]\n",
		"app/app/__init__.py":   "",
		"app/tests/test_app.py": "import os\n\ndef test_private():\n    import acme_private\n    print('index', os.environ.get('PIP_INDEX_URL'))\n    assert acme_private.VALUE == 'private'\n",
	}
	for p, content := range files {
		writeFile(t, filepath.Join(root, p), content)
	}
	m, err := manifest.ParseComponent("app/component.yaml", []byte(files["app/component.yaml"]))
	if err != nil {
		t.Fatal(err)
	}
	b := New(client, client.Host().Directory(root), nil, map[string]*manifest.Component{"app": m},
		WithSecrets(map[string]string{"PIP_TOKEN": token}), WithCacheScope(CacheScope{Repo: "test/private-index"}))
	comps := []plan.Component{{Name: "app", Dir: m.Dir, Kind: m.Kind, Manifest: m}}
	res, err := run.Run(ctx, comps, run.Options{Steps: b.Steps(), Secrets: []string{token}})
	t.Logf("%s", report.Text(res))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	files2, err := report.Files(res)
	if err != nil {
		t.Fatal(err)
	}
	captured := map[string]string{"results": fmt.Sprintf("%+v", res)}
	for name, data := range files2 {
		captured[name] = string(data)
	}
	for _, form := range run.Forms(token) {
		for name, text := range captured {
			if strings.Contains(text, form) {
				t.Errorf("%s shows the token (form %q)", name, form)
			}
		}
	}
}

var hrefRE = regexp.MustCompile(`href="([^"]+)"`)

// privateIndex serves acme-private behind basic authentication (user
// __token__) on every interface, and relays every other project's simple
// page from PyPI (or $PIP_INDEX_URL), with its links made absolute.
func privateIndex(t *testing.T, token string) *httptest.Server {
	t.Helper()
	upstream := strings.TrimSuffix(os.Getenv("PIP_INDEX_URL"), "/")
	if upstream == "" {
		upstream = "https://pypi.org/simple"
	}
	var whl bytes.Buffer
	zw := zip.NewWriter(&whl)
	for _, f := range [][2]string{
		{"acme_private/__init__.py", "VALUE = 'private'\n"},
		{"acme_private-1.0.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: acme-private\nVersion: 1.0.0\n"},
		{"acme_private-1.0.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{"acme_private-1.0.0.dist-info/RECORD", "acme_private/__init__.py,,\nacme_private-1.0.0.dist-info/METADATA,,\nacme_private-1.0.0.dist-info/WHEEL,,\nacme_private-1.0.0.dist-info/RECORD,,\n"},
	} {
		w, _ := zw.Create(f[0])
		w.Write([]byte(f[1]))
	}
	zw.Close()
	const wheelName = "acme_private-1.0.0-py3-none-any.whl"
	l, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "__token__" || p != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="private"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		switch {
		case r.URL.Path == "/simple/acme-private/":
			fmt.Fprintf(w, `<html><body><a href="/files/%s">%s</a></body></html>`, wheelName, wheelName)
		case r.URL.Path == "/files/"+wheelName:
			w.Write(whl.Bytes())
		case strings.HasPrefix(r.URL.Path, "/simple/"):
			page := upstream + "/" + strings.TrimPrefix(r.URL.Path, "/simple/")
			resp, err := http.Get(page)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			base, _ := url.Parse(page)
			body = hrefRE.ReplaceAllFunc(body, func(m []byte) []byte {
				ref, err := url.Parse(string(hrefRE.FindSubmatch(m)[1]))
				if err != nil {
					return m
				}
				return []byte(`href="` + base.ResolveReference(ref).String() + `"`)
			})
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(resp.StatusCode)
			w.Write(body)
		default:
			http.NotFound(w, r)
		}
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}
