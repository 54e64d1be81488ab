package generic

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/httpfake"
)

func TestUpload(t *testing.T) {
	const token = "generic-upload-token-SECRET"
	srv := httpfake.NewStore(t, token)

	dir := t.TempDir()
	v1, v2 := filepath.Join(dir, "app-v1.zip"), filepath.Join(dir, "app.zip")
	os.WriteFile(v1, []byte("one"), 0o644)
	os.WriteFile(v2, []byte("two"), 0o644)
	put := Target{URL: srv.URL + "/files/app/1.0.0/app.zip", CheckURL: srv.URL + "/files/app/1.0.0/app.zip", Token: token}
	overwrite := put
	overwrite.Overwrite = true
	post := Target{URL: srv.URL + "/upload/app", Method: "POST", CheckURL: srv.URL + "/upload/app/app.zip", Token: token}
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
			if srv.Writes() != tc.wantWrites {
				t.Errorf("server saw %d writes, want %d", srv.Writes(), tc.wantWrites)
			}
			if tc.wantPath != "" && srv.File(tc.wantPath) != tc.wantBody {
				t.Errorf("%s holds %q, want %q", tc.wantPath, srv.File(tc.wantPath), tc.wantBody)
			}
		})
	}
	if strings.Contains(log.String(), token) {
		t.Error("the log shows the token")
	}
}
