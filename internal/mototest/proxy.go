package mototest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy sits in front of moto: it counts the requests that may change
// something and can answer some requests itself (to inject AWS errors).
type Proxy struct {
	// URL is the endpoint to give to clients.
	URL string
	// Writes counts requests other than GET and HEAD.
	Writes atomic.Int64

	mu        sync.Mutex
	intercept func(w http.ResponseWriter, r *http.Request) bool
}

// NewProxy starts a Proxy to the moto at endpoint, stopped at cleanup.
func NewProxy(tb testing.TB, endpoint string) *Proxy {
	tb.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			p.Writes.Add(1)
		}
		p.mu.Lock()
		f := p.intercept
		p.mu.Unlock()
		if f != nil && f(w, r) {
			return
		}
		rp.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Intercept sets f to see each request first; when f returns true it has
// answered and moto is not asked. nil removes it.
func (p *Proxy) Intercept(f func(w http.ResponseWriter, r *http.Request) bool) {
	p.mu.Lock()
	p.intercept = f
	p.mu.Unlock()
}

// WriteAWSError answers like a REST-JSON AWS service (Lambda) error.
func WriteAWSError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"Type":"User","message":"` + message + `"}`))
}
