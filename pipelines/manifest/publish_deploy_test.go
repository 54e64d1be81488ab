package manifest

import (
	"reflect"
	"strings"
	"testing"
)

func TestPublishDeployParseAndMerge(t *testing.T) {
	ws, err := ParseWorkspace("monopipe.yaml", []byte(`
publish:
  image:
    registry: 123456789012.dkr.ecr.eu-west-1.amazonaws.com
    repository: team/{name}
    latest: base
    semverAliases: true
    ecr: {createRepository: true}
  npm: {registry: "http://npm.local/"}
  s3: {bucket: artifacts, region: eu-west-1, overwrite: true}
deploy:
  on: [base, release]
  lambda: {region: eu-west-1, publishVersion: true, alias: live}
`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseComponent("svc/api/component.yaml", []byte(`
name: api
kind: go
publish:
  image: {repository: api-img, latest: release}
  s3: {key: "lambda/{name}/{version}.zip"}
deploy:
  on: [branch]
  lambda: {function: api-fn, code: s3, timeout: 90s}
`))
	if err != nil {
		t.Fatal(err)
	}
	wsBefore := *ws
	pub, err := ws.Publish.Merge(c.Publish)
	if err != nil {
		t.Fatal(err)
	}
	dep, err := ws.Deploy.Merge(c.Deploy)
	if err != nil {
		t.Fatal(err)
	}
	wantPub := Publish{
		Image: ImagePublish{Registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", Repository: "api-img", Latest: "release", SemverAliases: true, ECR: ECR{CreateRepository: true}},
		NPM:   NPMPublish{Registry: "http://npm.local/"},
		S3:    S3Publish{Bucket: "artifacts", Key: "lambda/{name}/{version}.zip", Region: "eu-west-1", Overwrite: true},
	}
	if !reflect.DeepEqual(pub, wantPub) {
		t.Errorf("merged publish\n got %+v\nwant %+v", pub, wantPub)
	}
	wantDep := Deploy{On: []string{"branch"}, Lambda: Lambda{Function: "api-fn", Region: "eu-west-1", Code: "s3", PublishVersion: true, Alias: "live", Timeout: "90s"}}
	if !reflect.DeepEqual(dep, wantDep) {
		t.Errorf("merged deploy\n got %+v\nwant %+v", dep, wantDep)
	}
	if !reflect.DeepEqual(*ws, wsBefore) || ws.Publish.Image.Repository != "team/{name}" || ws.Deploy.On[0] != "base" {
		t.Errorf("merge modified the workspace defaults: %+v", ws)
	}
	if err := pub.Validate(); err != nil {
		t.Error(err)
	}
	if err := dep.Validate(); err != nil {
		t.Error(err)
	}
}

func TestPublishDeployValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		pub  Publish
		dep  Deploy
		want string
	}{
		{name: "empty is valid"},
		{name: "latest", pub: Publish{Image: ImagePublish{Latest: "always"}}, want: `publish.image.latest: "always" is not one of never, base, release`},
		{name: "method", pub: Publish{Generic: GenericPublish{Method: "patch"}}, want: `publish.generic.method: "PATCH" is not one of PUT, POST`},
		{name: "post ok", pub: Publish{Generic: GenericPublish{Method: "post"}}},
		{name: "on", dep: Deploy{On: []string{"base", "tag"}}, want: `deploy.on: "tag" is not one of base, release, branch`},
		{name: "code", dep: Deploy{Lambda: Lambda{Code: "oci"}}, want: `deploy.lambda.code: "oci" is not one of image, s3, zip`},
		{name: "timeout", dep: Deploy{Lambda: Lambda{Timeout: "5 minutes"}}, want: `deploy.lambda.timeout: time: unknown unit`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.pub.Validate()
			if err == nil {
				err = tc.dep.Validate()
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestPublishUnknownKey(t *testing.T) {
	_, err := ParseComponent("a/component.yaml", []byte("name: a\nkind: go\npublish:\n  image:\n    regsitry: x\n"))
	if err == nil || !strings.Contains(err.Error(), `a/component.yaml:5: unknown key "regsitry"`) {
		t.Fatalf("got %v", err)
	}
}
