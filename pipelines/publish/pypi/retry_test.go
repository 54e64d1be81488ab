package pypi

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/monopipe/monopipe/internal/httpfake"
	"github.com/monopipe/monopipe/pipelines/publish/httpdo"
)

// TestUploadRetries: the upload POST is sent again only when the simple
// index shows the failed attempt did not store the file; never without a
// simple URL. Index reads are retried.
func TestUploadRetries(t *testing.T) {
	const user, pass = "__token__", "pypi-retry-SECRET"
	noSleep := func(context.Context, time.Duration) error { return nil }
	for _, tc := range []struct {
		name        string
		simple      bool
		flaky       *httpfake.Flaky
		wantErr     string
		wantSeen    int
		wantUploads int
	}{
		{name: "answer lost, the index has it", simple: true, flaky: &httpfake.Flaky{Match: httpfake.Method("POST"), Fail: 1, How: httpfake.Lost}, wantSeen: 1, wantUploads: 1},
		{name: "dropped, the index lacks it: sent again", simple: true, flaky: &httpfake.Flaky{Match: httpfake.Method("POST"), Fail: 1, How: httpfake.Drop}, wantSeen: 2, wantUploads: 1},
		{name: "502 twice, sent again", simple: true, flaky: &httpfake.Flaky{Match: httpfake.Method("POST"), Fail: 2, Status: 502}, wantSeen: 3, wantUploads: 1},
		{name: "no simple URL: sent once", flaky: &httpfake.Flaky{Match: httpfake.Method("POST"), Fail: 1, Status: 503}, wantErr: "503 Service Unavailable", wantSeen: 1},
		{name: "index reads retried", simple: true, flaky: &httpfake.Flaky{Match: httpfake.Method("GET"), Fail: 2, Status: 500}, wantSeen: 3, wantUploads: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeIndex{user: user, pass: pass, files: map[string][]byte{}, projects: map[string][]string{}}
			tc.flaky.Next = fake
			srv := httptest.NewServer(tc.flaky)
			defer srv.Close()
			idx := Index{UploadURL: srv.URL + "/legacy/", Username: user, Password: pass, Retry: httpdo.Retry{Sleep: noSleep}}
			if tc.simple {
				idx.SimpleURL = srv.URL + "/simple/"
			}
			d, err := ReadDist(writeWheel(t, "my-lib", "1.0.0", "one"))
			if err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			res, err := Upload(context.Background(), idx, d, &log)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want %q", err, tc.wantErr)
				}
			} else if err != nil || !res.Changed {
				t.Fatalf("got %+v, %v", res, err)
			}
			if tc.flaky.Seen() != tc.wantSeen || fake.uploads != tc.wantUploads {
				t.Errorf("%d requests failed or passed, %d uploads stored; want %d and %d\n%s", tc.flaky.Seen(), fake.uploads, tc.wantSeen, tc.wantUploads, log.String())
			}
			if strings.Contains(log.String(), pass) || err != nil && strings.Contains(err.Error(), pass) {
				t.Error("the password shows")
			}
		})
	}
}
