package deploy

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/monopipe/monopipe/internal/mototest"
	"github.com/monopipe/monopipe/pipelines/manifest"
)

func TestRun(t *testing.T) {
	e := newLambdaEnv(t)
	ctx := context.Background()
	onMain := When{Branch: "main", BaseBranch: "main"}
	base := Input{
		Component: "api",
		Config: manifest.Deploy{Lambda: manifest.Lambda{Function: "api-img", Region: mototest.Region, Endpoint: e.proxy.URL,
			RoleARN: "arn:aws:iam::123456789012:role/deployer", PublishVersion: true, Alias: "live"}},
		When: onMain, Image: imageURI("run"), Credentials: mototest.Credentials, RetryDelay: 10 * time.Millisecond,
	}
	for _, tc := range []struct {
		name     string
		edit     func(*Input)
		dryRun   bool
		wantPlan string
		wantErr  string
		wantRan  bool
	}{
		{name: "not due on a branch", edit: func(in *Input) { in.When.Branch = "feat/x" },
			wantPlan: "no deploy: deploy.on is [base release] and this run is on branch feat/x"},
		{name: "no function", edit: func(in *Input) { in.Config.Lambda.Function = "" }, wantPlan: "no deploy: no deploy.lambda.function configured"},
		{name: "dry run", dryRun: true, wantPlan: "lambda api-img <- image " + imageURI("run") + " (on the base branch main)"},
		{name: "s3 code but no zip in S3", edit: func(in *Input) { in.Config.Lambda.Code = "s3" }, wantErr: "deploy.lambda.code is s3, but this build published no such code"},
		{name: "deploy with an assumed role", wantPlan: "lambda api-img <- image", wantRan: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			if tc.edit != nil {
				tc.edit(&in)
			}
			writes := e.proxy.Writes.Load()
			var log bytes.Buffer
			plan, res, err := Run(ctx, in, tc.dryRun, &log)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(plan.String(), tc.wantPlan) || (res != nil) != tc.wantRan {
				t.Fatalf("plan %q, result %+v", plan, res)
			}
			if !tc.wantRan && e.proxy.Writes.Load() != writes {
				t.Errorf("made %d AWS writes", e.proxy.Writes.Load()-writes)
			}
			if strings.Contains(log.String(), mototest.Credentials.SecretAccessKey) {
				t.Error("the log shows the secret key")
			}
		})
	}
	fn, err := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("api-img"), Qualifier: aws.String("live")})
	if err != nil || aws.ToString(fn.Code.ImageUri) != imageURI("run") {
		t.Fatalf("alias live runs %v, %v", fn, err)
	}
}
