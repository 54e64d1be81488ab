package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/monopipe/monopipe/internal/httpfake"
	"github.com/monopipe/monopipe/internal/mototest"
	"github.com/monopipe/monopipe/internal/ocitest"
	"github.com/monopipe/monopipe/pipelines/awsconf"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/publish/oci"
	"github.com/monopipe/monopipe/pipelines/publish/s3put"
)

const commit = "0123456789abcdef0123456789abcdef01234567"

// TestRun publishes an image (ECR login and repository from moto, push to
// an in-process registry that demands the ECR token), a zip to moto's S3
// and over HTTP: dry run first, then for real, then again.
func TestRun(t *testing.T) {
	endpoint := mototest.Start(t)
	proxy := mototest.NewProxy(t, endpoint)
	reg := ocitest.NewRegistry(t, "AWS", "123456789012-auth-token")
	files := httpfake.NewStore(t, "http-token-SECRET")

	ctx := context.Background()
	s3c := s3put.NewClient(mototest.Config(t, endpoint))
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("artifacts")}); err != nil {
		t.Fatal(err)
	}
	zip := filepath.Join(t.TempDir(), "api.zip")
	os.WriteFile(zip, []byte("lambda zip"), 0o644)
	sha, _ := s3put.FileSHA256(zip)

	in := Input{
		Component: "api",
		Config: manifest.Publish{
			Image:   manifest.ImagePublish{Registry: reg.Host, Repository: "team/{name}", Latest: "release", ECR: manifest.ECR{Endpoint: proxy.URL, Region: "us-east-1", CreateRepository: true}},
			S3:      manifest.S3Publish{Bucket: "artifacts", Endpoint: proxy.URL, Region: "us-east-1"},
			Generic: manifest.GenericPublish{URL: files.URL + "/files/{name}/{version}/{file}"},
		},
		Commit: commit, Branch: "main", BaseBranch: "main", Version: "1.0.0",
		Outputs: Outputs{Image: ocitest.RandomImage(t), Files: []string{zip}},
		Secrets: Secrets{AWS: mototest.Credentials, HTTPToken: "http-token-SECRET"},
	}
	img, err := oci.Load(in.Outputs.Image)
	if err != nil {
		t.Fatal(err)
	}
	img.Close()
	var log bytes.Buffer

	// Dry run: the plan, and no request at all.
	res, err := Run(ctx, in, true, &log)
	if err != nil {
		t.Fatal(err)
	}
	wantPlan := []Step{
		{Kind: "image", Source: in.Outputs.Image, Target: reg.Host + "/team/api", Detail: img.Digest.String() + " tags 0123456,1.0.0,latest"},
		{Kind: "generic", Source: zip, Target: files.URL + "/files/api/1.0.0/api.zip", Detail: "sha256 " + sha},
		{Kind: "s3", Source: zip, Target: "s3://artifacts/api/1.0.0/api.zip", Detail: "sha256 " + sha},
	}
	if fmt.Sprint(res.Plan) != fmt.Sprint(wantPlan) || len(res.Published) != 0 || res.Image != reg.Host+"/team/api@"+img.Digest.String() {
		t.Fatalf("dry run:\n%v\nwant\n%v\n%+v", res.Plan, wantPlan, res)
	}
	if reg.Puts.Load() != 0 || proxy.Writes.Load() != 0 || files.Writes() != 0 {
		t.Fatalf("the dry run wrote: registry %d, AWS %d, http %d", reg.Puts.Load(), proxy.Writes.Load(), files.Writes())
	}
	if !strings.Contains(log.String(), "dry run: would publish image") {
		t.Errorf("dry-run log: %s", log.String())
	}

	// For real.
	res, err = Run(ctx, in, false, &log)
	if err != nil {
		t.Fatal(err)
	}
	wantArtifacts := []string{res.Image, files.URL + "/files/api/1.0.0/api.zip", "s3://artifacts/api/1.0.0/api.zip"}
	if fmt.Sprint(res.Artifacts()) != fmt.Sprint(wantArtifacts) {
		t.Errorf("artifacts %v, want %v", res.Artifacts(), wantArtifacts)
	}
	for _, p := range res.Published {
		if !p.Changed {
			t.Errorf("first publish did not change %s", p.Ref)
		}
	}
	reg.AssertTags(t, "team/api", img.Digest, "0123456", "1.0.0", "latest")
	if got := files.File("/files/api/1.0.0/api.zip"); got != "lambda zip" {
		t.Errorf("http file holds %q", got)
	}
	if !strings.Contains(log.String(), "ECR: created repository team/api") {
		t.Errorf("log: %s", log.String())
	}

	// Again: nothing changes.
	regPuts, httpWrites := reg.Puts.Load(), files.Writes()
	res, err = Run(ctx, in, false, &log)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Published {
		if p.Changed {
			t.Errorf("re-publish changed %s", p.Ref)
		}
	}
	if reg.Puts.Load() != regPuts || files.Writes() != httpWrites {
		t.Errorf("re-publish wrote to the registry or the HTTP server")
	}

	// Another image as the same release: refused, nothing else touched.
	in.Outputs.Image = ocitest.RandomImage(t)
	os.WriteFile(zip, []byte("other zip"), 0o644)
	_, err = Run(ctx, in, false, &log)
	if err == nil || !strings.Contains(err.Error(), "publish api: push image: release tag "+reg.Host+"/team/api:1.0.0 already points at") {
		t.Fatalf("got %v", err)
	}
	if files.File("/files/api/1.0.0/api.zip") != "lambda zip" {
		t.Errorf("the HTTP file changed after the image was refused")
	}

	for _, secret := range []string{mototest.Credentials.SecretAccessKey, "http-token-SECRET", "123456789012-auth-token"} {
		if strings.Contains(log.String(), secret) || strings.Contains(err.Error(), secret) {
			t.Errorf("a secret shows in the log or error: %q", secret)
		}
	}
}

func TestSecretsString(t *testing.T) {
	s := Secrets{RegistryPassword: "reg-SECRET", NPMToken: "npm-SECRET", AWS: mototest.Credentials}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, Input{Secrets: s})
		if strings.Contains(out, "SECRET") || strings.Contains(out, mototest.Credentials.SecretAccessKey) {
			t.Errorf("%s shows a secret: %s", format, out)
		}
	}
}

// TestRunProvenance: the image a publish pushes carries the provenance it
// is given, and the dry run names the digest that the push then writes.
func TestRunProvenance(t *testing.T) {
	reg := ocitest.NewRegistry(t, "", "")
	prov := oci.Provenance{Source: "https://github.com/org/repo", Revision: commit, Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	in := Input{Component: "api", Config: manifest.Publish{Image: manifest.ImagePublish{Registry: reg.Host}},
		Commit: commit, Branch: "main", BaseBranch: "main", Provenance: prov, Outputs: Outputs{Image: ocitest.RandomImage(t)}}
	ctx := context.Background()
	dry, err := Run(ctx, in, true, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, in, false, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if res.Image != dry.Image {
		t.Fatalf("pushed %s, the dry run said %s", res.Image, dry.Image)
	}
	ref, err := name.ParseReference(res.Image)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Annotations map[string]string }
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{oci.AnnotationSource: prov.Source, oci.AnnotationRevision: commit, oci.AnnotationCreated: "2026-01-02T03:04:05Z"}
	if fmt.Sprint(m.Annotations) != fmt.Sprint(want) {
		t.Errorf("manifest annotations %v, want %v", m.Annotations, want)
	}
}

// TestECRLoginWebIdentity: the ECR login uses the run's credentials, here
// an OIDC token exchanged on moto's STS: ECR's calls are signed with the
// role's short-lived key, a manifest's ecr.roleArn assumed on top.
func TestECRLoginWebIdentity(t *testing.T) {
	proxy := mototest.NewProxy(t, mototest.Start(t))
	var (
		mu      sync.Mutex
		actions []string
		ecrKeys []string
	)
	credRE := regexp.MustCompile(`Credential=([A-Z0-9]+)/`)
	proxy.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		if target := r.Header.Get("X-Amz-Target"); strings.HasPrefix(target, "AmazonEC2ContainerRegistry") {
			actions = append(actions, strings.TrimPrefix(target, "AmazonEC2ContainerRegistry_V20150921."))
			if m := credRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
				ecrKeys = append(ecrKeys, m[1])
			}
			return false
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if q, _ := url.ParseQuery(string(body)); q.Get("Action") != "" {
			actions = append(actions, q.Get("Action"))
		}
		return false
	})
	token := mototest.OIDCToken(t, "repo:org/repo:ref:refs/heads/main")
	s := Secrets{AWS: awsconf.Credentials{RoleARN: "arn:aws:iam::123456789012:role/ci", WebIdentityToken: token}}
	c := manifest.ImagePublish{ECR: manifest.ECR{Endpoint: proxy.URL, Region: mototest.Region, CreateRepository: true, RoleARN: "arn:aws:iam::123456789012:role/ecr-push"}}
	var log bytes.Buffer
	tgt, err := ImageTarget(context.Background(), "api", c, s, &log)
	if err != nil {
		t.Fatal(err)
	}
	if tgt.Repository != "123456789012.dkr.ecr.us-east-1.amazonaws.com/api" || tgt.Auth == nil {
		t.Fatalf("target %+v", tgt)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(actions, " "); !strings.HasPrefix(got, "AssumeRoleWithWebIdentity AssumeRole GetAuthorizationToken") {
		t.Errorf("calls %s, want the token exchanged, the manifest's role assumed, then the ECR login", got)
	}
	for _, k := range ecrKeys {
		if !strings.HasPrefix(k, "ASIA") {
			t.Errorf("an ECR call was signed with %s, not short-lived role credentials", k)
		}
	}
	if len(ecrKeys) == 0 || strings.Contains(log.String(), token) {
		t.Errorf("ECR keys %v; log:\n%s", ecrKeys, log.String())
	}
}
