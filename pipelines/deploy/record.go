package deploy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// The tags monopipe writes on a function it deploys: what the function
// runs (the record promote and rollback read) and what it ran before. No
// other store is needed: the function carries its own history, one step
// deep.
const (
	TagComponent = "monopipe:component"
	TagEnv       = "monopipe:env"
	TagCommit    = "monopipe:commit"
	// TagCode is the artifact: an image by digest (repository@sha256:…),
	// a zip in S3 (s3://bucket/key@<hex sha256>) or an inline zip
	// (zip:<base64 sha256>, which only a published version keeps).
	TagCode = "monopipe:code"
	// TagVersion is the published version the alias was moved to ("" when
	// none was published).
	TagVersion     = "monopipe:version"
	TagPrevCommit  = "monopipe:previous-commit"
	TagPrevCode    = "monopipe:previous-code"
	TagPrevVersion = "monopipe:previous-version"
)

// Record is what one deploy put on a function.
type Record struct {
	Commit, Code, Version string
}

// Empty says whether nothing is recorded.
func (r Record) Empty() bool { return r.Commit == "" && r.Code == "" }

// Deployed is what a function runs, as its tags and configuration say.
type Deployed struct {
	// Function is the unqualified function ARN.
	Function string
	// Component and Env are the recorded component and environment.
	Component, Env string
	// Current is the last deploy's record; Previous the one before it.
	Current, Previous Record
	// CodeSHA256 is the function's code hash ($LATEST), as Lambda gives it
	// (base64).
	CodeSHA256 string
	// RevisionID is the function's revision, for optimistic concurrency.
	RevisionID string
	// Image is the image the function runs (by digest when known).
	Image string
}

// readDeployed reads function's configuration and tags.
func readDeployed(ctx context.Context, client *lambda.Client, function string) (*lambda.GetFunctionOutput, *Deployed, error) {
	out, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: &function})
	if err != nil {
		return nil, nil, err
	}
	d := &Deployed{}
	if c := out.Configuration; c != nil {
		d.Function = aws.ToString(c.FunctionArn)
		d.CodeSHA256 = aws.ToString(c.CodeSha256)
		d.RevisionID = aws.ToString(c.RevisionId)
	}
	if out.Code != nil {
		d.Image = aws.ToString(out.Code.ImageUri)
		if _, ok := imageDigest(d.Image); !ok && out.Code.ResolvedImageUri != nil {
			d.Image = aws.ToString(out.Code.ResolvedImageUri)
		}
	}
	t := out.Tags
	d.Component, d.Env = t[TagComponent], t[TagEnv]
	d.Current = Record{Commit: t[TagCommit], Code: t[TagCode], Version: t[TagVersion]}
	d.Previous = Record{Commit: t[TagPrevCommit], Code: t[TagPrevCode], Version: t[TagPrevVersion]}
	return out, d, nil
}

// ReadDeployed reads what function runs, from its tags and configuration.
func ReadDeployed(ctx context.Context, client *lambda.Client, function string) (*Deployed, error) {
	_, d, err := readDeployed(ctx, client, function)
	if err != nil {
		return nil, fmt.Errorf("lambda %s: GetFunction failed (%s): %w", function, ErrorCode(err), err)
	}
	return d, nil
}

// Artifact is the code the function runs, to deploy elsewhere: the
// recorded code, else (a function deployed before monopipe recorded
// anything) the image it runs by digest. An inline zip cannot be taken
// elsewhere: only S3 and images can.
func (d *Deployed) Artifact() (Code, error) {
	code := d.Current.Code
	if code == "" {
		if _, ok := imageDigest(d.Image); ok {
			return Code{ImageURI: d.Image}, nil
		}
		return Code{}, errors.New("no artifact recorded (monopipe:code tag) and no image by digest: deploy it with monopipe first")
	}
	return ParseCode(code)
}

// hexSHA256RE is a sha256 in hex, as an S3 zip's record ends.
var hexSHA256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// MaxTagValue is the longest tag value Lambda accepts.
const MaxTagValue = 256

// ParseCode reads a TagCode value back into the code to deploy.
func ParseCode(v string) (Code, error) {
	switch {
	case strings.HasPrefix(v, "s3://"):
		// The sum follows the last "@": an S3 key may hold "@" itself.
		rest := strings.TrimPrefix(v, "s3://")
		at := strings.LastIndexByte(rest, '@')
		if at < 0 {
			return Code{}, fmt.Errorf("bad recorded code %q", v)
		}
		loc, sum := rest[:at], rest[at+1:]
		bucket, key, ok := strings.Cut(loc, "/")
		if !ok || bucket == "" || key == "" || sum != "" && !hexSHA256RE.MatchString(sum) {
			return Code{}, fmt.Errorf("bad recorded code %q", v)
		}
		return Code{S3Bucket: bucket, S3Key: key, SHA256: sum}, nil
	case strings.HasPrefix(v, "zip:"):
		return Code{}, fmt.Errorf("the code is an inline zip (%s) that Lambda keeps only in published versions: deploy with deploy.lambda.code: s3 (or an image) to promote or roll back by artifact", v)
	}
	if _, ok := imageDigest(v); !ok {
		return Code{}, fmt.Errorf("bad recorded code %q", v)
	}
	return Code{ImageURI: v}, nil
}

// codeTag is the TagCode value of c; zipSHA is the base64 sha256 of an
// inline zip.
func codeTag(c Code, zipSHA string) string {
	switch {
	case c.ImageURI != "":
		return c.ImageURI
	case c.S3Bucket != "":
		return "s3://" + c.S3Bucket + "/" + c.S3Key + "@" + c.SHA256
	}
	return "zip:" + zipSHA
}

// record tags the function with what it runs now, keeping what it ran
// before when the code changed.
// claim tags a function that records no deploy yet with its component
// and environment before its code changes: a role that may update the
// code but not tag the function (one from before monopipe recorded
// deploys) then fails with nothing deployed, instead of after the update
// with the record missing.
func (d *deployer) claim(ctx context.Context, before *Deployed) error {
	if d.req.Commit == "" || before.Component != "" || !before.Current.Empty() {
		return nil
	}
	tags := map[string]string{TagComponent: d.req.Component}
	if d.req.Env != "" {
		tags[TagEnv] = d.req.Env
	}
	if _, err := d.client.TagResource(ctx, &lambda.TagResourceInput{Resource: &before.Function, Tags: tags}); err != nil {
		return fmt.Errorf("%w (nothing was deployed: the deploy records what the function runs in its tags, so its role needs lambda:TagResource and lambda:UntagResource)", d.apiError("TagResource", err))
	}
	return nil
}

func (d *deployer) record(ctx context.Context, before *Deployed, rec Record) error {
	tags := map[string]string{TagCommit: rec.Commit, TagCode: rec.Code, TagVersion: rec.Version}
	if d.req.Component != "" {
		tags[TagComponent] = d.req.Component
	}
	if d.req.Env != "" {
		tags[TagEnv] = d.req.Env
	}
	if prev := before.Current; !prev.Empty() && prev.Code != rec.Code {
		tags[TagPrevCommit], tags[TagPrevCode], tags[TagPrevVersion] = prev.Commit, prev.Code, prev.Version
	}
	had := map[string]string{TagCommit: before.Current.Commit, TagCode: before.Current.Code, TagVersion: before.Current.Version,
		TagPrevCommit: before.Previous.Commit, TagPrevCode: before.Previous.Code, TagPrevVersion: before.Previous.Version}
	var remove []string
	for k, v := range tags {
		if v == "" {
			delete(tags, k)
			if had[k] != "" { // only what is there: no call for nothing
				remove = append(remove, k)
			}
		}
	}
	slices.Sort(remove)
	if _, err := d.client.TagResource(ctx, &lambda.TagResourceInput{Resource: &before.Function, Tags: tags}); err != nil {
		return d.apiError("TagResource", err)
	}
	if len(remove) > 0 {
		if _, err := d.client.UntagResource(ctx, &lambda.UntagResourceInput{Resource: &before.Function, TagKeys: remove}); err != nil {
			return d.apiError("UntagResource", err)
		}
	}
	return nil
}
