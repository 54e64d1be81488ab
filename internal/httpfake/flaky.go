// Package httpfake provides fake HTTP servers for the publishers' tests: an
// in-memory artifact store (Store) and a wrapper that makes a handler's
// first requests fail the ways real servers and networks do (Flaky), for the
// retry tests.
package httpfake

import (
	"net/http"
	"net/http/httptest"
	"sync"
)

// Failure is how a request fails.
type Failure int

const (
	// Status answers Flaky.Status (with Flaky.RetryAfter, if set) without
	// passing the request on.
	Status Failure = iota
	// Drop closes the connection without an answer, the request unseen.
	Drop
	// Lost passes the request on, then throws the answer away and closes
	// the connection: the write happened, the client cannot know.
	Lost
)

// Flaky fails the first Fail requests that Match selects, then passes
// everything to Next. Seen counts the selected requests.
type Flaky struct {
	Next       http.Handler
	Match      func(*http.Request) bool
	Fail       int
	How        Failure
	Status     int
	RetryAfter string

	mu   sync.Mutex
	seen int
}

// Seen is how many requests Match selected so far.
func (f *Flaky) Seen() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen
}

// ServeHTTP implements the wrapper.
func (f *Flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.Match != nil && !f.Match(r) {
		f.Next.ServeHTTP(w, r)
		return
	}
	f.mu.Lock()
	f.seen++
	fail := f.seen <= f.Fail
	f.mu.Unlock()
	if !fail {
		f.Next.ServeHTTP(w, r)
		return
	}
	switch f.How {
	case Status:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		http.Error(w, http.StatusText(f.Status), f.Status)
	case Lost:
		f.Next.ServeHTTP(httptest.NewRecorder(), r)
		hangUp(w)
	case Drop:
		hangUp(w)
	}
}

func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

// Method matches requests by method.
func Method(m string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == m }
}
