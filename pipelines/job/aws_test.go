package job

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/mototest"
	"github.com/monopipe/monopipe/pipelines/awsconf"
	"github.com/monopipe/monopipe/pipelines/publish"
)

// TestExchangeAWS: a run exchanges its OIDC token for session credentials
// at the start (GitHub's tokens expire within minutes), keeps the token on
// the redaction list, and when STS refuses (a branch the role does not
// trust) only warns, without showing the token, and keeps the token for a
// later attempt.
func TestExchangeAWS(t *testing.T) {
	proxy := mototest.NewProxy(t, mototest.Start(t))
	t.Setenv("AWS_REGION", mototest.Region)
	old := stsEndpoint
	stsEndpoint = proxy.URL
	t.Cleanup(func() { stsEndpoint = old })
	ctx := context.Background()
	token := mototest.OIDCToken(t, "repo:org/repo:ref:refs/heads/main")
	role := "arn:aws:iam::123456789012:role/ci-exchange"

	s := Secrets{Publish: publish.Secrets{AWS: awsconf.Credentials{RoleARN: role, WebIdentityToken: token}}}
	var log bytes.Buffer
	s.exchangeAWS(ctx, &log)
	got := s.Publish.AWS
	if !strings.HasPrefix(got.AccessKeyID, "ASIA") || got.SecretAccessKey == "" || got.SessionToken == "" || got.WebIdentityToken != "" || got.RoleARN != "" {
		t.Fatalf("after the exchange: %v (token kept %t); log:\n%s", got, got.WebIdentityToken != "", log.String())
	}
	for _, v := range []string{token, got.SecretAccessKey, got.SessionToken} {
		if !slices.Contains(s.values(), v) {
			t.Errorf("a secret is missing from the redaction list")
		}
	}
	if err := got.Validate(); err != nil {
		t.Error(err)
	}

	proxy.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity with %s</Message></Error><RequestId>1</RequestId></ErrorResponse>`, r.FormValue("WebIdentityToken"))
		return true
	})
	other := mototest.OIDCToken(t, "repo:org/repo:ref:refs/heads/feature")
	refused := Secrets{Publish: publish.Secrets{AWS: awsconf.Credentials{RoleARN: role + "-2", WebIdentityToken: other}}}
	log.Reset()
	refused.exchangeAWS(ctx, &log)
	if refused.Publish.AWS.WebIdentityToken != other || !strings.Contains(log.String(), "warning: AWS:") || !strings.Contains(log.String(), "AccessDenied") {
		t.Errorf("refused exchange: credentials %v; log:\n%s", refused.Publish.AWS, log.String())
	}
	if strings.Contains(log.String(), other) || strings.Contains(log.String(), token) {
		t.Errorf("the log shows a token:\n%s", log.String())
	}
}
