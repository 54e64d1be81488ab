package job

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/monopipe/monopipe/internal/mototest"
	"github.com/monopipe/monopipe/internal/ocitest"
	"github.com/monopipe/monopipe/pipelines/deploy"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/publish"
	"github.com/monopipe/monopipe/pipelines/publish/oci"
	"github.com/monopipe/monopipe/pipelines/report"
	"github.com/monopipe/monopipe/pipelines/run"
	"github.com/monopipe/monopipe/pipelines/trigger"
)

func TestClassify(t *testing.T) {
	files := []string{"/o/web-1.0.0.tgz", "/o/lib-1.0.0-py3-none-any.whl", "/o/lib-1.0.0.tar.gz", "/o/api", "/o/fn.zip"}
	for _, tc := range []struct {
		kind manifest.Kind
		want publish.Outputs
	}{
		{manifest.KindNode, publish.Outputs{Image: "img", NPMPackage: "/o/web-1.0.0.tgz",
			Files: []string{"/o/lib-1.0.0-py3-none-any.whl", "/o/lib-1.0.0.tar.gz", "/o/api", "/o/fn.zip"}}},
		{manifest.KindPython, publish.Outputs{Image: "img", PythonDists: []string{"/o/lib-1.0.0-py3-none-any.whl", "/o/lib-1.0.0.tar.gz"},
			Files: []string{"/o/web-1.0.0.tgz", "/o/api", "/o/fn.zip"}}},
		{manifest.KindGo, publish.Outputs{Image: "img", Files: files}},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			if got := classify(tc.kind, &outputs{image: "img", files: files}); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("classify\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
	if z := zipFile(files); z != "/o/fn.zip" {
		t.Errorf("zipFile = %q", z)
	}
	if z := zipFile(files[:2]); z != "" {
		t.Errorf("zipFile without a zip = %q", z)
	}
}

// shipEnv is a registry behind basic auth, moto with an image Lambda
// function, and a shipper whose engine exports are replaced by a random
// image and a zip on disk.
type shipEnv struct {
	reg      *ocitest.Registry
	lambda   *lambda.Client
	endpoint string
	image    string
	exports  map[string]int
}

const regPassword = "registry-SECRET-pw"

func newShipEnv(t *testing.T) *shipEnv {
	t.Helper()
	endpoint := mototest.Start(t)
	role := mototest.CreateLambdaRole(t, endpoint, "lambda-exec")
	e := &shipEnv{reg: ocitest.NewRegistry(t, "ci", regPassword), lambda: lambda.NewFromConfig(mototest.Config(t, endpoint)),
		endpoint: endpoint, image: ocitest.RandomImage(t), exports: map[string]int{}}
	_, err := e.lambda.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String("api-fn"), Role: aws.String(role), PackageType: types.PackageTypeImage,
		Code: &types.FunctionCode{ImageUri: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:" + strings.Repeat("0", 64))},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *shipEnv) shipper(t *testing.T, ws *manifest.Workspace, secrets publish.Secrets) *shipper {
	sh, err := newShipper(nil, ws)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sh.close)
	sh.exportImage = func(_ context.Context, name, path string) (bool, error) {
		e.exports[name+" image"]++
		if name == "lib" {
			return false, nil
		}
		data, err := os.ReadFile(e.image)
		if err != nil {
			return false, err
		}
		return true, os.WriteFile(path, data, 0o644)
	}
	sh.exportFiles = func(_ context.Context, name, dir string) error {
		e.exports[name+" files"]++
		if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "bin", name), []byte("binary"), 0o755)
	}
	sh.secrets = secrets
	return sh
}

// TestShipSteps runs the publish and deploy steps through the executor,
// as CI does on the base branch: the image goes to the registry by digest
// with the commit tag, the Lambda function then runs that digest; a second
// run changes nothing; a wrong registry password fails publish, skips
// deploy and shows no secret anywhere.
func TestShipSteps(t *testing.T) {
	e := newShipEnv(t)
	ctx := context.Background()
	img, err := oci.Load(e.image)
	if err != nil {
		t.Fatal(err)
	}
	img.Close()
	const commit = "0123456789abcdef0123456789abcdef01234567"
	ws := &manifest.Workspace{BaseBranch: "main",
		Publish: manifest.Publish{Image: manifest.ImagePublish{Registry: e.reg.Host, Repository: "team/{name}"}},
		Deploy:  manifest.Deploy{Lambda: manifest.Lambda{Region: mototest.Region, Endpoint: e.endpoint, Timeout: "1m"}}}
	comps := []plan.Component{
		{Name: "api", Kind: manifest.KindGo, Manifest: &manifest.Component{Name: "api", Kind: manifest.KindGo,
			Deploy: manifest.Deploy{Lambda: manifest.Lambda{Function: "api-fn"}}}},
		// A python package has no image: the image target matches nothing.
		{Name: "lib", Kind: manifest.KindPython, Manifest: &manifest.Component{Name: "lib", Kind: manifest.KindPython}},
	}
	tr := trigger.Trigger{Event: trigger.EventPush, BaseSHA: "a", HeadSHA: commit, Branch: "main"}
	d := trigger.Decide(tr, "main")
	when := deploy.When{Branch: "main", BaseBranch: "main"}
	secrets := publish.Secrets{RegistryUsername: "ci", RegistryPassword: regPassword, AWS: mototest.Credentials}
	shipRun := func(secrets publish.Secrets, dryRun bool) *report.Results {
		sh := e.shipper(t, ws, secrets)
		sh.dryRun = dryRun
		sh.ship = func(c plan.Component) (bool, string) { return shipping(tr, d, when, deployOn(ws, c.Manifest)) }
		sh.commit, sh.branch, sh.when = commit, "main", when
		all := Secrets{Publish: secrets}.values()
		res, _ := run.Run(ctx, comps, run.Options{Steps: sh.steps(), Secrets: append(all, regPassword)})
		return res
	}

	// Dry run: says what it would push and deploy, and writes nothing.
	res := shipRun(secrets, true)
	api := res.Components[0]
	if api.Status != report.StatusSuccess || e.reg.Puts.Load() != 0 || !strings.Contains(api.Log, "dry run: would publish image") ||
		!strings.Contains(api.Log, "dry run: would deploy lambda api-fn <- image "+e.reg.Host+"/team/api@"+img.Digest.String()) {
		t.Fatalf("dry run: %s, %d registry writes, log:\n%s", api.Status, e.reg.Puts.Load(), api.Log)
	}

	res = shipRun(secrets, false)
	api, lib := res.Components[0], res.Components[1]
	if api.Status != report.StatusSuccess || api.Steps[0].Status != report.StatusSuccess || api.Steps[1].Status != report.StatusSuccess {
		t.Fatalf("api: %+v", api)
	}
	ref := e.reg.Host + "/team/api@" + img.Digest.String()
	if fmt.Sprint(api.Artifacts[0]) != ref || !strings.HasPrefix(api.Artifacts[1], "lambda api-fn ") {
		t.Errorf("artifacts %v, want %s first", api.Artifacts, ref)
	}
	e.reg.AssertTags(t, "team/api", img.Digest, "0123456")
	fn, err := e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("api-fn")})
	if err != nil || aws.ToString(fn.Code.ImageUri) != ref {
		t.Fatalf("function runs %v (%v), want %s", fn.Code, err, ref)
	}
	if lib.Status != report.StatusSuccess || lib.Steps[0].Status != report.StatusSkipped || lib.Steps[1].Status != report.StatusSkipped ||
		!strings.Contains(lib.Steps[0].Error, "match none of the build's outputs") || !strings.Contains(lib.Steps[1].Error, "no deploy.lambda.function") {
		t.Errorf("lib: %+v", lib.Steps)
	}
	if e.exports["api image"] != 2 || e.exports["api files"] != 0 {
		t.Errorf("exports %v: want the image once a run and no files (only the image is published)", e.exports)
	}

	// Again: nothing changes, the deploy says so.
	puts := e.reg.Puts.Load()
	res = shipRun(secrets, false)
	if api = res.Components[0]; api.Status != report.StatusSuccess || e.reg.Puts.Load() != puts || !strings.Contains(api.Log, "already") {
		t.Errorf("second run: status %s, %d registry writes, log:\n%s", api.Status, e.reg.Puts.Load()-puts, api.Log)
	}

	// Wrong password: publish fails, deploy is skipped, no secret shows.
	bad := secrets
	bad.RegistryPassword = "wrong-SECRET-pw"
	res = shipRun(bad, false)
	api = res.Components[0]
	if api.Status != report.StatusFailure || api.Steps[0].Status != report.StatusFailure || api.Steps[1].Status != report.StatusSkipped {
		t.Fatalf("wrong password: %+v", api.Steps)
	}
	out, _ := json.Marshal(res)
	for _, s := range []string{"wrong-SECRET-pw", regPassword, mototest.Credentials.SecretAccessKey} {
		if strings.Contains(string(out)+api.Log, s) {
			t.Errorf("results show a secret %q:\n%s", s, out)
		}
	}
}
