package job

import (
	"context"
	"fmt"
	"io"

	"github.com/monopipe/monopipe/pipelines/awsconf"
)

// stsEndpoint is the STS endpoint of the early exchange; "" is AWS's own
// (or AWS_ENDPOINT_URL_STS). Tests point it at moto.
var stsEndpoint = ""

// exchangeAWS trades an OIDC token for the role's session credentials at
// the start of a run, since GitHub's tokens expire within minutes and
// publishing comes after the build; the token stays on the redaction list.
// A failed exchange is a warning, not an error: a run that publishes
// nothing (a branch the role does not trust) must not fail for it, and a
// run that does publish tries again on first use and fails there with
// STS's answer.
func (s *Secrets) exchangeAWS(ctx context.Context, log io.Writer) {
	c := s.Publish.AWS
	if c.WebIdentityToken == "" {
		return
	}
	got, err := awsconf.Exchange(ctx, c, stsEndpoint)
	if err != nil {
		fmt.Fprintf(log, "warning: AWS: %v; trying again when AWS is first used\n", s.scrub(err))
		return
	}
	s.redact = append(s.redact, c.WebIdentityToken)
	s.Publish.AWS = got
	fmt.Fprintf(log, "AWS: role %s, short-lived credentials %s\n", c.RoleARN, got.AccessKeyID)
}
