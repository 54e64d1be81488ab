package pypi

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/blake2b"
)

// fakeIndex implements and asserts the upload API as twine speaks it
// (https://docs.pypi.org/api/upload/ and warehouse's legacy endpoint) and
// serves a PEP 503 simple API. Debian has no pypiserver and PyPI is not
// reachable here, so this stands in for a real index.
type fakeIndex struct {
	user, pass string
	mu         sync.Mutex
	files      map[string][]byte // file name -> content
	projects   map[string][]string
	uploads    int
}

func (f *fakeIndex) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u, p, ok := r.BasicAuth()
	if !ok || u != f.user || p != f.pass {
		w.Header().Set("WWW-Authenticate", `Basic realm="pypi"`)
		http.Error(w, "403 Invalid or non-existent authentication information.", http.StatusForbidden)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/legacy/":
		f.upload(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/simple/"):
		name := strings.Trim(strings.TrimPrefix(r.URL.Path, "/simple/"), "/")
		files, ok := f.projects[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "<!DOCTYPE html>\n<html><body><h1>Links for %s</h1>\n", name)
		for _, file := range files {
			sum := sha256.Sum256(f.files[file])
			fmt.Fprintf(w, "<a href=\"/packages/%s#sha256=%s\">%s</a><br/>\n", file, hex.EncodeToString(sum[:]), file)
		}
		fmt.Fprint(w, "</body></html>")
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusMethodNotAllowed)
	}
}

func (f *fakeIndex) upload(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(10 << 20); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for key, want := range map[string]string{":action": "file_upload", "protocol_version": "1"} {
		if got := r.FormValue(key); got != want {
			http.Error(w, fmt.Sprintf("%s is %q, want %q", key, got, want), http.StatusBadRequest)
			return
		}
	}
	for _, key := range []string{"name", "version", "filetype", "pyversion", "metadata_version", "sha256_digest", "blake2_256_digest"} {
		if r.FormValue(key) == "" {
			http.Error(w, "missing "+key, http.StatusBadRequest)
			return
		}
	}
	file, hdr, err := r.FormFile("content")
	if err != nil {
		http.Error(w, "no content: "+err.Error(), http.StatusBadRequest)
		return
	}
	var data bytes.Buffer
	data.ReadFrom(file)
	sum, blake := sha256.Sum256(data.Bytes()), blake2b.Sum256(data.Bytes())
	if r.FormValue("sha256_digest") != hex.EncodeToString(sum[:]) || r.FormValue("blake2_256_digest") != hex.EncodeToString(blake[:]) {
		http.Error(w, "The digest supplied does not match a digest calculated from the uploaded file.", http.StatusBadRequest)
		return
	}
	wantType := map[string]string{".whl": "bdist_wheel", ".gz": "sdist"}[filepath.Ext(hdr.Filename)]
	if r.FormValue("filetype") != wantType || !strings.HasPrefix(hdr.Filename, strings.ReplaceAll(r.FormValue("name"), "-", "_")+"-"+r.FormValue("version")) {
		http.Error(w, "Invalid filename or filetype", http.StatusBadRequest)
		return
	}
	if _, ok := f.files[hdr.Filename]; ok {
		http.Error(w, "400 File already exists ('"+hdr.Filename+"').", http.StatusBadRequest)
		return
	}
	f.uploads++
	f.files[hdr.Filename] = data.Bytes()
	project := Normalize(r.FormValue("name"))
	f.projects[project] = append(f.projects[project], hdr.Filename)
	sort.Strings(f.projects[project])
}

func writeWheel(t *testing.T, name, version, code string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	mod := strings.ReplaceAll(name, "-", "_")
	w, _ := zw.Create(mod + "/__init__.py")
	w.Write([]byte(code))
	w, _ = zw.Create(fmt.Sprintf("%s-%s.dist-info/METADATA", mod, version))
	fmt.Fprintf(w, "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: test package\nRequires-Python: >=3.9\n\nLong description.\n", name, version)
	zw.Close()
	p := filepath.Join(t.TempDir(), fmt.Sprintf("%s-%s-py3-none-any.whl", mod, version))
	os.WriteFile(p, buf.Bytes(), 0o644)
	return p
}

func writeSdist(t *testing.T, name, version string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	base := strings.ReplaceAll(name, "-", "_") + "-" + version
	info := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", name, version)
	tw.WriteHeader(&tar.Header{Name: base + "/PKG-INFO", Mode: 0o644, Size: int64(len(info))})
	tw.Write([]byte(info))
	tw.Close()
	zw.Close()
	p := filepath.Join(t.TempDir(), base+".tar.gz")
	os.WriteFile(p, buf.Bytes(), 0o644)
	return p
}

func TestUpload(t *testing.T) {
	const user, pass = "__token__", "pypi-AgEIcHlwaS5vcmcSECRET"
	fake := &fakeIndex{user: user, pass: pass, files: map[string][]byte{}, projects: map[string][]string{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	idx := Index{UploadURL: srv.URL + "/legacy/", SimpleURL: srv.URL + "/simple/", Username: user, Password: pass}
	noSimple := idx
	noSimple.SimpleURL = ""
	wrong := idx
	wrong.Password = "wrong-" + pass
	var log bytes.Buffer

	wheelV1 := writeWheel(t, "my-lib", "1.0.0", "one")
	for _, tc := range []struct {
		name        string
		file        string
		idx         Index
		wantChanged bool
		wantErr     string
		wantUploads int
	}{
		{name: "first wheel", file: wheelV1, idx: idx, wantChanged: true, wantUploads: 1},
		{name: "sdist", file: writeSdist(t, "my-lib", "1.0.0"), idx: idx, wantChanged: true, wantUploads: 2},
		{name: "same wheel again", file: wheelV1, idx: idx, wantUploads: 2},
		{name: "other wheel, same version", file: writeWheel(t, "my-lib", "1.0.0", "two"), idx: idx, wantErr: "the index has this file with other content", wantUploads: 2},
		{name: "no simple API: index refuses", file: wheelV1, idx: noSimple, wantErr: "File already exists", wantUploads: 2},
		{name: "wrong password", file: writeWheel(t, "my-lib", "1.1.0", "x"), idx: wrong, wantErr: "403", wantUploads: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ReadDist(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Upload(context.Background(), tc.idx, d, &log)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), pass) {
					t.Errorf("the error shows the password: %v", err)
				}
			} else if err != nil || res.Changed != tc.wantChanged {
				t.Fatalf("got %+v, %v", res, err)
			}
			if fake.uploads != tc.wantUploads {
				t.Errorf("index holds %d uploads, want %d", fake.uploads, tc.wantUploads)
			}
		})
	}
	if got := fake.projects["my-lib"]; len(got) != 2 || !bytes.Equal(fake.files["my_lib-1.0.0-py3-none-any.whl"], mustRead(t, wheelV1)) {
		t.Errorf("index files %v", got)
	}
	if strings.Contains(log.String(), pass) {
		t.Error("the log shows the password")
	}
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadDist(t *testing.T) {
	d, err := ReadDist(writeWheel(t, "My.Lib", "2.0.1", "x"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "My.Lib" || d.Version != "2.0.1" || d.FileType != "bdist_wheel" || d.PyVersion != "py3" || d.Metadata.Get("Summary") != "test package" {
		t.Errorf("wheel: %+v", d)
	}
	if Normalize(d.Name) != "my-lib" {
		t.Errorf("Normalize(%q) = %q", d.Name, Normalize(d.Name))
	}
	bad := filepath.Join(t.TempDir(), "x.zip")
	os.WriteFile(bad, []byte("x"), 0o644)
	if _, err := ReadDist(bad); err == nil || !strings.Contains(err.Error(), "not a .whl or .tar.gz") {
		t.Errorf("bad file: %v", err)
	}
}
