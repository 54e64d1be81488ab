package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(newHandler())
	t.Cleanup(srv.Close)
	tests := []struct {
		method, path string
		code         int
		ctype, body  string
	}{
		{"GET", "/hello?name=ada", 200, "application/json", `{"message":"Hello, Ada!"}`},
		{"GET", "/hello?name=%C3%A9mile%20zola&lang=fr", 200, "application/json", `{"message":"Bonjour, Émile Zola !"}`},
		{"GET", "/hello?name=ada&lang=xx", 400, "application/json", `{"error":"greet: unknown language \"xx\" (known: de, en, es, fr)"}`},
		{"GET", "/hello", 400, "application/json", `{"error":"greet: name is empty"}`},
		{"GET", "/languages", 200, "application/json", `{"languages":["de","en","es","fr"]}`},
		{"GET", "/healthz", 200, "text/plain; charset=utf-8", "ok"},
		{"POST", "/hello?name=ada", 405, "text/plain; charset=utf-8", "Method Not Allowed"},
		{"GET", "/nope", 404, "text/plain; charset=utf-8", "404 page not found"},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || resp.Header.Get("Content-Type") != tt.ctype || strings.TrimSpace(string(body)) != tt.body {
			t.Errorf("%s %s = %d %q %q; want %d %q %q", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, tt.code, tt.ctype, tt.body)
		}
	}
}

func TestServeShutsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/hello?name=grace")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || got["message"] != "Hello, Grace!" {
		t.Errorf("response = %v, %v", got, err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve returned %v after shutdown", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
}
