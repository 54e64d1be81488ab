package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/internal/mototest"
	"github.com/monopipe/monopipe/internal/ocitest"
	"github.com/monopipe/monopipe/pipelines/deploy"
	"github.com/monopipe/monopipe/pipelines/publish/oci"
)

// TestPromote runs `monopipe promote` as release.yml's promote job does,
// against an in-process registry behind basic auth: the password comes
// from env://, the image gets the new tag by digest, and no output shows
// the password; bad flags fail naming the flag.
func TestPromote(t *testing.T) {
	const password = "SECRET-registry-0007"
	reg := ocitest.NewRegistry(t, "ci", password)
	repo := gittest.New(t)
	repo.Commit("init", map[string]string{
		"monopipe.yaml":      "publish:\n  image:\n    registry: " + reg.Host + "\n    repository: team/{name}\n",
		"api/component.yaml": "name: api\nkind: go\n",
	})
	img, err := oci.Load(ocitest.RandomImage(t))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	tgt := oci.Target{Repository: reg.Host + "/team/api", Auth: &authn.Basic{Username: "ci", Password: password}}
	if _, err := oci.Push(context.Background(), img, tgt, []oci.Tag{{Name: "1.2.3", Immutable: true}}, io.Discard); err != nil {
		t.Fatal(err)
	}
	t.Setenv("REGISTRY_PASSWORD", password)

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"promote", []string{"--component", "api", "--version", "1.2.3", "--to", "stable", "--registry-username", "ci", "--registry-password", "env://REGISTRY_PASSWORD"}, 0,
			"api 1.2.3 promoted to stable: " + reg.Host + "/team/api@" + img.Digest.String(), ""},
		{"wrong password", []string{"--component", "api", "--version", "1.2.3", "--to", "prod", "--registry-username", "ci", "--registry-password", "env://HOME"}, 1, "", "401 Unauthorized"},
		{"missing flag", []string{"--component", "api", "--to", "prod"}, 2, "", "monopipe promote: --version is required"},
		{"password in clear", []string{"--component", "api", "--version", "1.2.3", "--to", "prod", "--registry-password", password}, 2, "", "--registry-password: want env://NAME or file://PATH"},
		{"not a promote flag", []string{"--component", "api", "--version", "1.2.3", "--to", "prod", "--cache-registry", "x"}, 2, "", "flag provided but not defined: -cache-registry"},
		{"token without repo", []string{"--component", "api", "--from", "dev", "--to", "prod", "--github-token", "env://REGISTRY_PASSWORD"}, 2, "", "--github-token needs --repo owner/name"},
		{"token in clear", []string{"--component", "api", "--from", "dev", "--to", "prod", "--repo", "a/b", "--github-token", password}, 2, "", "--github-token: want env://NAME or file://PATH"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append([]string{"promote", "--source", repo.Dir}, tc.args...), &out, &errb)
			if code != tc.code || !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out.String(), errb.String(), tc.code, tc.stdout, tc.stderr)
			}
			if strings.Contains(out.String()+errb.String(), password) {
				t.Error("the password shows")
			}
		})
	}
	reg.AssertTags(t, "team/api", img.Digest, "stable")
}

// TestPromoteEnvironments runs `monopipe promote --from --to` and
// `monopipe rollback` against moto: staging gets exactly the image dev
// runs, by digest, and goes back.
func TestPromoteEnvironments(t *testing.T) {
	endpoint := mototest.Start(t)
	role := mototest.CreateLambdaRole(t, endpoint, "lambda-exec")
	client := lambda.NewFromConfig(mototest.Config(t, endpoint))
	repo := gittest.New(t)
	head := repo.Commit("init", map[string]string{
		"monopipe.yaml": "deploy:\n  lambda: {region: us-east-1, endpoint: \"" + endpoint + "\"}\nenvironments:\n" +
			"  - name: dev\n    deploy: {lambda: {function: \"{component}-dev\"}}\n  - name: staging\n    deploy: {lambda: {function: \"{component}-staging\"}}\n",
		"api/component.yaml": "name: api\nkind: go\n",
	})
	image := func(seed string) string {
		return "123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:" + strings.Repeat(seed, 64)
	}
	ctx := context.Background()
	for _, env := range []string{"dev", "staging"} {
		out, err := client.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("api-" + env), Role: aws.String(role),
			PackageType: types.PackageTypeImage, Code: &types.FunctionCode{ImageUri: aws.String(image("0"))}})
		if err != nil {
			t.Fatal(err)
		}
		if env == "dev" { // what a deploy to dev records
			if _, err := client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("api-dev"), ImageUri: aws.String(image("1"))}); err != nil {
				t.Fatal(err)
			}
			if _, err := client.TagResource(ctx, &lambda.TagResourceInput{Resource: out.FunctionArn,
				Tags: map[string]string{deploy.TagCommit: head, deploy.TagCode: image("1")}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Setenv("AWS_KEY", mototest.Credentials.AccessKeyID)
	t.Setenv("AWS_SECRET", mototest.Credentials.SecretAccessKey)
	creds := []string{"--aws-access-key-id", "env://AWS_KEY", "--aws-secret-access-key", "env://AWS_SECRET"}
	for _, tc := range []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
		staging        string
	}{
		{"version and from", []string{"promote", "--component", "api", "--from", "dev", "--to", "staging", "--version", "1.0.0"}, 2, "", "do not go together", ""},
		{"rollback needs env", []string{"rollback", "--component", "api"}, 2, "", "monopipe rollback: --env is required", ""},
		{"nothing to roll back", append([]string{"rollback", "--component", "api", "--env", "staging"}, creds...), 1, "", "no previous deploy is recorded", image("0")},
		{"promote", append([]string{"promote", "--component", "api", "--from", "dev", "--to", "staging"}, creds...), 0, "api staging: promoted from dev", "", image("1")},
		{"unknown env", append([]string{"promote", "--component", "api", "--from", "dev", "--to", "prod"}, creds...), 1, "", `no environment "prod" (environments: dev, staging)`, image("1")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(ctx, append([]string{tc.args[0], "--source", repo.Dir}, tc.args[1:]...), &out, &errb)
			if code != tc.code || !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out.String(), errb.String(), tc.code, tc.stdout, tc.stderr)
			}
			if strings.Contains(out.String()+errb.String(), mototest.Credentials.SecretAccessKey) {
				t.Error("the secret key shows")
			}
			if tc.staging != "" {
				fn, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("api-staging")})
				if err != nil || aws.ToString(fn.Code.ImageUri) != tc.staging {
					t.Errorf("staging runs %v (%v), want %s", fn.Code, err, tc.staging)
				}
			}
		})
	}
}
