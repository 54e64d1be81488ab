package deploy

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/monopipe/monopipe/pipelines/awsconf"
	"github.com/monopipe/monopipe/pipelines/manifest"
)

// Input is one component's deploy, after its publish.
type Input struct {
	Component string
	// Config is the workspace's deploy section merged with the component's.
	Config manifest.Deploy
	When   When
	// Image is the published image as repository@digest ("" when none).
	Image string
	// S3Bucket, S3Key and S3SHA256 locate the zip published to S3.
	S3Bucket, S3Key, S3SHA256 string
	// ZipFile is the built zip, for an inline upload.
	ZipFile string
	// Credentials are the run's AWS credentials; zero means the AWS chain.
	Credentials awsconf.Credentials
	// RetryDelay overrides Request.RetryDelay (tests).
	RetryDelay time.Duration
	// Env is the environment deployed to ("" without environments).
	Env string
	// Account, when set, is the AWS account the credentials must be in.
	Account string
	// Manual deploys whatever Config's on says: the deploy was asked for
	// (dagger call deploy, promote).
	Manual bool
	// Commit and Allow go to Request: the commit recorded on the
	// function and the ordering check.
	Commit string
	Allow  func(ctx context.Context, deployed string) error
}

// Plan is what a deploy would do.
type Plan struct {
	// Due is false when the deploy does not run; Reason says why either way.
	Due    bool   `json:"due"`
	Reason string `json:"reason"`
	// Env is the environment ("" without environments).
	Env string `json:"env,omitempty"`
	// Function and Code describe the update ("" when not due).
	Function string `json:"function,omitempty"`
	Code     string `json:"code,omitempty"`
}

func (p Plan) String() string {
	if !p.Due {
		return "no deploy: " + p.Reason
	}
	env := ""
	if p.Env != "" {
		env = " in " + p.Env
	}
	return fmt.Sprintf("lambda %s%s <- %s (%s)", p.Function, env, p.Code, p.Reason)
}

// RequestFor is the request of component's deploy to l in env: its
// function, version, alias and timeout (l is validated: a bad timeout is
// refused where the manifest is read). The code, the commit and the
// ordering check are the caller's to set.
func RequestFor(component, env string, l manifest.Lambda) Request {
	req := Request{Component: component, Env: env, Function: l.Function, PublishVersion: l.PublishVersion, Alias: l.Alias}
	if l.Timeout != "" {
		req.Timeout, _ = time.ParseDuration(l.Timeout)
	}
	return req
}

// PlanFor decides whether and what to deploy, without any request.
func PlanFor(in Input) (Plan, Request, error) {
	c := in.Config
	if c.Lambda.Function == "" {
		return Plan{Reason: "no deploy.lambda.function configured"}, Request{}, nil
	}
	v := c
	v.On = nil // checked where it was read: an environment's takes manual too
	if err := v.Validate(); err != nil {
		return Plan{}, Request{}, fmt.Errorf("deploy %s: %w", in.Component, err)
	}
	due, reason := true, "on request"
	if !in.Manual {
		due, reason = Due(c.On, in.When)
	}
	if !due {
		return Plan{Reason: reason, Env: in.Env}, Request{}, nil
	}
	req := RequestFor(in.Component, in.Env, c.Lambda)
	req.RetryDelay, req.Commit, req.Allow = in.RetryDelay, in.Commit, in.Allow
	code := c.Lambda.Code
	if code == "" {
		switch {
		case in.Image != "":
			code = manifest.LambdaCodeImage
		case in.S3Bucket != "":
			code = manifest.LambdaCodeS3
		default:
			code = manifest.LambdaCodeZip
		}
	}
	var have bool
	var desc string
	switch code {
	case manifest.LambdaCodeImage:
		req.Code.ImageURI = in.Image
		have, desc = in.Image != "", "image "+in.Image
	case manifest.LambdaCodeS3:
		req.Code.S3Bucket, req.Code.S3Key, req.Code.SHA256 = in.S3Bucket, in.S3Key, in.S3SHA256
		have, desc = in.S3Bucket != "", fmt.Sprintf("zip s3://%s/%s", in.S3Bucket, in.S3Key)
	default:
		req.Code.ZipFile = in.ZipFile
		have, desc = in.ZipFile != "", "zip "+in.ZipFile
	}
	if !have {
		return Plan{}, Request{}, fmt.Errorf("deploy %s: lambda %s: deploy.lambda.code is %s, but this build published no such code", in.Component, c.Lambda.Function, code)
	}
	return Plan{Due: true, Reason: reason, Env: in.Env, Function: c.Lambda.Function, Code: desc}, req, nil
}

// Run deploys in, or with dryRun only returns the plan. Result is nil when
// nothing ran.
func Run(ctx context.Context, in Input, dryRun bool, log io.Writer) (Plan, *Result, error) {
	plan, req, err := PlanFor(in)
	if err != nil || !plan.Due {
		if err == nil {
			name := in.Component
			if in.Env != "" {
				name += " in " + in.Env
			}
			fmt.Fprintf(log, "%s: %s\n", name, plan)
		}
		return plan, nil, err
	}
	if dryRun {
		fmt.Fprintf(log, "dry run: would deploy %s\n", plan)
		return plan, nil, nil
	}
	client, err := Client(ctx, in.Config.Lambda, in.Credentials, in.Account)
	if err != nil {
		return plan, nil, fmt.Errorf("deploy %s: %w", in.Component, err)
	}
	res, err := Lambda(ctx, client, req, log)
	return plan, res, err
}

// Client is the Lambda client of a deploy section: its region, endpoint
// and role, with creds (zero: the AWS chain). With account set, it checks
// first (STS GetCallerIdentity) that the credentials are that account's,
// so that a deploy meant for dev never lands in prod's account.
func Client(ctx context.Context, l manifest.Lambda, creds awsconf.Credentials, account string) (*lambda.Client, error) {
	cfg, err := awsconf.Load(ctx, awsconf.Options{Region: l.Region, Endpoint: l.Endpoint, Credentials: creds, RoleARN: l.RoleARN})
	if err != nil {
		return nil, fmt.Errorf("lambda %s: %w", l.Function, err)
	}
	if account != "" {
		id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return nil, fmt.Errorf("lambda %s: check the AWS account: GetCallerIdentity failed (%s): %w", l.Function, ErrorCode(err), err)
		}
		if got := aws.ToString(id.Account); got != account {
			return nil, fmt.Errorf("lambda %s: the credentials are for AWS account %s, the environment's aws.account is %s", l.Function, got, account)
		}
	}
	return lambda.NewFromConfig(cfg), nil
}
