package generic

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monopipe/monopipe/internal/httpfake"
	"github.com/monopipe/monopipe/pipelines/publish/httpdo"
)

func noSleep(context.Context, time.Duration) error { return nil }

// TestUploadRetries: uploads to a store whose first writes fail. A PUT is
// sent again (idempotent); a POST only when CheckURL shows the file did
// not land; a write whose answer was lost is found by CheckURL and not
// sent twice.
func TestUploadRetries(t *testing.T) {
	file := filepath.Join(t.TempDir(), "app.zip")
	os.WriteFile(file, []byte("content"), 0o644)
	for _, tc := range []struct {
		name        string
		method      string
		check       bool
		flaky       *httpfake.Flaky
		wantErr     string
		wantSeen    int // writes the flaky wrapper saw
		wantWritten int // writes the store kept
	}{
		{name: "PUT, 503 twice", method: "PUT", flaky: &httpfake.Flaky{Fail: 2, Status: 503}, wantSeen: 3, wantWritten: 1},
		{name: "PUT, 429 always", method: "PUT", flaky: &httpfake.Flaky{Fail: 99, Status: 429, RetryAfter: "1"}, wantErr: "429 Too Many Requests", wantSeen: 4},
		{name: "PUT, answer lost, checked", method: "PUT", check: true, flaky: &httpfake.Flaky{Fail: 1, How: httpfake.Lost}, wantSeen: 1, wantWritten: 1},
		{name: "POST, 503, no check: sent once", method: "POST", flaky: &httpfake.Flaky{Fail: 1, Status: 503}, wantErr: "503 Service Unavailable", wantSeen: 1},
		{name: "POST, dropped, checked absent: sent again", method: "POST", check: true, flaky: &httpfake.Flaky{Fail: 1, How: httpfake.Drop}, wantSeen: 2, wantWritten: 1},
		{name: "POST, answer lost, checked present: not sent again", method: "POST", check: true, flaky: &httpfake.Flaky{Fail: 1, How: httpfake.Lost}, wantSeen: 1, wantWritten: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := httpfake.NewStore(t, "")
			tc.flaky.Next, tc.flaky.Match = store, func(r *http.Request) bool { return r.Method != http.MethodGet }
			srv := httptest.NewServer(tc.flaky)
			defer srv.Close()
			tgt := Target{URL: srv.URL + "/files/app.zip", Method: tc.method, Retry: httpdo.Retry{Sleep: noSleep}}
			if tc.check {
				tgt.CheckURL = tgt.URL
				if tc.method == "POST" {
					tgt.URL, tgt.CheckURL = srv.URL+"/upload", srv.URL+"/upload/app.zip"
				}
			}
			var log bytes.Buffer
			res, err := Upload(context.Background(), file, tgt, &log)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want %q", err, tc.wantErr)
				}
			} else if err != nil || !res.Changed {
				t.Fatalf("got %+v, %v", res, err)
			}
			if tc.flaky.Seen() != tc.wantSeen || store.Writes() != tc.wantWritten {
				t.Errorf("%d writes sent, %d stored; want %d and %d\n%s", tc.flaky.Seen(), store.Writes(), tc.wantSeen, tc.wantWritten, log.String())
			}
		})
	}
}
