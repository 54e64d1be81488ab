package deploy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/monopipe/monopipe/internal/mototest"
)

// tagsOf is the function's tags, as Lambda lists them.
func tagsOf(t *testing.T, c *lambda.Client, function string) map[string]string {
	t.Helper()
	fn, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: &function})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.ListTags(context.Background(), &lambda.ListTagsInput{Resource: fn.Configuration.FunctionArn})
	if err != nil {
		t.Fatal(err)
	}
	return out.Tags
}

// olderThan is an Allow that refuses the commits in refuse.
func olderThan(refuse ...string) func(context.Context, string) error {
	return func(_ context.Context, deployed string) error {
		for _, r := range refuse {
			if deployed == r {
				return errors.New("refusing: the function runs " + deployed + ", newer than this commit")
			}
		}
		return nil
	}
}

func TestRecordOrderAndRollback(t *testing.T) {
	e := newLambdaEnv(t)
	e.proxy.Intercept(mototest.LambdaRevisions(e.endpoint))
	ctx := context.Background()
	var log bytes.Buffer
	deployImage := func(commit, seed string, allow func(context.Context, string) error) (*Result, error) {
		return Lambda(ctx, e.client, Request{Component: "api", Env: "dev", Function: "api-img", Code: Code{ImageURI: imageURI(seed)},
			Commit: commit, Allow: allow, RetryDelay: 10 * time.Millisecond}, &log)
	}
	wantTags := func(want map[string]string) {
		t.Helper()
		if got := tagsOf(t, e.client, "api-img"); !maps.Equal(got, want) {
			t.Errorf("tags\n got %v\nwant %v", got, want)
		}
	}

	if _, err := deployImage("c1", "one", olderThan()); err != nil {
		t.Fatal(err)
	}
	wantTags(map[string]string{TagComponent: "api", TagEnv: "dev", TagCommit: "c1", TagCode: imageURI("one")})
	res, err := deployImage("c2", "two", olderThan())
	if err != nil {
		t.Fatal(err)
	}
	if res.Previous.Commit != "c1" {
		t.Errorf("previous %+v", res.Previous)
	}
	wantTags(map[string]string{TagComponent: "api", TagEnv: "dev", TagCommit: "c2", TagCode: imageURI("two"),
		TagPrevCommit: "c1", TagPrevCode: imageURI("one")})

	// An older commit is refused before any write; the refusal names it.
	writes := e.proxy.Writes.Load()
	_, err = deployImage("c1", "one", olderThan("c2"))
	if err == nil || !strings.Contains(err.Error(), "deploy api: lambda api-img: refusing: the function runs c2") {
		t.Fatalf("older commit: %v", err)
	}
	if e.proxy.Writes.Load() != writes {
		t.Error("a refused deploy wrote")
	}
	// The same code under a new commit only records the commit.
	if res, err := deployImage("c2b", "two", olderThan()); err != nil || !res.Skipped {
		t.Fatalf("same code: %+v, %v", res, err)
	}
	wantTags(map[string]string{TagComponent: "api", TagEnv: "dev", TagCommit: "c2b", TagCode: imageURI("two"),
		TagPrevCommit: "c1", TagPrevCode: imageURI("one")})

	// Rollback redeploys the previous image and swaps the records.
	res, err = Rollback(ctx, e.client, Request{Component: "api", Env: "dev", Function: "api-img", RetryDelay: 10 * time.Millisecond}, &log)
	if err != nil {
		t.Fatal(err)
	}
	fn, _ := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("api-img")})
	if got := aws.ToString(fn.Code.ImageUri); got != imageURI("one") || res.Message != "rolled back to commit c1" {
		t.Errorf("after rollback the function runs %s (%s)", got, res.Message)
	}
	wantTags(map[string]string{TagComponent: "api", TagEnv: "dev", TagCommit: "c1", TagCode: imageURI("one"),
		TagPrevCommit: "c2b", TagPrevCode: imageURI("two")})

	// Nothing recorded before: nothing to roll back to.
	_, err = Rollback(ctx, e.client, Request{Component: "api", Function: "api-zip"}, &log)
	if err == nil || !strings.Contains(err.Error(), "no previous deploy is recorded") {
		t.Errorf("rollback without a record: %v", err)
	}
}

func TestRollbackAlias(t *testing.T) {
	e := newLambdaEnv(t)
	ctx := context.Background()
	var log bytes.Buffer
	req := Request{Component: "api", Env: "prod", Function: "api-img", PublishVersion: true, Alias: "live", RetryDelay: 10 * time.Millisecond}
	for i, seed := range []string{"one", "two"} {
		r := req
		r.Code, r.Commit = Code{ImageURI: imageURI(seed)}, "c"+seed
		res, err := Lambda(ctx, e.client, r, &log)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"1", "2"}[i]; res.Version != want {
			t.Fatalf("version %s, want %s", res.Version, want)
		}
	}
	res, err := Rollback(ctx, e.client, req, &log)
	if err != nil {
		t.Fatal(err)
	}
	alias, err := e.client.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("api-img"), Name: aws.String("live")})
	if err != nil || aws.ToString(alias.FunctionVersion) != "1" || res.Version != "1" {
		t.Fatalf("alias %v, %v; result %+v", alias, err, res)
	}
	got := tagsOf(t, e.client, "api-img")
	if got[TagCommit] != "cone" || got[TagVersion] != "1" || got[TagPrevCommit] != "ctwo" || got[TagPrevVersion] != "2" {
		t.Errorf("tags after an alias rollback: %v", got)
	}
	// A deploy that publishes no version drops the version tag.
	r := Request{Component: "api", Env: "prod", Function: "api-img", Code: Code{ImageURI: imageURI("three")}, Commit: "cthree", RetryDelay: 10 * time.Millisecond}
	if _, err := Lambda(ctx, e.client, r, &log); err != nil {
		t.Fatal(err)
	}
	got = tagsOf(t, e.client, "api-img")
	if _, ok := got[TagVersion]; ok || got[TagPrevVersion] != "1" || got[TagCommit] != "cthree" {
		t.Errorf("tags after a deploy without a version: %v", got)
	}
}

// TestRevisionConflict changes the function with a second client between
// the deploy's read and its update: the update fails on RevisionId, the
// deploy reads again and checks the order again.
func TestRevisionConflict(t *testing.T) {
	e := newLambdaEnv(t)
	e.proxy.Intercept(mototest.LambdaRevisions(e.endpoint))
	ctx := context.Background()
	other := lambda.NewFromConfig(mototest.Config(t, e.endpoint)) // a second client, straight to moto
	var log bytes.Buffer
	t.Cleanup(func() { beforeUpdate = nil })

	for _, tc := range []struct {
		name string
		// theirs is what the other client deploys in the window, and the
		// commit it records.
		theirs, theirCommit string
		wantErr             string
	}{
		{name: "their change is older: ours goes on", theirs: "theirs-1", theirCommit: "old"},
		{name: "their change is newer: refused", theirs: "theirs-2", theirCommit: "newer", wantErr: "refusing: the function runs newer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raced := 0
			beforeUpdate = func(ctx context.Context, function string) {
				if raced > 0 {
					return
				}
				raced++
				out, err := other.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: &function, ImageUri: aws.String(imageURI(tc.theirs))})
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := other.TagResource(ctx, &lambda.TagResourceInput{Resource: out.FunctionArn, Tags: map[string]string{TagCommit: tc.theirCommit}}); err != nil {
					t.Error(err)
				}
			}
			ours := imageURI("ours-" + tc.name)
			res, err := Lambda(ctx, e.client, Request{Component: "api", Function: "api-img", Code: Code{ImageURI: ours}, Commit: "ours",
				Allow: olderThan("newer"), RetryDelay: 10 * time.Millisecond}, &log)
			fn, _ := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("api-img")})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want %q", err, tc.wantErr)
				}
				if got := aws.ToString(fn.Code.ImageUri); got != imageURI(tc.theirs) {
					t.Errorf("the function runs %s, want theirs", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Retries != 1 || aws.ToString(fn.Code.ImageUri) != ours {
				t.Errorf("retries %d, function runs %s", res.Retries, aws.ToString(fn.Code.ImageUri))
			}
			if !strings.Contains(log.String(), "the function changed since it was read (RevisionId") {
				t.Errorf("log: %s", log.String())
			}
		})
	}
}

// TestRecordS3 deploys zips from S3 with commits: the record names the
// object and its hash, Artifact reads it back, rollback redeploys the
// previous object; an inline zip is recorded but cannot be taken
// elsewhere.
func TestRecordS3(t *testing.T) {
	e := newLambdaEnv(t)
	ctx := context.Background()
	s3c := s3.NewFromConfig(e.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("artifacts")}); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	codes := map[string]Code{}
	for _, v := range []string{"one", "two"} {
		data, _ := os.ReadFile(makeZip(t, v))
		key := "api/" + v + "/api.zip"
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("artifacts"), Key: &key, Body: bytes.NewReader(data)}); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		codes[v] = Code{S3Bucket: "artifacts", S3Key: key, SHA256: hex.EncodeToString(sum[:])}
		if _, err := Lambda(ctx, e.client, Request{Component: "api", Function: "api-zip", Code: codes[v], Commit: "c" + v, RetryDelay: 10 * time.Millisecond}, &log); err != nil {
			t.Fatal(err)
		}
	}
	d, err := ReadDeployed(ctx, e.client, "api-zip")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := d.Artifact(); err != nil || got != codes["two"] {
		t.Errorf("artifact %+v, %v; want %+v", got, err, codes["two"])
	}
	if d.Current.Code != "s3://artifacts/api/two/api.zip@"+codes["two"].SHA256 || d.Previous.Commit != "cone" {
		t.Errorf("record %+v", d)
	}
	if _, err := Rollback(ctx, e.client, Request{Component: "api", Function: "api-zip", RetryDelay: 10 * time.Millisecond}, &log); err != nil {
		t.Fatal(err)
	}
	fn, _ := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("api-zip")})
	if want, _ := hexToBase64(codes["one"].SHA256); aws.ToString(fn.Configuration.CodeSha256) != want {
		t.Errorf("after rollback the code sha256 is %s, want one's %s", aws.ToString(fn.Configuration.CodeSha256), want)
	}

	if _, err := Lambda(ctx, e.client, Request{Component: "api", Function: "api-zip", Code: Code{ZipFile: makeZip(t, "inline")}, Commit: "cinline"}, &log); err != nil {
		t.Fatal(err)
	}
	d, _ = ReadDeployed(ctx, e.client, "api-zip")
	if _, err := d.Artifact(); err == nil || !strings.Contains(err.Error(), "inline zip") {
		t.Errorf("an inline zip as an artifact: %v", err)
	}
}

// TestRecordNeedsTagging: a role that may update the code but not tag the
// function fails before the code changes, and says which permission.
func TestRecordNeedsTagging(t *testing.T) {
	e := newLambdaEnv(t)
	ctx := context.Background()
	e.proxy.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/tags/") {
			mototest.WriteAWSError(w, http.StatusForbidden, "AccessDeniedException", "not authorized to perform: lambda:TagResource")
			return true
		}
		return false
	})
	fn, _ := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("api-img")})
	writes := e.proxy.Writes.Load()
	var log bytes.Buffer
	_, err := Lambda(ctx, e.client, Request{Component: "api", Env: "dev", Function: "api-img", Code: Code{ImageURI: imageURI("new")},
		Commit: "c1", RetryDelay: 10 * time.Millisecond}, &log)
	if err == nil || !strings.Contains(err.Error(), "TagResource failed (AccessDeniedException)") || !strings.Contains(err.Error(), "nothing was deployed") {
		t.Fatalf("deploy without lambda:TagResource: %v", err)
	}
	after, _ := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("api-img")})
	if got, was := aws.ToString(after.Code.ImageUri), aws.ToString(fn.Code.ImageUri); got != was {
		t.Errorf("the function's image moved from %s to %s", was, got)
	}
	if n := e.proxy.Writes.Load() - writes; n != 1 {
		t.Errorf("%d writes, want the one refused TagResource", n)
	}
}

// TestParseCode reads back what codeTag writes, S3 keys with "@" in them
// included, and refuses what it did not write.
func TestParseCode(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	for _, c := range []Code{
		{ImageURI: imageURI("one")},
		{S3Bucket: "bkt", S3Key: "api/function.zip", SHA256: sum},
		{S3Bucket: "bkt", S3Key: "api@1.2.0/function.zip", SHA256: sum},
		{S3Bucket: "bkt", S3Key: "a@b@c.zip"},
	} {
		got, err := ParseCode(codeTag(c, ""))
		if err != nil || got != c {
			t.Errorf("ParseCode(%q) = %+v, %v; want %+v", codeTag(c, ""), got, err, c)
		}
	}
	for _, bad := range []string{"s3://bkt/key", "s3://bkt@" + sum, "s3://bkt/key@notasum", "repo:latest"} {
		if _, err := ParseCode(bad); err == nil {
			t.Errorf("ParseCode(%q) gave no error", bad)
		}
	}
}

// TestRecordTooLong: a record longer than a Lambda tag holds is refused
// before anything is asked of Lambda (the record is written after the
// update, so it would fail with the new code live).
func TestRecordTooLong(t *testing.T) {
	req := Request{Component: "api", Function: "api-fn", Commit: "c1",
		Code: Code{S3Bucket: "bkt", S3Key: strings.Repeat("k", 200) + "/function.zip", SHA256: strings.Repeat("ab", 32)}}
	_, err := Lambda(context.Background(), nil, req, io.Discard) // no client: nothing may be asked
	if err == nil || !strings.Contains(err.Error(), "longer than the 256 a Lambda tag holds") {
		t.Fatalf("a 290-character record: %v", err)
	}
}

// TestRollbackRace: a deploy that lands between a rollback's read and its
// update stops the rollback (it would otherwise go two steps back).
func TestRollbackRace(t *testing.T) {
	e := newLambdaEnv(t)
	e.proxy.Intercept(mototest.LambdaRevisions(e.endpoint))
	ctx := context.Background()
	other := lambda.NewFromConfig(mototest.Config(t, e.endpoint))
	var log bytes.Buffer
	for _, commit := range []string{"c1", "c2"} {
		if _, err := Lambda(ctx, e.client, Request{Component: "api", Function: "api-img", Code: Code{ImageURI: imageURI(commit)}, Commit: commit,
			RetryDelay: 10 * time.Millisecond}, &log); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { beforeUpdate = nil })
	raced := false
	beforeUpdate = func(ctx context.Context, function string) {
		if raced {
			return
		}
		raced = true
		out, err := other.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: &function, ImageUri: aws.String(imageURI("c3"))})
		if err == nil {
			_, err = other.TagResource(ctx, &lambda.TagResourceInput{Resource: out.FunctionArn, Tags: map[string]string{TagCommit: "c3"}})
		}
		if err != nil {
			t.Error(err)
		}
	}
	_, err := Rollback(ctx, e.client, Request{Component: "api", Function: "api-img", RetryDelay: 10 * time.Millisecond}, &log)
	if err == nil || !strings.Contains(err.Error(), "the function now runs commit c3, deployed since the rollback read commit c2") {
		t.Fatalf("rollback across a deploy: %v", err)
	}
	fn, _ := e.client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("api-img")})
	if got := aws.ToString(fn.Code.ImageUri); got != imageURI("c3") {
		t.Errorf("the function runs %s, want c3's image", got)
	}
}
