package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Code is the new code of a function; set exactly one of ImageURI, S3 or
// ZipFile.
type Code struct {
	// ImageURI is repository@sha256:digest.
	ImageURI string
	// S3Bucket and S3Key locate a zip; SHA256 is its hex sha256 (used to
	// skip an unchanged deploy).
	S3Bucket, S3Key, SHA256 string
	// ZipFile is a local zip uploaded inline.
	ZipFile string
}

// Request is one deploy.
type Request struct {
	// Component is named in every error.
	Component string
	// Function is the function name or ARN.
	Function string
	Code     Code
	// PublishVersion publishes a version after the update.
	PublishVersion bool
	// Alias is created or moved to the published version, or to $LATEST.
	Alias string
	// Timeout bounds the wait for the update and the conflict retries
	// (default 5m).
	Timeout time.Duration
	// RetryDelay is the first delay between conflict retries and between
	// waiter polls (default 1s); it doubles up to 20s.
	RetryDelay time.Duration
	// Env is the environment, recorded on the function ("" for none).
	Env string
	// Commit is the commit deployed. When set, the function is tagged
	// with it, the component, the environment and the code (see
	// TagCommit), keeping the previous record for rollback.
	Commit string
	// Allow, when set, is asked whether Commit may replace the commit the
	// function records, before every attempt to update it; its error
	// refuses the deploy (see job's ordering check).
	Allow func(ctx context.Context, deployed string) error
}

// Result is what a deploy did.
type Result struct {
	Function string
	// Skipped is true when the function already ran this code.
	Skipped bool
	// Message says what happened, for people.
	Message string
	// CodeSHA256 is the function's code hash after the deploy.
	CodeSHA256 string
	// Version is the published version ("" when none).
	Version string
	// Previous is what the function ran before (its record).
	Previous Record
	// Retries counts the updates retried because the function changed
	// between reading and updating it (RevisionId).
	Retries int
}

// beforeUpdate, when set (tests), runs between reading the function and
// updating its code: the window optimistic concurrency covers.
var beforeUpdate func(ctx context.Context, function string)

// Lambda deploys req with client and logs what it does to log.
func Lambda(ctx context.Context, client *lambda.Client, req Request, log io.Writer) (*Result, error) {
	return newDeployer(client, req, log).run(ctx)
}

// newDeployer is a deployer of req with its defaults filled in and its
// deadline set from now.
func newDeployer(client *lambda.Client, req Request, log io.Writer) *deployer {
	d := &deployer{client: client, req: req, log: log}
	if d.req.Timeout == 0 {
		d.req.Timeout = 5 * time.Minute
	}
	if d.req.RetryDelay == 0 {
		d.req.RetryDelay = time.Second
	}
	d.deadline = time.Now().Add(d.req.Timeout)
	return d
}

type deployer struct {
	client   *lambda.Client
	req      Request
	log      io.Writer
	deadline time.Time
}

func (d *deployer) run(ctx context.Context) (*Result, error) {
	req := d.req
	update := &lambda.UpdateFunctionCodeInput{FunctionName: &req.Function}
	var wantSHA string // base64 sha256 of a zip, as Lambda reports it
	switch {
	case req.Code.ImageURI != "":
		if _, ok := imageDigest(req.Code.ImageURI); !ok {
			return nil, d.errorf("image %q is not pinned by digest (repository@sha256:...)", req.Code.ImageURI)
		}
		update.ImageUri = &req.Code.ImageURI
	case req.Code.S3Bucket != "":
		update.S3Bucket, update.S3Key = &req.Code.S3Bucket, &req.Code.S3Key
		if raw, err := hexToBase64(req.Code.SHA256); err == nil {
			wantSHA = raw
		}
	case req.Code.ZipFile != "":
		zip, err := os.ReadFile(req.Code.ZipFile)
		if err != nil {
			return nil, d.errorf("read the zip: %w", err)
		}
		sum := sha256.Sum256(zip)
		update.ZipFile, wantSHA = zip, base64.StdEncoding.EncodeToString(sum[:])
	default:
		return nil, d.errorf("no code to deploy: need an image, an S3 zip or a zip file")
	}
	rec := Record{Commit: req.Commit, Code: codeTag(req.Code, wantSHA)}
	if req.Commit != "" && len(rec.Code) > MaxTagValue {
		// Refused before the update: the record is written after it.
		return nil, d.errorf("the record of the code (tag %s, %d characters) is longer than the %d a Lambda tag holds: shorten the image repository or S3 key", TagCode, len(rec.Code), MaxTagValue)
	}
	for retries := 0; ; retries++ {
		current, before, err := readDeployed(ctx, d.client, req.Function)
		if err != nil {
			return nil, d.apiError("GetFunction", err)
		}
		if deployed := before.Current.Commit; req.Allow != nil && deployed != "" {
			if err := req.Allow(ctx, deployed); err != nil {
				return nil, d.errorf("%w", err)
			}
		}
		if retries == 0 {
			if err := d.claim(ctx, before); err != nil {
				return nil, err
			}
		}
		res := &Result{Function: req.Function, CodeSHA256: before.CodeSHA256, Previous: before.Current, Retries: retries}
		if sameCode(current, req.Code.ImageURI, wantSHA) {
			done, err := d.finishSkipped(ctx, res)
			if err == nil && done {
				err = d.recordIf(ctx, before, rec, res)
			}
			if err != nil || done {
				return res, err
			}
			return res, d.finish(ctx, before, rec, res)
		}
		if beforeUpdate != nil {
			beforeUpdate(ctx, req.Function)
		}
		update.RevisionId = current.Configuration.RevisionId
		out, err := retryConflict(ctx, d, "UpdateFunctionCode", func() (*lambda.UpdateFunctionCodeOutput, error) {
			return d.client.UpdateFunctionCode(ctx, update)
		})
		var changed *types.PreconditionFailedException
		if errors.As(err, &changed) && time.Now().Before(d.deadline) {
			// Another deploy is at work: give it the first retry delay
			// to finish (and tag) before the function is read again.
			fmt.Fprintf(d.log, "lambda %s: the function changed since it was read (RevisionId %s), reading it again in %s\n", req.Function, aws.ToString(update.RevisionId), req.RetryDelay)
			select {
			case <-ctx.Done():
				return nil, d.apiError("UpdateFunctionCode", ctx.Err())
			case <-time.After(req.RetryDelay):
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		res.CodeSHA256 = aws.ToString(out.CodeSha256)
		fmt.Fprintf(d.log, "lambda %s: code updated (sha256 %s), waiting until it is live\n", req.Function, res.CodeSHA256)
		if err := d.wait(ctx); err != nil {
			return nil, err
		}
		res.Message = "updated"
		return res, d.finish(ctx, before, rec, res)
	}
}

// finish publishes the version, moves the alias and records the deploy.
func (d *deployer) finish(ctx context.Context, before *Deployed, rec Record, res *Result) error {
	if err := d.release(ctx, res); err != nil {
		return err
	}
	return d.recordIf(ctx, before, rec, res)
}

// recordIf records the deploy on the function when the request names a
// commit and the record would change.
func (d *deployer) recordIf(ctx context.Context, before *Deployed, rec Record, res *Result) error {
	if d.req.Commit == "" {
		return nil
	}
	rec.Version = res.Version
	if rec == before.Current && before.Component == d.req.Component && before.Env == d.req.Env {
		return nil
	}
	if err := d.record(ctx, before, rec); err != nil {
		return err
	}
	fmt.Fprintf(d.log, "lambda %s: recorded commit %s\n", d.req.Function, rec.Commit)
	return nil
}

// finishSkipped handles a function that already runs the code. It reports
// done when nothing else is needed: no version to publish, or the alias
// already serves the code.
func (d *deployer) finishSkipped(ctx context.Context, res *Result) (bool, error) {
	res.Skipped = true
	res.Message = "unchanged: the function already runs this code"
	if !d.req.PublishVersion && d.req.Alias == "" {
		fmt.Fprintf(d.log, "lambda %s: %s, skipped\n", d.req.Function, res.Message)
		return true, nil
	}
	if d.req.Alias != "" {
		alias, err := d.client.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: &d.req.Function, Name: &d.req.Alias})
		var missing *types.ResourceNotFoundException
		switch {
		case errors.As(err, &missing):
		case err != nil:
			return false, d.apiError("GetAlias", err)
		case !d.req.PublishVersion && aws.ToString(alias.FunctionVersion) == "$LATEST":
			fmt.Fprintf(d.log, "lambda %s: %s, alias %s on $LATEST, skipped\n", d.req.Function, res.Message, d.req.Alias)
			return true, nil
		case d.req.PublishVersion && aws.ToString(alias.FunctionVersion) != "$LATEST":
			v, err := d.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: &d.req.Function, Qualifier: alias.FunctionVersion})
			if err != nil {
				return false, d.apiError("GetFunction", err)
			}
			if aws.ToString(v.Configuration.CodeSha256) == res.CodeSHA256 {
				res.Version = aws.ToString(alias.FunctionVersion)
				fmt.Fprintf(d.log, "lambda %s: %s, alias %s on version %s, skipped\n", d.req.Function, res.Message, d.req.Alias, res.Version)
				return true, nil
			}
		}
	}
	fmt.Fprintf(d.log, "lambda %s: %s; finishing the version and alias\n", d.req.Function, res.Message)
	return false, nil
}

// release publishes a version and moves the alias, as configured.
func (d *deployer) release(ctx context.Context, res *Result) error {
	version := "$LATEST"
	if d.req.PublishVersion {
		out, err := retryConflict(ctx, d, "PublishVersion", func() (*lambda.PublishVersionOutput, error) {
			return d.client.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: &d.req.Function, CodeSha256: &res.CodeSHA256})
		})
		if err != nil {
			return err
		}
		version = aws.ToString(out.Version)
		res.Version = version
		fmt.Fprintf(d.log, "lambda %s: published version %s\n", d.req.Function, version)
	}
	if d.req.Alias == "" {
		return nil
	}
	name := &d.req.Alias
	_, err := retryConflict(ctx, d, "UpdateAlias", func() (*lambda.UpdateAliasOutput, error) {
		return d.client.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: &d.req.Function, Name: name, FunctionVersion: &version})
	})
	var missing *types.ResourceNotFoundException
	if errors.As(err, &missing) {
		_, err = retryConflict(ctx, d, "CreateAlias", func() (*lambda.CreateAliasOutput, error) {
			return d.client.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: &d.req.Function, Name: name, FunctionVersion: &version})
		})
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(d.log, "lambda %s: alias %s -> %s\n", d.req.Function, d.req.Alias, version)
	return nil
}

// wait blocks until the function's LastUpdateStatus is Successful.
func (d *deployer) wait(ctx context.Context) error {
	w := lambda.NewFunctionUpdatedV2Waiter(d.client, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay = d.req.RetryDelay
		o.MaxDelay = max(d.req.RetryDelay, 20*time.Second)
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: &d.req.Function}, max(time.Until(d.deadline), time.Second)); err != nil {
		return d.apiError("wait for the update", err)
	}
	return nil
}

// retryConflict calls f until it does not fail with ResourceConflictException
// (an update in progress), with doubling delays, until the deadline.
func retryConflict[T any](ctx context.Context, d *deployer, op string, f func() (T, error)) (T, error) {
	delay := d.req.RetryDelay
	for {
		out, err := f()
		var conflict *types.ResourceConflictException
		if err == nil || !errors.As(err, &conflict) || time.Now().Add(delay).After(d.deadline) {
			if err != nil {
				return out, d.apiError(op, err)
			}
			return out, nil
		}
		fmt.Fprintf(d.log, "lambda %s: %s: an update is in progress (ResourceConflictException), retrying in %s\n", d.req.Function, op, delay)
		select {
		case <-ctx.Done():
			return out, d.apiError(op, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(delay*2, 20*time.Second)
	}
}

func (d *deployer) errorf(format string, args ...any) error {
	return fmt.Errorf("deploy %s: lambda %s: "+format, append([]any{d.req.Component, d.req.Function}, args...)...)
}

// apiError names the component, the function, the operation and the AWS
// error code (or the HTTP status when the answer had no readable code).
func (d *deployer) apiError(op string, err error) error {
	return d.errorf("%s failed (%s): %w", op, ErrorCode(err), err)
}

// ErrorCode returns the AWS error code of err, e.g.
// ResourceConflictException, else "HTTP <status>", else "no AWS error code".
func ErrorCode(err error) string {
	var apiErr smithy.APIError
	var respErr *smithyhttp.ResponseError
	switch {
	case errors.As(err, &apiErr):
		return apiErr.ErrorCode()
	case errors.As(err, &respErr):
		return fmt.Sprintf("HTTP %d", respErr.HTTPStatusCode())
	}
	return "no AWS error code"
}

// sameCode reports whether the function already runs the image digest or
// the zip hash.
func sameCode(f *lambda.GetFunctionOutput, imageURI, zipSHA string) bool {
	if imageURI != "" {
		want, _ := imageDigest(imageURI)
		if f.Code == nil {
			return false
		}
		// ImageUri holds what was deployed (by digest, when monopipe did
		// it); ResolvedImageUri is the digest when ImageUri has a tag.
		got, ok := imageDigest(aws.ToString(f.Code.ImageUri))
		if !ok {
			got, _ = imageDigest(aws.ToString(f.Code.ResolvedImageUri))
		}
		return got == want
	}
	return zipSHA != "" && f.Configuration != nil && aws.ToString(f.Configuration.CodeSha256) == zipSHA
}

// imageDigest returns the sha256:... digest of repository@sha256:....
func imageDigest(uri string) (string, bool) {
	_, digest, ok := strings.Cut(uri, "@")
	if !ok || !strings.HasPrefix(digest, "sha256:") || len(digest) != len("sha256:")+64 {
		return "", false
	}
	return digest, true
}

func hexToBase64(h string) (string, error) {
	raw, err := hex.DecodeString(h)
	if err != nil || len(raw) != sha256.Size {
		return "", fmt.Errorf("bad sha256 %q", h)
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}
