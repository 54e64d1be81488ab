package deploy

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/monopipe/monopipe/pipelines/detect"
)

// Rollback moves a function back to the deploy before the last one, as
// its tags record it: with an alias and a recorded previous version, the
// alias moves back to that version; otherwise the previous code (an image
// by digest or a zip in S3) is deployed again, with req's version and
// alias settings. The records swap, so a second rollback rolls forward
// again. req.Code, req.Commit and req.Allow are ignored; a deploy that
// lands between the rollback's read and its update stops it.
func Rollback(ctx context.Context, client *lambda.Client, req Request, log io.Writer) (*Result, error) {
	d := newDeployer(client, req, log)
	_, before, err := readDeployed(ctx, client, req.Function)
	if err != nil {
		return nil, d.apiError("GetFunction", err)
	}
	prev := before.Previous
	if prev.Empty() {
		return nil, d.errorf("no previous deploy is recorded on the function (tag %s): nothing to roll back to", TagPrevCode)
	}
	if req.Alias != "" && prev.Version != "" {
		return d.moveAlias(ctx, before, prev)
	}
	code, err := ParseCode(prev.Code)
	if err != nil {
		return nil, d.errorf("roll back to commit %s: %w", prev.Commit, err)
	}
	// The rollback is of what was read: a deploy that lands before the
	// update makes it stop rather than go two steps back.
	read := before.Current.Commit
	d.req.Code, d.req.Commit = code, prev.Commit
	d.req.Allow = func(_ context.Context, deployed string) error {
		if deployed != read {
			return fmt.Errorf("the function now runs commit %s, deployed since the rollback read commit %s: run the rollback again", detect.ShortID(deployed), detect.ShortID(read))
		}
		return nil
	}
	fmt.Fprintf(log, "lambda %s: rolling back to commit %s (%s)\n", req.Function, detect.ShortID(prev.Commit), prev.Code)
	res, err := d.run(ctx)
	if res != nil {
		res.Message = fmt.Sprintf("rolled back to commit %s", detect.ShortID(prev.Commit))
	}
	return res, err
}

// moveAlias points the alias at the previous version and swaps the
// records.
func (d *deployer) moveAlias(ctx context.Context, before *Deployed, prev Record) (*Result, error) {
	v, err := d.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: &d.req.Function, Qualifier: &prev.Version})
	if err != nil {
		return nil, d.apiError("GetFunction (version "+prev.Version+")", err)
	}
	_, err = retryConflict(ctx, d, "UpdateAlias", func() (*lambda.UpdateAliasOutput, error) {
		return d.client.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: &d.req.Function, Name: &d.req.Alias, FunctionVersion: &prev.Version})
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(d.log, "lambda %s: alias %s -> %s (commit %s)\n", d.req.Function, d.req.Alias, prev.Version, prev.Commit)
	if err := d.record(ctx, before, prev); err != nil {
		return nil, err
	}
	return &Result{Function: d.req.Function, CodeSHA256: aws.ToString(v.Configuration.CodeSha256), Version: prev.Version, Previous: before.Current,
		Message: fmt.Sprintf("rolled back: alias %s on version %s (commit %s)", d.req.Alias, prev.Version, detect.ShortID(prev.Commit))}, nil
}
