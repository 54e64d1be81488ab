package deploy

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/monopipe/monopipe/internal/mototest"
	"github.com/monopipe/monopipe/pipelines/awsconf"
)

// imageURI is a repository pinned at a digest made from seed.
func imageURI(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return "123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:" + hex.EncodeToString(sum[:])
}

// makeZip writes a zip holding one handler whose body is content.
func makeZip(t testing.TB, content string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("index.py")
	fmt.Fprintf(w, "def handler(event, context):\n    return %q\n", content)
	zw.Close()
	p := filepath.Join(t.TempDir(), "fn.zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// lambdaEnv is moto behind a proxy, with an image function and a zip
// function.
type lambdaEnv struct {
	// endpoint is moto's own.
	endpoint string
	proxy    *mototest.Proxy
	client   *lambda.Client
	cfg      aws.Config
}

func newLambdaEnv(tb testing.TB) *lambdaEnv {
	tb.Helper()
	endpoint := mototest.Start(tb)
	role := mototest.CreateLambdaRole(tb, endpoint, "lambda-exec")
	proxy := mototest.NewProxy(tb, endpoint)
	cfg := mototest.Config(tb, proxy.URL)
	e := &lambdaEnv{endpoint: endpoint, proxy: proxy, client: lambda.NewFromConfig(cfg), cfg: cfg}
	ctx := context.Background()
	_, err := e.client.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("api-img"), Role: aws.String(role), PackageType: types.PackageTypeImage,
		Code: &types.FunctionCode{ImageUri: aws.String(imageURI("initial"))},
	})
	if err != nil {
		tb.Fatal(err)
	}
	zipData, _ := os.ReadFile(makeZip(tb, "initial"))
	_, err = e.client.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("api-zip"), Role: aws.String(role), Runtime: types.RuntimePython312, Handler: aws.String("index.handler"),
		Code: &types.FunctionCode{ZipFile: zipData},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func TestLambda(t *testing.T) {
	e := newLambdaEnv(t)
	ctx := context.Background()
	s3c := s3.NewFromConfig(e.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("artifacts")}); err != nil {
		t.Fatal(err)
	}
	s3Zip := makeZip(t, "from s3")
	s3Data, _ := os.ReadFile(s3Zip)
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("artifacts"), Key: aws.String("api/1.0.0/api.zip"), Body: bytes.NewReader(s3Data)}); err != nil {
		t.Fatal(err)
	}
	s3Sum := sha256.Sum256(s3Data)
	inline := makeZip(t, "inline")
	var log bytes.Buffer

	for _, tc := range []struct {
		name        string
		req         Request
		wantSkipped bool
		wantVersion string
		wantImage   string
	}{
		{name: "image update, version, alias", req: Request{Function: "api-img", Code: Code{ImageURI: imageURI("v2")}, PublishVersion: true, Alias: "live"},
			wantVersion: "1", wantImage: imageURI("v2")},
		{name: "image unchanged", req: Request{Function: "api-img", Code: Code{ImageURI: imageURI("v2")}, PublishVersion: true, Alias: "live"},
			wantSkipped: true, wantVersion: "1", wantImage: imageURI("v2")},
		{name: "image unchanged, no alias", req: Request{Function: "api-img", Code: Code{ImageURI: imageURI("v2")}}, wantSkipped: true},
		{name: "zip inline", req: Request{Function: "api-zip", Code: Code{ZipFile: inline}}},
		{name: "zip inline unchanged", req: Request{Function: "api-zip", Code: Code{ZipFile: inline}}, wantSkipped: true},
		{name: "zip from s3, alias on $LATEST", req: Request{Function: "api-zip", Code: Code{S3Bucket: "artifacts", S3Key: "api/1.0.0/api.zip", SHA256: hex.EncodeToString(s3Sum[:])}, Alias: "live"}},
		{name: "zip from s3 unchanged", req: Request{Function: "api-zip", Code: Code{S3Bucket: "artifacts", S3Key: "api/1.0.0/api.zip", SHA256: hex.EncodeToString(s3Sum[:])}, Alias: "live"}, wantSkipped: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Component = "api"
			tc.req.RetryDelay = 10 * time.Millisecond
			writes := e.proxy.Writes.Load()
			res, err := Lambda(ctx, e.client, tc.req, &log)
			if err != nil {
				t.Fatal(err)
			}
			if res.Skipped != tc.wantSkipped || res.Version != tc.wantVersion {
				t.Fatalf("got %+v", res)
			}
			if tc.wantSkipped && e.proxy.Writes.Load() != writes {
				t.Errorf("a skipped deploy made %d writes", e.proxy.Writes.Load()-writes)
			}
			fn, err := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: &tc.req.Function})
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantImage != "" && aws.ToString(fn.Code.ImageUri) != tc.wantImage {
				t.Errorf("function runs %s, want %s", aws.ToString(fn.Code.ImageUri), tc.wantImage)
			}
			if fn.Configuration.LastUpdateStatus != types.LastUpdateStatusSuccessful {
				t.Errorf("LastUpdateStatus %s", fn.Configuration.LastUpdateStatus)
			}
			if tc.req.Code.ZipFile != "" || tc.req.Code.S3Bucket != "" {
				if got := aws.ToString(fn.Configuration.CodeSha256); got != res.CodeSHA256 {
					t.Errorf("function code sha %s, result says %s", got, res.CodeSHA256)
				}
			}
			if tc.req.Alias != "" {
				alias, err := e.client.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &tc.req.Function, Name: &tc.req.Alias})
				want := tc.wantVersion
				if want == "" {
					want = "$LATEST"
				}
				if err != nil || aws.ToString(alias.FunctionVersion) != want {
					t.Errorf("alias %s: %v, %v; want version %s", tc.req.Alias, alias, err, want)
				}
			}
		})
	}
	if !strings.Contains(log.String(), "lambda api-img: unchanged: the function already runs this code") {
		t.Errorf("the log does not say that the deploy was skipped:\n%s", log.String())
	}
	if strings.Contains(log.String(), mototest.Credentials.SecretAccessKey) {
		t.Error("the log shows the secret key")
	}
}

func TestLambdaConflictRetry(t *testing.T) {
	e := newLambdaEnv(t)
	var conflicts atomic.Int64
	conflictOnCodeUpdates := func(limit int64) func(w http.ResponseWriter, r *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/code") && conflicts.Load() < limit {
				conflicts.Add(1)
				mototest.WriteAWSError(w, http.StatusConflict, "ResourceConflictException",
					"The operation cannot be performed at this time. An update is in progress for resource: api-img")
				return true
			}
			return false
		}
	}
	var log bytes.Buffer
	req := Request{Component: "api", Function: "api-img", Code: Code{ImageURI: imageURI("v3")}, RetryDelay: 10 * time.Millisecond, Timeout: time.Minute}

	e.proxy.Intercept(conflictOnCodeUpdates(1))
	res, err := Lambda(context.Background(), e.client, req, &log)
	if err != nil || res.Skipped || conflicts.Load() != 1 {
		t.Fatalf("got %+v, %v after %d conflicts", res, err, conflicts.Load())
	}
	if !strings.Contains(log.String(), "UpdateFunctionCode: an update is in progress (ResourceConflictException), retrying") {
		t.Errorf("log: %s", log.String())
	}

	// A conflict that outlasts the timeout fails, naming everything.
	conflicts.Store(0)
	e.proxy.Intercept(conflictOnCodeUpdates(1 << 30))
	req.Code.ImageURI, req.Timeout = imageURI("v4"), 100*time.Millisecond
	_, err = Lambda(context.Background(), e.client, req, &log)
	for _, want := range []string{"deploy api", "lambda api-img", "UpdateFunctionCode failed (ResourceConflictException)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not contain %q", err, want)
		}
	}
	if conflicts.Load() < 2 {
		t.Errorf("only %d tries before giving up", conflicts.Load())
	}
}

func TestLambdaErrors(t *testing.T) {
	e := newLambdaEnv(t)
	zipFile := makeZip(t, "x")
	for _, tc := range []struct {
		name string
		req  Request
		cfg  func() aws.Config
		want []string
	}{
		{name: "missing function", req: Request{Function: "nope", Code: Code{ZipFile: zipFile}},
			want: []string{"deploy api: lambda nope: GetFunction failed (ResourceNotFoundException)"}},
		{name: "image by tag", req: Request{Function: "api-img", Code: Code{ImageURI: "repo/api:latest"}},
			want: []string{"not pinned by digest"}},
		{name: "no code", req: Request{Function: "api-img"}, want: []string{"no code to deploy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Component = "api"
			_, err := Lambda(context.Background(), e.client, tc.req, &bytes.Buffer{})
			for _, want := range tc.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("error %v does not contain %q", err, want)
				}
			}
		})
	}
}

// TestLambdaWrongCredentials runs moto with authentication on: an unknown
// access key is refused, and the secret key shows nowhere. (moto answers
// Lambda's REST-JSON calls with an XML error body here, so the SDK cannot
// read the error code; the HTTP status is named instead.)
func TestLambdaWrongCredentials(t *testing.T) {
	endpoint := mototest.Start(t, "INITIAL_NO_AUTH_ACTION_COUNT=0")
	wrong := awsconf.Credentials{AccessKeyID: "AKIAWRONGWRONGWRONG1", SecretAccessKey: "wrong/Secret+Key0123456789abcdefghijklmn"}
	cfg, err := awsconf.Load(context.Background(), awsconf.Options{Region: mototest.Region, Endpoint: endpoint, Credentials: wrong})
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	_, err = Lambda(context.Background(), lambda.NewFromConfig(cfg), Request{Component: "api", Function: "api-img", Code: Code{ImageURI: imageURI("x")}}, &log)
	if err == nil || !strings.Contains(err.Error(), "GetFunction failed (HTTP 403)") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error()+log.String(), wrong.SecretAccessKey) {
		t.Errorf("the secret key shows in the error or log: %v", err)
	}
}
