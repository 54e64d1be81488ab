// Package mototest starts a real moto_server (a local AWS: S3, ECR, Lambda,
// IAM, STS) for tests, on a free loopback port, stopped at cleanup.
package mototest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/monopipe/monopipe/internal/localsvc"
	"github.com/monopipe/monopipe/pipelines/awsconf"
)

// Region is the region tests use.
const Region = "us-east-1"

// Fake static credentials; moto accepts any. Tests search output for
// Credentials.SecretAccessKey to prove it never leaks.
var Credentials = awsconf.Credentials{
	AccessKeyID:     "AKIAIOSFODNN7EXAMPLE",
	SecretAccessKey: "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",
}

// Start runs moto_server and returns its endpoint URL. env adds environment
// variables (KEY=value). The test is skipped when moto_server is absent.
func Start(tb testing.TB, env ...string) string {
	tb.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		tb.Skip("moto_server not installed (pip install 'moto[server]'): skipping AWS tests")
	}
	port, err := localsvc.FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Env = append(os.Environ(), env...)
	logf, err := os.CreateTemp(tb.TempDir(), "moto-*.log")
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start moto_server: %v", err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := localsvc.WaitHTTP(url+"/moto-api/", 30*time.Second); err != nil {
		log, _ := os.ReadFile(logf.Name())
		tb.Fatalf("moto_server: %v\n%s", err, log)
	}
	return url
}

// Config is an aws.Config for the moto at endpoint, with fake credentials.
func Config(tb testing.TB, endpoint string) aws.Config {
	tb.Helper()
	cfg, err := awsconf.Load(context.Background(), awsconf.Options{Region: Region, Endpoint: endpoint, Credentials: Credentials})
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// CreateLambdaRole creates an IAM role that Lambda may assume and returns
// its ARN. It speaks IAM's query API directly, unsigned (moto does not check
// signatures by default), so tests need no IAM client.
func CreateLambdaRole(tb testing.TB, endpoint, name string) string {
	tb.Helper()
	form := url.Values{
		"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {name},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
	}
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(form.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// moto routes by the credential scope's service name.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+Credentials.AccessKeyID+"/20260101/"+Region+"/iam/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("create role %s: %v", name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("create role %s: %s\n%s", name, resp.Status, body)
	}
	return "arn:aws:iam::123456789012:role/" + name
}

// OIDCToken makes a JWT shaped like the OIDC tokens GitHub Actions and
// CircleCI issue (issuer, subject, audience sts.amazonaws.com), with a
// random signature: moto does not verify tokens, it only needs one. Each
// call gives a new token, so tests can search output for it.
func OIDCToken(tb testing.TB, subject string) string {
	tb.Helper()
	sig := make([]byte, 32)
	if _, err := rand.Read(sig); err != nil {
		tb.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	header := enc([]byte(`{"alg":"RS256","typ":"JWT","kid":"test"}`))
	claims := enc(fmt.Appendf(nil, `{"iss":"https://token.actions.githubusercontent.com","sub":%q,"aud":"sts.amazonaws.com","iat":%d,"exp":%d,"jti":%q}`,
		subject, time.Now().Unix(), time.Now().Add(time.Hour).Unix(), enc(sig[:8])))
	return header + "." + claims + "." + enc(sig)
}
