// Package awsconf builds the aws.Config that every AWS call of monopipe uses:
// a region, an optional endpoint (for local services such as moto), static
// credentials handed in as secrets or else the standard AWS chain, and an
// optional role to assume.
package awsconf

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Credentials are static AWS credentials, usually from CI secrets. The zero
// value means "use the standard AWS chain" (environment, profile, SSO, web
// identity, instance role).
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// String never shows the secret parts, so logging the struct is safe.
func (c Credentials) String() string {
	if c.AccessKeyID == "" {
		return "default AWS credential chain"
	}
	return "static credentials " + c.AccessKeyID
}

// GoString is String, so %#v is safe too.
func (c Credentials) GoString() string { return c.String() }

// Options say how to reach AWS.
type Options struct {
	// Region is required unless the AWS environment provides one.
	Region string
	// Endpoint overrides every service endpoint (for local services).
	Endpoint string
	// Credentials are static credentials; zero means the default chain.
	Credentials Credentials
	// RoleARN is a role to assume with STS AssumeRole.
	RoleARN string
	// SessionName names the assumed-role session; default "monopipe".
	SessionName string
}

// Load builds the config. Credentials are not resolved here: a wrong key
// shows up on the first call, with the service's error code.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(o.Endpoint))
	}
	if o.Credentials.AccessKeyID != "" {
		c := o.Credentials
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, fmt.Errorf("load AWS config: no region: set one in the manifest or AWS_REGION")
	}
	if o.RoleARN != "" {
		name := o.SessionName
		if name == "" {
			name = "monopipe"
		}
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), o.RoleARN,
			func(ao *stscreds.AssumeRoleOptions) { ao.RoleSessionName = name })
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	return cfg, nil
}
