package s3put_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/monopipe/monopipe/internal/mototest"
	"github.com/monopipe/monopipe/pipelines/publish/s3put"
)

func TestUpload(t *testing.T) {
	proxy := mototest.NewProxy(t, mototest.Start(t))
	client := s3put.NewClient(mototest.Config(t, proxy.URL))
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("artifacts")}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	v1, v2 := filepath.Join(dir, "v1.zip"), filepath.Join(dir, "v2.zip")
	os.WriteFile(v1, []byte("zip one"), 0o644)
	os.WriteFile(v2, []byte("zip two"), 0o644)
	sum1, _ := s3put.FileSHA256(v1)
	versioned := s3put.Object{Bucket: "artifacts", Key: "api/1.0.0/api.zip"}
	moving := s3put.Object{Bucket: "artifacts", Key: "api/main/api.zip", Overwrite: true}
	var log bytes.Buffer

	for _, tc := range []struct {
		name        string
		file        string
		obj         s3put.Object
		wantChanged bool
		wantErr     string
		wantBody    string
	}{
		{name: "first publish", file: v1, obj: versioned, wantChanged: true, wantBody: "zip one"},
		{name: "same content", file: v1, obj: versioned, wantBody: "zip one"},
		{name: "different content at a version", file: v2, obj: versioned, wantErr: "exists with other content (sha256 \"" + sum1 + "\"", wantBody: "zip one"},
		{name: "moving key first", file: v1, obj: moving, wantChanged: true, wantBody: "zip one"},
		{name: "moving key overwritten", file: v2, obj: moving, wantChanged: true, wantBody: "zip two"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writes := proxy.Writes.Load()
			res, err := s3put.Upload(ctx, client, tc.file, tc.obj, &log)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
			} else if err != nil || res.Changed != tc.wantChanged || res.URI != tc.obj.URI() {
				t.Fatalf("got %+v, %v", res, err)
			}
			if !tc.wantChanged && proxy.Writes.Load() != writes {
				t.Errorf("made %d writes", proxy.Writes.Load()-writes)
			}
			out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &tc.obj.Bucket, Key: &tc.obj.Key})
			if err != nil {
				t.Fatal(err)
			}
			var body bytes.Buffer
			body.ReadFrom(out.Body)
			if body.String() != tc.wantBody {
				t.Errorf("object holds %q, want %q", body.String(), tc.wantBody)
			}
		})
	}
	if strings.Contains(log.String(), mototest.Credentials.SecretAccessKey) {
		t.Error("log shows the secret key")
	}
}
