// Package s3put uploads a file to S3 idempotently: the content's sha256 is
// stored in the object's metadata, an object with the same sha256 is left
// alone, and one with other content is an error unless overwriting is
// allowed.
package s3put

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// MetaSHA256 is the metadata key holding the content's hex sha256.
const MetaSHA256 = "sha256"

// NewClient returns an S3 client for cfg, with path-style addressing when a
// custom endpoint is set (local services have no bucket subdomains).
func NewClient(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil })
}

// Object is where to upload.
type Object struct {
	Bucket, Key string
	// Overwrite replaces an object with other content instead of failing.
	Overwrite bool
}

// URI is s3://bucket/key.
func (o Object) URI() string { return "s3://" + o.Bucket + "/" + o.Key }

// Result is what an upload did.
type Result struct {
	URI    string
	SHA256 string
	// Changed is false when the object already had this content.
	Changed bool
}

// FileSHA256 returns the hex sha256 of a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Upload puts file at obj unless the same content is already there.
func Upload(ctx context.Context, client *s3.Client, file string, obj Object, log io.Writer) (*Result, error) {
	sum, err := FileSHA256(file)
	if err != nil {
		return nil, fmt.Errorf("upload to %s: %w", obj.URI(), err)
	}
	res := &Result{URI: obj.URI(), SHA256: sum}
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &obj.Bucket, Key: &obj.Key})
	var apiErr smithy.APIError
	switch {
	case err == nil && head.Metadata[MetaSHA256] == sum:
		fmt.Fprintf(log, "s3: %s already has this content (sha256 %s)\n", obj.URI(), sum)
		return res, nil
	case err == nil && !obj.Overwrite:
		return nil, fmt.Errorf("upload to %s: the object exists with other content (sha256 %q, not %s); a published version is never overwritten (set overwrite to allow it)",
			obj.URI(), head.Metadata[MetaSHA256], sum)
	case err != nil && !(errors.As(err, &apiErr) && apiErr.ErrorCode() == "NotFound"):
		return nil, fmt.Errorf("upload to %s: head: %w", obj.URI(), err)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("upload to %s: %w", obj.URI(), err)
	}
	defer f.Close()
	_, err = client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &obj.Bucket, Key: &obj.Key, Body: f,
		Metadata: map[string]string{MetaSHA256: sum},
	})
	if err != nil {
		return nil, fmt.Errorf("upload to %s: %w", obj.URI(), err)
	}
	res.Changed = true
	fmt.Fprintf(log, "s3: uploaded %s (sha256 %s)\n", obj.URI(), sum)
	return res, nil
}
