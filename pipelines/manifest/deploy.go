package manifest

import (
	"fmt"
	"time"
)

// Deploy configures the deploy step. Workspace values are defaults that a
// component's own section overrides (see Merge).
type Deploy struct {
	// On lists when to deploy: "base" (a push to the base branch),
	// "release" (a release build) and "branch" (any other branch). Default
	// base and release.
	On []string `yaml:"on"`
	// Lambda deploys to an AWS Lambda function.
	Lambda Lambda `yaml:"lambda"`
}

// The values Deploy.On accepts.
const (
	DeployOnBase    = "base"
	DeployOnRelease = "release"
	DeployOnBranch  = "branch"
)

// DeployOnValues lists the values Deploy.On accepts.
var DeployOnValues = []string{DeployOnBase, DeployOnRelease, DeployOnBranch}

// The values Lambda.Code accepts.
const (
	LambdaCodeImage = "image"
	LambdaCodeS3    = "s3"
	LambdaCodeZip   = "zip"
)

// LambdaCodes lists the values Lambda.Code accepts (empty: the default).
var LambdaCodes = []string{LambdaCodeImage, LambdaCodeS3, LambdaCodeZip}

// Lambda updates an existing Lambda function's code. It is on when
// Function is set.
type Lambda struct {
	// Function is the function name or ARN.
	Function string `yaml:"function"`
	// Region of the function; default from the AWS environment.
	Region string `yaml:"region"`
	// Endpoint overrides the Lambda endpoint (for local testing).
	Endpoint string `yaml:"endpoint"`
	// RoleARN is a role to assume for the deploy.
	RoleARN string `yaml:"roleArn"`
	// Code is where the new code comes from: "image" (the pushed image, by
	// digest), "s3" (the zip published to S3) or "zip" (the built zip,
	// uploaded inline). Default: image when an image is published, else s3
	// when S3 is configured, else zip.
	Code string `yaml:"code"`
	// PublishVersion publishes a version after the update.
	PublishVersion bool `yaml:"publishVersion"`
	// Alias is created or moved to the published version (or $LATEST).
	Alias string `yaml:"alias"`
	// Timeout bounds the wait for the update and the conflict retries, as a
	// Go duration; default 5m.
	Timeout string `yaml:"timeout"`
}

// Merge returns d (workspace defaults) with every field that override (the
// component's section) sets replacing it. Neither argument is modified.
func (d Deploy) Merge(override Deploy) (Deploy, error) {
	return d, mergeInto(&d, override)
}

// Validate checks the enumerated values; errors name the key.
func (d Deploy) Validate() error {
	for _, on := range d.On {
		if err := oneOf("deploy.on", on, DeployOnValues...); err != nil {
			return err
		}
	}
	if d.Lambda.Timeout != "" {
		if _, err := time.ParseDuration(d.Lambda.Timeout); err != nil {
			return fmt.Errorf("deploy.lambda.timeout: %w", err)
		}
	}
	return oneOf("deploy.lambda.code", d.Lambda.Code, append([]string{""}, LambdaCodes...)...)
}
