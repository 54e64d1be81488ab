package deploy

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/monopipe/monopipe/internal/mototest"
	"github.com/monopipe/monopipe/internal/ocitest"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/publish"
)

// BenchmarkDeployNoChange is the fast path: the function already runs the
// image digest, so the deploy is one GetFunction against moto.
func BenchmarkDeployNoChange(b *testing.B) {
	e := newLambdaEnv(b)
	in := Input{Component: "api", When: When{Branch: "main", BaseBranch: "main"}, Image: imageURI("initial"), Credentials: mototest.Credentials,
		Config: manifest.Deploy{Lambda: manifest.Lambda{Function: "api-img", Region: mototest.Region, Endpoint: e.proxy.URL}}}
	ctx := context.Background()
	for b.Loop() {
		_, res, err := Run(ctx, in, false, io.Discard)
		if err != nil || !res.Skipped {
			b.Fatalf("%+v, %v", res, err)
		}
	}
}

// BenchmarkPublishAndDeploy publishes one component (a new small image to
// an in-process registry and its zip to moto's S3) and deploys the image
// to Lambda in moto, waiting until the update is live.
func BenchmarkPublishAndDeploy(b *testing.B) {
	e := newLambdaEnv(b)
	reg := ocitest.NewRegistry(b, "", "")
	ctx := context.Background()
	s3c := s3.NewFromConfig(e.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("artifacts")}); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		zip := filepath.Join(dir, fmt.Sprintf("api-%d.zip", i))
		os.WriteFile(zip, []byte(fmt.Sprintf("zip %d", i)), 0o644)
		pin := publish.Input{
			Component: "api", Commit: fmt.Sprintf("%07d89abcdef", i), Branch: "main", BaseBranch: "main",
			Config: manifest.Publish{
				Image: manifest.ImagePublish{Registry: reg.Host},
				S3:    manifest.S3Publish{Bucket: "artifacts", Region: mototest.Region, Endpoint: e.proxy.URL},
			},
			Outputs: publish.Outputs{Image: ocitest.RandomImage(b), Files: []string{zip}},
			Secrets: publish.Secrets{AWS: mototest.Credentials},
		}
		b.StartTimer()
		pub, err := publish.Run(ctx, pin, false, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		din := Input{Component: "api", When: When{Branch: "main", BaseBranch: "main"}, Image: pub.Image, Credentials: mototest.Credentials,
			RetryDelay: 100 * time.Millisecond,
			Config:     manifest.Deploy{Lambda: manifest.Lambda{Function: "api-img", Region: mototest.Region, Endpoint: e.proxy.URL}}}
		_, res, err := Run(ctx, din, false, io.Discard)
		if err != nil || res.Skipped {
			b.Fatalf("%+v, %v", res, err)
		}
	}
}
