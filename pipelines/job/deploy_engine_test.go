package job

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/monopipe/monopipe/internal/enginetest"
	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/internal/mototest"
	"github.com/monopipe/monopipe/internal/ocitest"
	"github.com/monopipe/monopipe/pipelines/publish"
)

// TestEngineDeployLoop is the laptop loop on the example monorepo's
// Lambda components (hello-api with greet, lambda-image) against moto and
// the in-process registry, on a real engine: a first deploy of everything
// to dev, then five times a one-line change to hello-api and `deploy`
// (the working tree's changes): hello-api-dev's code hash changes every
// time, lambda-image-dev's never, and each round's phases are logged with
// their median.
func TestEngineDeployLoop(t *testing.T) {
	ctx, client := enginetest.Connect(t, 30*time.Minute)
	endpoint := mototest.Start(t)
	role := mototest.CreateLambdaRole(t, endpoint, "lambda-exec")
	fns := lambda.NewFromConfig(mototest.Config(t, endpoint))
	reg := ocitest.NewRegistry(t, "dev", regPassword)
	r := gittest.New(t)
	for _, c := range []string{"greet", "hello-api", "lambda-image"} {
		if err := os.CopyFS(filepath.Join(r.Dir, "components", c), os.DirFS(filepath.Join("..", "..", "components", c))); err != nil {
			t.Fatal(err)
		}
	}
	r.Commit("example components", map[string]string{
		"monopipe.yaml": `components: ["components/*"]
publish:
  image: {registry: ` + reg.Host + `, repository: "team/{name}"}
deploy:
  lambda: {region: us-east-1, endpoint: "` + endpoint + `"}
environments:
  - name: dev
    publish: {image: {tagSuffix: "-dev"}}
    deploy: {lambda: {function: "{component}-dev"}}
`,
		"components/greet/component.yaml": "name: greet\nkind: go\nenvironments:\n  dev: {skip: true}\n",
	})
	r.Commit("start", nil) // on main the base is HEAD^: only the working tree's changes count
	for _, fn := range []string{"hello-api-dev", "lambda-image-dev"} {
		_, err := fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(fn), Role: aws.String(role), PackageType: types.PackageTypeImage,
			Code: &types.FunctionCode{ImageUri: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/x@sha256:" + strings.Repeat("0", 64))}})
		if err != nil {
			t.Fatal(err)
		}
	}
	codeOf := func(fn string) string {
		out, err := fns.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Configuration.CodeSha256)
	}
	secrets := Secrets{Publish: publish.Secrets{RegistryUsername: "dev", RegistryPassword: regPassword, AWS: mototest.Credentials}}
	deployDev := func(all bool) *DeployReport {
		var log bytes.Buffer
		o := DeployOptions{Env: "dev", Secrets: secrets, Log: &log}
		o.Plan.All = all
		// NoCache: the same path again in the same session is otherwise
		// served as first loaded (a new dagger call is a new session).
		rep, err := Deploy(ctx, client, client.Host().Directory(r.Dir, dagger.HostDirectoryOpts{NoCache: true}), o)
		if err != nil {
			t.Fatalf("%v\n%s", err, log.String())
		}
		if rep.Err != nil {
			t.Fatalf("%s\n%s", rep.Summary(), log.String())
		}
		return rep
	}

	deployDev(true)
	img := codeOf("lambda-image-dev")
	var totals []time.Duration
	for i := range 5 {
		before := codeOf("hello-api-dev")
		api := filepath.Join(r.Dir, "components", "hello-api", "api.go")
		src, err := os.ReadFile(api)
		if err != nil {
			t.Fatal(err)
		}
		changed := strings.Replace(string(src), `map[string]string{"message": msg}`, `map[string]string{"message": msg, "rev": "`+string(rune('a'+i))+`"}`, 1)
		if i > 0 {
			changed = strings.Replace(string(src), `"rev": "`+string(rune('a'+i-1))+`"`, `"rev": "`+string(rune('a'+i))+`"`, 1)
		}
		if changed == string(src) {
			t.Fatal("the one-line change did not apply")
		}
		if err := os.WriteFile(api, []byte(changed), 0o644); err != nil {
			t.Fatal(err)
		}
		rep := deployDev(false)
		if names := componentNames(rep); !slices.Equal(names, []string{"hello-api"}) {
			t.Fatalf("round %d deployed %v, want hello-api alone", i, names)
		}
		after := codeOf("hello-api-dev")
		if after == before {
			t.Fatalf("round %d: hello-api-dev's code hash did not change (%s)", i, after)
		}
		if !strings.Contains(rep.Summary(), after) {
			t.Errorf("the summary does not print the new code hash %s:\n%s", after, rep.Summary())
		}
		t.Logf("round %d: %s; total %s", i, rep.Phases, rep.Total.Round(time.Millisecond))
		totals = append(totals, rep.Total)
	}
	if codeOf("lambda-image-dev") != img {
		t.Error("lambda-image-dev changed though nothing of it did")
	}
	slices.Sort(totals)
	t.Logf("one-line change to new code hash, median of %d: %s", len(totals), totals[len(totals)/2].Round(time.Millisecond))
}

func componentNames(rep *DeployReport) []string {
	var names []string
	for _, c := range rep.Results.Components {
		names = append(names, c.Name)
	}
	return names
}
