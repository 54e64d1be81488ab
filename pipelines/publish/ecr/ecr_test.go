package ecr_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/mototest"
	"github.com/monopipe/monopipe/internal/ocitest"
	"github.com/monopipe/monopipe/pipelines/publish/ecr"
	"github.com/monopipe/monopipe/pipelines/publish/oci"
)

func TestParseHost(t *testing.T) {
	for host, want := range map[string][2]string{
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com":      {"123456789012", "eu-west-1"},
		"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com": {"123456789012", "us-east-1"},
		"ghcr.io":                   {},
		"127.0.0.1:5000":            {},
		"1.dkr.ecr.x.amazonaws.com": {},
	} {
		acct, region, ok := ecr.ParseHost(host)
		if ok != (want[0] != "") || acct != want[0] || region != want[1] {
			t.Errorf("ParseHost(%q) = %q %q %v", host, acct, region, ok)
		}
	}
}

// TestLoginCreateAndPush gets registry credentials and creates the
// repository in moto's ECR, then pushes with those credentials to an
// in-process registry that demands them (moto has no registry protocol).
func TestLoginCreateAndPush(t *testing.T) {
	cfg := mototest.Config(t, mototest.Start(t))
	ctx := context.Background()

	host, auth, err := ecr.Login(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if host != "123456789012.dkr.ecr.us-east-1.amazonaws.com" || auth.Username != "AWS" || auth.Password == "" {
		t.Fatalf("login: host %q user %q", host, auth.Username)
	}

	if _, err := ecr.EnsureRepository(ctx, cfg, "", "team/api", false); err == nil || !strings.Contains(err.Error(), "createRepository") {
		t.Fatalf("missing repository without create: %v", err)
	}
	for i, wantCreated := range []bool{true, false} {
		created, err := ecr.EnsureRepository(ctx, cfg, "", "team/api", true)
		if err != nil || created != wantCreated {
			t.Fatalf("EnsureRepository #%d: created %v, %v", i, created, err)
		}
	}

	reg := ocitest.NewRegistry(t, auth.Username, auth.Password)
	img, err := oci.Load(ocitest.RandomImage(t))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	var log bytes.Buffer
	if _, err := oci.Push(ctx, img, oci.Target{Repository: reg.Host + "/team/api", Auth: auth}, []oci.Tag{{Name: "abcdef0"}}, &log); err != nil {
		t.Fatal(err)
	}
	reg.AssertTags(t, "team/api", img.Digest, "abcdef0")
	if strings.Contains(log.String(), auth.Password) || strings.Contains(log.String(), mototest.Credentials.SecretAccessKey) {
		t.Errorf("log shows a secret: %s", log.String())
	}
}
