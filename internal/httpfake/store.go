package httpfake

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Store is an in-memory artifact store for tests of generic HTTP uploads:
// it stores PUT bodies and multipart POST "file" fields by path, serves them
// back with GET, and counts writes.
type Store struct {
	// URL is the store's address.
	URL string

	token  string
	mu     sync.Mutex
	files  map[string][]byte
	writes int
}

// NewStore starts a Store on a free loopback port, stopped when the test
// ends. When token is not empty, every request must carry "Bearer <token>".
func NewStore(t testing.TB, token string) *Store {
	s := &Store{token: token, files: map[string][]byte{}}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

// File returns what the store holds at path ("" when nothing).
func (s *Store) File(path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.files[path])
}

// Writes counts the PUTs and POSTs stored so far.
func (s *Store) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// ServeHTTP implements the store.
func (s *Store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.token != "" && r.Header.Get("Authorization") != "Bearer "+s.token {
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
