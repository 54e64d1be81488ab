package awsconf_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/mototest"
	"github.com/monopipe/monopipe/pipelines/awsconf"
)

func TestLoad(t *testing.T) {
	endpoint := mototest.Start(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		opts       awsconf.Options
		wantKeyPfx string
	}{
		{name: "static", opts: awsconf.Options{Region: "eu-west-1", Endpoint: endpoint, Credentials: mototest.Credentials}, wantKeyPfx: mototest.Credentials.AccessKeyID},
		{name: "session token", opts: awsconf.Options{Region: "eu-west-1", Endpoint: endpoint, Credentials: awsconf.Credentials{
			AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: mototest.Credentials.SecretAccessKey, SessionToken: "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"}}, wantKeyPfx: "ASIA"},
		{name: "role with static keys (--aws-role-arn and keys)", opts: awsconf.Options{Region: "eu-west-1", Endpoint: endpoint, Credentials: awsconf.Credentials{
			AccessKeyID: mototest.Credentials.AccessKeyID, SecretAccessKey: mototest.Credentials.SecretAccessKey, RoleARN: "arn:aws:iam::123456789012:role/ci"}}, wantKeyPfx: "ASIA"},
		{name: "assume role", opts: awsconf.Options{Region: "eu-west-1", Endpoint: endpoint, Credentials: mototest.Credentials,
			RoleARN: "arn:aws:iam::123456789012:role/deployer"}, wantKeyPfx: "ASIA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := awsconf.Load(ctx, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != "eu-west-1" || *cfg.BaseEndpoint != endpoint {
				t.Errorf("region %q endpoint %q", cfg.Region, *cfg.BaseEndpoint)
			}
			creds, err := cfg.Credentials.Retrieve(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(creds.AccessKeyID, tc.wantKeyPfx) {
				t.Errorf("access key %q, want prefix %q", creds.AccessKeyID, tc.wantKeyPfx)
			}
			if want := tc.opts.Credentials.SessionToken; want != "" && creds.SessionToken != want {
				t.Errorf("session token not passed on")
			}
		})
	}
}

func TestLoadNoRegion(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	_, err := awsconf.Load(context.Background(), awsconf.Options{})
	if err == nil || !strings.Contains(err.Error(), "no region") {
		t.Fatalf("got %v, want a no-region error", err)
	}
}

func TestCredentialsNeverPrinted(t *testing.T) {
	o := awsconf.Options{Region: "x", Credentials: mototest.Credentials}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, o)
		if strings.Contains(out, mototest.Credentials.SecretAccessKey) {
			t.Errorf("%s of Options shows the secret key: %s", format, out)
		}
	}
}
