package job

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/monopipe/monopipe/internal/mototest"
	"github.com/monopipe/monopipe/pipelines/awsconf"
	"github.com/monopipe/monopipe/pipelines/deploy"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/publish"
	"github.com/monopipe/monopipe/pipelines/publish/oci"
	"github.com/monopipe/monopipe/pipelines/report"
	"github.com/monopipe/monopipe/pipelines/run"
	"github.com/monopipe/monopipe/pipelines/trigger"
)

// TestShipWebIdentity publishes and deploys with nothing but an OIDC token
// and a role: the deploy exchanges the token on moto's STS and updates the
// Lambda function with the role's credentials. When STS rejects the token
// and echoes it back, the deploy fails, and neither the token nor the
// role's secret key from the earlier run shows in the results or logs.
func TestShipWebIdentity(t *testing.T) {
	e := newShipEnv(t)
	proxy := mototest.NewProxy(t, e.endpoint)
	ctx := context.Background()
	var (
		mu       sync.Mutex
		tokens   []string // tokens STS received
		roleKeys []string // secret keys STS handed out
		reject   bool
	)
	secretKeyRE := regexp.MustCompile(`<SecretAccessKey>([^<]+)</SecretAccessKey>`)
	proxy.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if form.Get("Action") != "AssumeRoleWithWebIdentity" {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		tokens = append(tokens, form.Get("WebIdentityToken"))
		if reject {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>No OpenIDConnect provider trusts %s</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
				form.Get("WebIdentityToken"))
			return true
		}
		resp, err := http.Post(e.endpoint+"/", "application/x-www-form-urlencoded", bytes.NewReader(body))
		if err != nil {
			t.Error(err)
			return false
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		if m := secretKeyRE.FindSubmatch(answer); m != nil {
			roleKeys = append(roleKeys, string(m[1]))
		}
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(answer)
		return true
	})

	img, err := oci.Load(e.image)
	if err != nil {
		t.Fatal(err)
	}
	img.Close()
	const commit = "0123456789abcdef0123456789abcdef01234567"
	ws := &manifest.Workspace{BaseBranch: "main",
		Publish: manifest.Publish{Image: manifest.ImagePublish{Registry: e.reg.Host, Repository: "team/{name}"}},
		Deploy:  manifest.Deploy{Lambda: manifest.Lambda{Region: mototest.Region, Endpoint: proxy.URL, Timeout: "1m"}}}
	comps := []plan.Component{{Name: "api", Kind: manifest.KindGo, Manifest: &manifest.Component{Name: "api", Kind: manifest.KindGo,
		Deploy: manifest.Deploy{Lambda: manifest.Lambda{Function: "api-fn"}}}}}
	tr := trigger.Trigger{Event: trigger.EventPush, BaseSHA: "a", HeadSHA: commit, Branch: "main"}
	d := trigger.Decide(tr, "main")
	when := deploy.When{Branch: "main", BaseBranch: "main"}
	shipRun := func(secrets publish.Secrets) (*report.Results, string) {
		sh := e.shipper(t, ws, secrets)
		sh.ship = func(c plan.Component) (bool, string) { return shipping(tr, d, when, deployOn(ws, c.Manifest)) }
		sh.commit, sh.branch, sh.when = commit, "main", when
		res, err := run.Run(ctx, comps, run.Options{Steps: sh.steps(), Secrets: Secrets{Publish: secrets}.values()})
		out, _ := json.Marshal(res)
		return res, fmt.Sprint(string(out), res.Components[0].Log, err)
	}
	role := awsconf.Credentials{RoleARN: "arn:aws:iam::123456789012:role/ci-deployer"}

	good := role
	good.WebIdentityToken = mototest.OIDCToken(t, "repo:org/repo:ref:refs/heads/main")
	res, out := shipRun(publish.Secrets{RegistryUsername: "ci", RegistryPassword: regPassword, AWS: good})
	if api := res.Components[0]; api.Status != report.StatusSuccess {
		t.Fatalf("deploy with the web identity: %+v\n%s", api.Steps, api.Log)
	}
	ref := e.reg.Host + "/team/api@" + img.Digest.String()
	fn, err := e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("api-fn")})
	if err != nil || aws.ToString(fn.Code.ImageUri) != ref {
		t.Fatalf("function runs %v (%v), want %s", fn.Code, err, ref)
	}
	mu.Lock()
	if len(tokens) != 1 || tokens[0] != good.WebIdentityToken || len(roleKeys) != 1 {
		t.Errorf("STS got %d exchanges (token ours: %t), handed out %d keys; want one exchange of our token", len(tokens), len(tokens) > 0 && tokens[0] == good.WebIdentityToken, len(roleKeys))
	}
	mu.Unlock()

	bad := role
	bad.WebIdentityToken = mototest.OIDCToken(t, "repo:fork/repo:ref:refs/heads/main")
	mu.Lock()
	reject = true
	mu.Unlock()
	res, badOut := shipRun(publish.Secrets{RegistryUsername: "ci", RegistryPassword: regPassword, AWS: bad})
	api := res.Components[0]
	if api.Status != report.StatusFailure || api.Steps[1].Status != report.StatusFailure || !strings.Contains(api.Steps[1].Error, "InvalidIdentityToken") {
		t.Fatalf("rejected token: %+v", api.Steps)
	}
	for _, s := range append([]string{good.WebIdentityToken, bad.WebIdentityToken, regPassword}, roleKeys...) {
		for _, form := range []string{s, url.QueryEscape(s)} {
			if strings.Contains(out+badOut, form) {
				t.Errorf("a secret shows in the results or logs: %q", form)
			}
		}
	}
}
