package generic

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fileServer stores PUT bodies and multipart POST "file" fields by path and
// serves them back with GET; it demands a Bearer token.
type fileServer struct {
	token  string
	mu     sync.Mutex
	files  map[string][]byte
	writes int
}

func (s *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodGet:
		data, ok := s.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	case http.MethodPut:
		if r.Header.Get("Content-Type") != "application/octet-stream" {
			http.Error(w, "want application/octet-stream", http.StatusUnsupportedMediaType)
			return
		}
		data, _ := io.ReadAll(r.Body)
		s.files[r.URL.Path] = data
		s.writes++
		w.WriteHeader(http.StatusCreated)
	case http.MethodPost:
		f, hdr, err := r.FormFile("file")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		data, _ := io.ReadAll(f)
		s.files[r.URL.Path+"/"+hdr.Filename] = data
		s.writes++
	default:
		http.Error(w, "method", http.StatusMethodNotAllowed)
	}
}

func TestUpload(t *testing.T) {
	const token = "generic-upload-token-SECRET"
	srv := &fileServer{token: token, files: map[string][]byte{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	dir := t.TempDir()
	v1, v2 := filepath.Join(dir, "app-v1.zip"), filepath.Join(dir, "app.zip")
	os.WriteFile(v1, []byte("one"), 0o644)
	os.WriteFile(v2, []byte("two"), 0o644)
	put := Target{URL: ts.URL + "/files/app/1.0.0/app.zip", CheckURL: ts.URL + "/files/app/1.0.0/app.zip", Token: token}
	overwrite := put
	overwrite.Overwrite = true
	post := Target{URL: ts.URL + "/upload/app", Method: "POST", CheckURL: ts.URL + "/upload/app/app.zip", Token: token}
	wrong := put
	wrong.Token = "wrong"
	var log bytes.Buffer

	for _, tc := range []struct {
		name        string
		file        string
		tgt         Target
		wantChanged bool
		wantErr     string
		wantPath    string
		wantBody    string
		wantWrites  int
	}{
		{name: "first PUT", file: v1, tgt: put, wantChanged: true, wantPath: "/files/app/1.0.0/app.zip", wantBody: "one", wantWrites: 1},
		{name: "same again", file: v1, tgt: put, wantPath: "/files/app/1.0.0/app.zip", wantBody: "one", wantWrites: 1},
		{name: "different content", file: v2, tgt: put, wantErr: "holds other content", wantPath: "/files/app/1.0.0/app.zip", wantBody: "one", wantWrites: 1},
		{name: "overwrite allowed", file: v2, tgt: overwrite, wantChanged: true, wantPath: "/files/app/1.0.0/app.zip", wantBody: "two", wantWrites: 2},
		{name: "multipart POST", file: v2, tgt: post, wantChanged: true, wantPath: "/upload/app/app.zip", wantBody: "two", wantWrites: 3},
		{name: "multipart POST again", file: v2, tgt: post, wantPath: "/upload/app/app.zip", wantBody: "two", wantWrites: 3},
		{name: "wrong token", file: v1, tgt: wrong, wantErr: "401 Unauthorized", wantWrites: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Upload(context.Background(), tc.file, tc.tgt, &log)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), token) {
					t.Errorf("the error shows the token: %v", err)
				}
			} else if err != nil || res.Changed != tc.wantChanged {
				t.Fatalf("got %+v, %v", res, err)
			}
			if srv.writes != tc.wantWrites {
				t.Errorf("server saw %d writes, want %d", srv.writes, tc.wantWrites)
			}
			if tc.wantPath != "" && string(srv.files[tc.wantPath]) != tc.wantBody {
				t.Errorf("%s holds %q, want %q", tc.wantPath, srv.files[tc.wantPath], tc.wantBody)
			}
		})
	}
	if strings.Contains(log.String(), token) {
		t.Error("the log shows the token")
	}
}
