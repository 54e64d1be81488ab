package awsconf_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/monopipe/monopipe/internal/mototest"
	"github.com/monopipe/monopipe/pipelines/awsconf"
)

// stsLog records the STS requests that pass through a mototest.Proxy.
type stsLog struct {
	mu       sync.Mutex
	requests []stsRequest
}

type stsRequest struct {
	form   url.Values
	signed bool
}

func (l *stsLog) watch(p *mototest.Proxy, reject func(w http.ResponseWriter, form url.Values) bool) {
	p.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if !strings.HasPrefix(form.Get("Action"), "AssumeRole") {
			return false
		}
		l.mu.Lock()
		l.requests = append(l.requests, stsRequest{form: form, signed: r.Header.Get("Authorization") != ""})
		l.mu.Unlock()
		return reject != nil && reject(w, form)
	})
}

func (l *stsLog) actions() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.requests {
		out = append(out, r.form.Get("Action"))
	}
	return out
}

// TestWebIdentity exchanges an OIDC token made by the test for a role's
// short-lived credentials on moto's STS (AssumeRoleWithWebIdentity,
// unsigned), uses them for real S3 calls, assumes a manifest's role on
// top, and exchanges the token once for several configs.
func TestWebIdentity(t *testing.T) {
	proxy := mototest.NewProxy(t, mototest.Start(t))
	var log stsLog
	log.watch(proxy, nil)
	ctx := context.Background()
	token := mototest.OIDCToken(t, "repo:org/repo:ref:refs/heads/main")
	creds := awsconf.Credentials{RoleARN: "arn:aws:iam::123456789012:role/ci-deployer", WebIdentityToken: token, SessionName: "run-42"}
	load := func(o awsconf.Options) aws.Config {
		t.Helper()
		o.Region, o.Endpoint, o.Credentials = mototest.Region, proxy.URL, creds
		cfg, err := awsconf.Load(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	cfg := load(awsconf.Options{})
	got, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.AccessKeyID, "ASIA") || got.SessionToken == "" || !got.CanExpire {
		t.Errorf("credentials %s (session token %t, expire %t): want short-lived role credentials", got.AccessKeyID, got.SessionToken != "", got.CanExpire)
	}
	log.mu.Lock()
	if len(log.requests) != 1 {
		t.Fatalf("STS requests %v, want one AssumeRoleWithWebIdentity", log.actions())
	}
	r := log.requests[0]
	log.mu.Unlock()
	if r.form.Get("Action") != "AssumeRoleWithWebIdentity" || r.form.Get("WebIdentityToken") != token ||
		r.form.Get("RoleArn") != creds.RoleARN || r.form.Get("RoleSessionName") != "run-42" || r.signed {
		t.Errorf("STS got %s role %s session %s, token sent %t, signed %t",
			r.form.Get("Action"), r.form.Get("RoleArn"), r.form.Get("RoleSessionName"), r.form.Get("WebIdentityToken") == token, r.signed)
	}

	// A real call with the role's credentials.
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("artifacts")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("artifacts"), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		t.Fatal(err)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if arn := aws.ToString(id.Arn); !strings.HasSuffix(arn, ":assumed-role/ci-deployer/run-42") {
		t.Errorf("caller %s, want the web identity role", arn)
	}

	// Another config (another step, another service) reuses the exchange;
	// a manifest's role is assumed with the web identity role's keys.
	cfg2 := load(awsconf.Options{RoleARN: "arn:aws:iam::123456789012:role/ecr-pusher"})
	id, err = sts.NewFromConfig(cfg2).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if arn := aws.ToString(id.Arn); !strings.Contains(arn, ":assumed-role/ecr-pusher/") {
		t.Errorf("caller %s, want the manifest's role", arn)
	}
	if got := fmt.Sprint(log.actions()); got != "[AssumeRoleWithWebIdentity AssumeRole]" {
		t.Errorf("STS requests %s, want the token exchanged once, then the manifest's role assumed", got)
	}
	log.mu.Lock()
	if r := log.requests[1]; !r.signed || r.form.Get("RoleArn") != "arn:aws:iam::123456789012:role/ecr-pusher" {
		t.Errorf("AssumeRole for the manifest's role: signed %t, role %s", r.signed, r.form.Get("RoleArn"))
	}
	log.mu.Unlock()

	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(format, awsconf.Options{Credentials: creds}); strings.Contains(out, token) || strings.Contains(out, got.SecretAccessKey) {
			t.Errorf("%s of Options shows the token: %s", format, out)
		}
	}
}

// TestWebIdentityRejected: STS refuses a token (an expired one, a trust
// policy that does not match its subject) and echoes it back: the error
// says what happened, and Secrets lists the token for the callers that
// redact (pipelines/job's tests check the whole run's output).
func TestWebIdentityRejected(t *testing.T) {
	proxy := mototest.NewProxy(t, mototest.Start(t))
	var log stsLog
	log.watch(proxy, func(w http.ResponseWriter, form url.Values) bool {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>Incorrect token audience: %s</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
			form.Get("WebIdentityToken"))
		return true
	})
	token := mototest.OIDCToken(t, "repo:someone/else:ref:refs/heads/main")
	creds := awsconf.Credentials{RoleARN: "arn:aws:iam::123456789012:role/ci-deployer", WebIdentityToken: token}
	cfg, err := awsconf.Load(context.Background(), awsconf.Options{Region: mototest.Region, Endpoint: proxy.URL, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s3.NewFromConfig(cfg).ListBuckets(context.Background(), &s3.ListBucketsInput{})
	if err == nil || !strings.Contains(err.Error(), "InvalidIdentityToken") {
		t.Fatalf("got %v, want STS's InvalidIdentityToken", err)
	}
	if secrets := creds.Secrets(); len(secrets) != 1 || secrets[0] != token {
		t.Errorf("Secrets() = %d values, want the token", len(secrets))
	}
}

func TestCredentialsValidate(t *testing.T) {
	for _, tc := range []struct {
		c    awsconf.Credentials
		want string
	}{
		{awsconf.Credentials{AccessKeyID: "AKIA"}, "--aws-access-key-id and --aws-secret-access-key go together"},
		{awsconf.Credentials{SessionToken: "tok"}, "--aws-session-token needs --aws-access-key-id"},
		{awsconf.Credentials{WebIdentityToken: "jwt"}, "--aws-web-identity-token needs --aws-role-arn"},
		{awsconf.Credentials{WebIdentityToken: "jwt", RoleARN: "arn", AccessKeyID: "AKIA", SecretAccessKey: "s"}, "not both"},
		{awsconf.Credentials{WebIdentityToken: "jwt", RoleARN: "arn"}, ""},
		{awsconf.Credentials{AccessKeyID: "ASIA", SecretAccessKey: "s", SessionToken: "t"}, ""},
		{awsconf.Credentials{RoleARN: "arn"}, ""},
	} {
		err := tc.c.Validate()
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.c, err, tc.want)
		}
		if _, err := awsconf.Load(context.Background(), awsconf.Options{Region: "x", Credentials: tc.c}); tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Load %v: got %v, want %q", tc.c, err, tc.want)
		}
	}
}
