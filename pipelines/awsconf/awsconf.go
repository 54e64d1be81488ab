// Package awsconf builds the aws.Config that every AWS call of monopipe uses:
// a region, an optional endpoint (for local services such as moto), the
// credentials handed in as secrets (static keys with an optional session
// token, or an OIDC token exchanged for a role's short-lived credentials)
// or else the standard AWS chain, and an optional role to assume on top.
package awsconf

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Credentials are the AWS credentials a run was given, usually from CI
// secrets: static keys (with a session token for short-lived ones), or a
// web identity (an OIDC token from GitHub Actions or CircleCI) that STS
// AssumeRoleWithWebIdentity exchanges for RoleARN's short-lived
// credentials. The zero value means "use the standard AWS chain"
// (environment, profile, SSO, web identity file, instance role); RoleARN
// alone assumes that role with the chain's credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// RoleARN is the role to take first: with WebIdentityToken, through
	// AssumeRoleWithWebIdentity; otherwise through AssumeRole with the
	// static keys or the standard chain.
	RoleARN string
	// WebIdentityToken is the OIDC token (a JWT) given as a value.
	WebIdentityToken string
	// SessionName names the role session; default "monopipe".
	SessionName string
}

// String never shows the secret parts, so logging the struct is safe.
func (c Credentials) String() string {
	switch {
	case c.WebIdentityToken != "":
		return "web identity for role " + c.RoleARN
	case c.AccessKeyID != "" && c.RoleARN != "":
		return "static credentials " + c.AccessKeyID + " assuming role " + c.RoleARN
	case c.AccessKeyID != "" && c.SessionToken != "":
		return "session credentials " + c.AccessKeyID
	case c.AccessKeyID != "":
		return "static credentials " + c.AccessKeyID
	case c.RoleARN != "":
		return "default AWS credential chain assuming role " + c.RoleARN
	}
	return "default AWS credential chain"
}

// GoString is String, so %#v is safe too.
func (c Credentials) GoString() string { return c.String() }

// Secrets lists the secret values (secret key, session token, OIDC token),
// for redaction; empty ones are left out.
func (c Credentials) Secrets() []string {
	var out []string
	for _, v := range []string{c.SecretAccessKey, c.SessionToken, c.WebIdentityToken} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Validate says what is wrong with a combination of credentials, naming
// the module arguments.
func (c Credentials) Validate() error {
	switch {
	case (c.AccessKeyID == "") != (c.SecretAccessKey == ""):
		return fmt.Errorf("AWS credentials: --aws-access-key-id and --aws-secret-access-key go together")
	case c.SessionToken != "" && c.AccessKeyID == "":
		return fmt.Errorf("AWS credentials: --aws-session-token needs --aws-access-key-id and --aws-secret-access-key")
	case c.WebIdentityToken != "" && c.RoleARN == "":
		return fmt.Errorf("AWS credentials: --aws-web-identity-token needs --aws-role-arn (the role the token is exchanged for)")
	case c.WebIdentityToken != "" && c.AccessKeyID != "":
		return fmt.Errorf("AWS credentials: give either --aws-web-identity-token (OIDC) or access keys, not both")
	}
	return nil
}

// Options say how to reach AWS.
type Options struct {
	// Region is required unless the AWS environment provides one.
	Region string
	// Endpoint overrides every service endpoint (for local services).
	Endpoint string
	// Credentials are the run's credentials; zero means the default chain.
	Credentials Credentials
	// RoleARN is a role to assume with STS AssumeRole, with Credentials
	// (a manifest's per-target role).
	RoleARN string
	// SessionName names the assumed-role session; default "monopipe".
	SessionName string
}

// Load builds the config. Static credentials are not checked here: a wrong
// key shows up on the first call, with the service's error code. Role
// credentials are fetched on first use and cached (for the life of the
// process, per role, token and endpoint) until shortly before they expire,
// so the steps of a run share one exchange.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	if err := o.Credentials.Validate(); err != nil {
		return aws.Config{}, err
	}
	var opts []func(*config.LoadOptions) error
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(o.Endpoint))
	}
	c := o.Credentials
	if c.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)))
	}
	if c.WebIdentityToken != "" {
		// The exchange itself is unsigned; the chain is not consulted.
		opts = append(opts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS config: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, fmt.Errorf("load AWS config: no region: set one in the manifest or AWS_REGION")
	}
	if c.RoleARN != "" {
		cfg.Credentials = cachedRole(cfg, o.Endpoint, c)
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

// roleKey identifies a cached role exchange. The token is kept as a
// digest, so the map holds no secret.
type roleKey struct {
	endpoint, region, role, session string
	base                            string
	token                           [sha256.Size]byte
}

var (
	rolesMu sync.Mutex
	roles   = map[roleKey]*aws.CredentialsCache{}
)

// cachedRole is the credentials of c.RoleARN: from the web identity token,
// or else assumed with cfg's credentials; one cache per role, token,
// endpoint and region.
func cachedRole(cfg aws.Config, endpoint string, c Credentials) *aws.CredentialsCache {
	name := c.SessionName
	if name == "" {
		name = "monopipe"
	}
	key := roleKey{endpoint: endpoint, region: cfg.Region, role: c.RoleARN, session: name}
	if c.WebIdentityToken != "" {
		key.token = sha256.Sum256([]byte(c.WebIdentityToken))
	} else {
		key.base = c.AccessKeyID
		key.token = sha256.Sum256([]byte(c.SecretAccessKey + "\x00" + c.SessionToken))
	}
	rolesMu.Lock()
	defer rolesMu.Unlock()
	if cache := roles[key]; cache != nil {
		return cache
	}
	var provider aws.CredentialsProvider
	if c.WebIdentityToken != "" {
		provider = stscreds.NewWebIdentityRoleProvider(sts.NewFromConfig(cfg), c.RoleARN, webToken(c.WebIdentityToken),
			func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = name })
	} else {
		provider = stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), c.RoleARN,
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = name })
	}
	cache := aws.NewCredentialsCache(provider)
	roles[key] = cache
	return cache
}

// webToken hands an OIDC token given as a value to the SDK's provider.
type webToken string

func (t webToken) GetIdentityToken() ([]byte, error) { return []byte(t), nil }

// Exchange trades c's web identity token for its role's session
// credentials now (STS AssumeRoleWithWebIdentity) and returns them as
// static keys with their session token: GitHub's OIDC tokens expire
// within minutes, long before a build ends and publishing starts. endpoint
// "" is STS's own (or AWS_ENDPOINT_URL_STS); the region is the
// environment's, else us-east-1 (STS answers in every region). c without a
// token is returned as it is.
func Exchange(ctx context.Context, c Credentials, endpoint string) (Credentials, error) {
	if c.WebIdentityToken == "" {
		return c, nil
	}
	o := Options{Endpoint: endpoint, Credentials: c}
	if env, err := config.LoadDefaultConfig(ctx); err != nil || env.Region == "" {
		o.Region = "us-east-1"
	}
	cfg, err := Load(ctx, o)
	if err != nil {
		return c, err
	}
	got, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return c, fmt.Errorf("exchange the web identity token for role %s: %w", c.RoleARN, err)
	}
	return Credentials{AccessKeyID: got.AccessKeyID, SecretAccessKey: got.SecretAccessKey, SessionToken: got.SessionToken}, nil
}
