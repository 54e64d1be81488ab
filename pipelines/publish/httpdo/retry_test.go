package httpdo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monopipe/monopipe/internal/httpfake"
	"github.com/monopipe/monopipe/pipelines/publish/httpdo"
)

// waits records the waits of a Retry instead of sleeping.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(_ context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return nil
}

// echo answers 200 with the request body, and counts requests.
type echo struct {
	mu     sync.Mutex
	bodies []string
}

func (e *echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	e.mu.Lock()
	e.bodies = append(e.bodies, string(b))
	e.mu.Unlock()
	w.Write(b)
}

func TestRetryDo(t *testing.T) {
	date := time.Now().Add(9 * time.Second).UTC().Format(http.TimeFormat)
	for _, tc := range []struct {
		name   string
		method string
		flaky  *httpfake.Flaky
		resend httpdo.Resend
		// want: final status (0: an error), attempts the server saw, waits
		wantStatus   int
		wantErr      string
		wantAttempts int
		wantWaits    string // "backoff" or exact durations
	}{
		{name: "503 twice then ok", method: "GET", flaky: &httpfake.Flaky{Fail: 2, Status: 503}, resend: httpdo.Always,
			wantStatus: 200, wantAttempts: 3, wantWaits: "backoff"},
		{name: "429 with Retry-After seconds", method: "PUT", flaky: &httpfake.Flaky{Fail: 1, Status: 429, RetryAfter: "7"}, resend: httpdo.Always,
			wantStatus: 200, wantAttempts: 2, wantWaits: "[7s]"},
		{name: "503 with Retry-After date", method: "GET", flaky: &httpfake.Flaky{Fail: 1, Status: 503, RetryAfter: date}, resend: httpdo.Always,
			wantStatus: 200, wantAttempts: 2, wantWaits: "date"},
		{name: "Retry-After longer than a run waits", method: "GET", flaky: &httpfake.Flaky{Fail: 1, Status: 429, RetryAfter: "3600"}, resend: httpdo.Always,
			wantStatus: 429, wantAttempts: 1, wantWaits: "[]"},
		{name: "always 500: bounded", method: "GET", flaky: &httpfake.Flaky{Fail: 99, Status: 500}, resend: httpdo.Always,
			wantStatus: 500, wantAttempts: 4, wantWaits: "backoff"},
		{name: "connection dropped", method: "PUT", flaky: &httpfake.Flaky{Fail: 2, How: httpfake.Drop}, resend: httpdo.Always,
			wantStatus: 200, wantAttempts: 3, wantWaits: "backoff"},
		{name: "connection always dropped", method: "GET", flaky: &httpfake.Flaky{Fail: 99, How: httpfake.Drop}, resend: httpdo.Always,
			wantErr: "(after 4 attempts)", wantAttempts: 4, wantWaits: "backoff"},
		{name: "400 is not retried", method: "GET", flaky: &httpfake.Flaky{Fail: 1, Status: 400}, resend: httpdo.Always,
			wantStatus: 400, wantAttempts: 1, wantWaits: "[]"},
		{name: "501 is not retried", method: "GET", flaky: &httpfake.Flaky{Fail: 1, Status: 501}, resend: httpdo.Always,
			wantStatus: 501, wantAttempts: 1, wantWaits: "[]"},
		{name: "POST without a check is sent once", method: "POST", flaky: &httpfake.Flaky{Fail: 1, Status: 503},
			wantStatus: 503, wantAttempts: 1, wantWaits: "[]"},
		{name: "a lost answer that took effect", method: "POST", flaky: &httpfake.Flaky{Fail: 1, How: httpfake.Lost},
			resend: func(context.Context) (bool, error) { return false, httpdo.ErrTookEffect }, wantErr: httpdo.ErrTookEffect.Error(), wantAttempts: 1, wantWaits: "backoff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &echo{}
			tc.flaky.Next = e
			srv := httptest.NewServer(tc.flaky)
			defer srv.Close()
			var w waits
			body := io.Reader(nil)
			if tc.method != "GET" {
				body = bytes.NewReader([]byte("payload-" + tc.name))
			}
			req, err := http.NewRequest(tc.method, srv.URL+"/x", body)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := httpdo.Retry{Sleep: w.sleep, Base: 100 * time.Millisecond}.Do(srv.Client(), req, tc.resend)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			default:
				defer resp.Body.Close()
				got, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != tc.wantStatus {
					t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantStatus)
				}
				if tc.wantStatus == 200 && tc.method != "GET" && string(got) != "payload-"+tc.name {
					t.Errorf("the body was not replayed: the server got %q", got)
				}
			}
			if n := tc.flaky.Seen(); n != tc.wantAttempts {
				t.Errorf("%d attempts, want %d", n, tc.wantAttempts)
			}
			switch tc.wantWaits {
			case "backoff": // the upper half of 100ms, 200ms, 400ms
				for i, d := range w.d {
					lo, hi := (100*time.Millisecond<<i)/2, 100*time.Millisecond<<i
					if d < lo || d > hi {
						t.Errorf("wait %d is %s, want %s to %s", i+1, d, lo, hi)
					}
				}
				if len(w.d) != max(1, tc.wantAttempts-1) {
					t.Errorf("waits %v for %d attempts", w.d, tc.wantAttempts)
				}
			case "date":
				if len(w.d) != 1 || w.d[0] <= 0 || w.d[0] > 9*time.Second {
					t.Errorf("waits %v, want one of at most 9s (the Retry-After date)", w.d)
				}
			default:
				if got := fmt.Sprint(w.d); got != tc.wantWaits {
					t.Errorf("waits %s, want %s", got, tc.wantWaits)
				}
			}
		})
	}
}

// TestRetryCanceled: a cancelled context ends the waiting.
func TestRetryCanceled(t *testing.T) {
	f := &httpfake.Flaky{Next: &echo{}, Fail: 99, Status: 503}
	srv := httptest.NewServer(f)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	sleep := func(ctx context.Context, d time.Duration) error { cancel(); <-ctx.Done(); return ctx.Err() }
	_, err := httpdo.Retry{Sleep: sleep}.Do(srv.Client(), req, httpdo.Always)
	if !errors.Is(err, context.Canceled) || f.Seen() != 1 {
		t.Fatalf("got %v after %d attempts, want context.Canceled after 1", err, f.Seen())
	}
}

// TestClientTimeouts: the default client bounds every phase.
func TestClientTimeouts(t *testing.T) {
	tr, ok := httpdo.Client.Transport.(*http.Transport)
	if !ok || httpdo.Client.Timeout == 0 || tr.ResponseHeaderTimeout == 0 || tr.TLSHandshakeTimeout == 0 {
		t.Fatalf("httpdo.Client has no timeouts: %+v", httpdo.Client)
	}
}
