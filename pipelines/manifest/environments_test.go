package manifest

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

const envWorkspace = `
deploy:
  lambda: {region: eu-west-1, publishVersion: true}
publish:
  image: {registry: 123456789012.dkr.ecr.eu-west-1.amazonaws.com}
environments:
  - name: dev
    on: [branch]
    deploy:
      lambda: {function: "{component}-{env}"}
  - name: staging
    on: [base]
    aws: {roleArn: "arn:aws:iam::111111111111:role/deploy", region: us-east-2, account: "111111111111"}
    deploy:
      lambda: {function: "{function}-staging", alias: live}
  - name: prod
    on: [manual, release]
    aws: {region: us-west-2, account: "222222222222"}
    deploy:
      lambda: {alias: live, region: eu-central-1}
    publish:
      image: {repository: "prod/{name}"}
`

func TestTargetFor(t *testing.T) {
	ws, err := ParseWorkspace("monopipe.yaml", []byte(envWorkspace))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseComponent("api/component.yaml", []byte(`
name: api
kind: go
deploy:
  lambda: {function: api-fn}
environments:
  dev:
    deploy: {lambda: {alias: dev-live}}
  prod:
    skip: true
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckEnvironments(ws, c); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env  string
		want Target
	}{
		{"dev", Target{Env: "dev", On: []string{"branch"},
			Deploy:  Deploy{Lambda: Lambda{Function: "api-dev", Region: "eu-west-1", PublishVersion: true, Alias: "dev-live"}},
			Publish: Publish{Image: ImagePublish{Registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com"}}}},
		{"staging", Target{Env: "staging", On: []string{"base"}, Account: "111111111111",
			Deploy:  Deploy{Lambda: Lambda{Function: "api-fn-staging", Region: "us-east-2", RoleARN: "arn:aws:iam::111111111111:role/deploy", PublishVersion: true, Alias: "live"}},
			Publish: Publish{Image: ImagePublish{Registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com"}}}},
		{"prod", Target{Env: "prod", On: []string{"manual", "release"}, Skip: true, Account: "222222222222",
			Deploy:  Deploy{Lambda: Lambda{Function: "api-fn", Region: "eu-central-1", PublishVersion: true, Alias: "live"}},
			Publish: Publish{Image: ImagePublish{Registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", Repository: "prod/{name}"}}}},
	} {
		got, err := TargetFor(ws, c, tc.env)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.env, got, tc.want)
		}
	}
	// The component's general deploy.lambda.function was dev's override
	// target, but the workspace wins with its template; without an
	// environment there is none to choose.
	if _, err := TargetFor(ws, c, ""); err == nil || !strings.Contains(err.Error(), "dev, staging, prod") {
		t.Errorf("no env: %v", err)
	}
	// {function} of a component that names none: no deploy there.
	lib, _ := ParseComponent("lib/component.yaml", []byte("name: lib\nkind: go\n"))
	if got, err := TargetFor(ws, lib, "staging"); err != nil || got.Deploy.Lambda.Function != "" {
		t.Errorf("lib in staging deploys to %q (%v), want no function", got.Deploy.Lambda.Function, err)
	}
	if got, _ := TargetFor(ws, lib, "dev"); got.Deploy.Lambda.Function != "lib-dev" {
		t.Errorf("lib in dev deploys to %q, want lib-dev", got.Deploy.Lambda.Function)
	}
	if _, err := TargetFor(ws, c, "qa"); err == nil || !strings.Contains(err.Error(), `no environment "qa"`) {
		t.Errorf("unknown env: %v", err)
	}
	ts, err := Targets(ws, c)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, t := range ts {
		names = append(names, t.Env)
	}
	if !slices.Equal(names, []string{"dev", "staging"}) {
		t.Errorf("targets %v, want dev, staging (prod skipped)", names)
	}

	// Without environments: the one deploy section, as before.
	plain, err := ParseWorkspace("monopipe.yaml", []byte("deploy: {on: [base], lambda: {region: eu-west-1}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	ts, err = Targets(plain, c)
	if err != nil {
		t.Fatal(err)
	}
	want := []Target{{On: []string{"base"}, Deploy: Deploy{On: []string{"base"}, Lambda: Lambda{Function: "api-fn", Region: "eu-west-1"}}}}
	if !reflect.DeepEqual(ts, want) {
		t.Errorf("implicit environment\n got %+v\nwant %+v", ts, want)
	}
}

func TestEnvironmentErrors(t *testing.T) {
	for _, tc := range []struct {
		name, ws, comp, want string
	}{
		{name: "missing name", ws: "environments:\n  - on: [base]\n", want: "monopipe.yaml:2: environments[0]: name is required"},
		{name: "bad name", ws: "environments:\n  - name: Prod\n", want: `monopipe.yaml:2: environments[0]: name "Prod" must be`},
		{name: "twice", ws: "environments:\n  - name: dev\n  - name: dev\n", want: `monopipe.yaml:3: environments[1]: environment "dev" is already named on line 2`},
		{name: "bad on", ws: "environments:\n  - name: dev\n    on: [push]\n", want: `monopipe.yaml:3: environments.dev.on: "push" is not one of base, release, branch, manual`},
		{name: "bad account", ws: "environments:\n  - name: dev\n    aws:\n      account: 12ab\n", want: `monopipe.yaml:4: environments.dev.aws.account "12ab": want a 12-digit AWS account id`},
		{name: "deploy.on", ws: "environments:\n  - name: dev\n    deploy:\n      on: [base]\n", want: "monopipe.yaml:4: environments.dev.deploy.on: an environment deploys on its own on"},
		{name: "bad code", ws: "environments:\n  - name: dev\n    deploy:\n      lambda: {code: tar}\n", want: `monopipe.yaml:4: environments.dev.deploy.lambda.code: "tar" is not one of`},
		{name: "unknown key", ws: "environments:\n  - name: dev\n    region: x\n", want: `monopipe.yaml:3: unknown key "region"`},
		{name: "component unknown key", ws: "environments:\n  - name: dev\n", comp: "name: a\nkind: go\nenvironments:\n  dev: {skipp: true}\n", want: `a/component.yaml:4: unknown key "skipp"`},
		{name: "component bad timeout", ws: "environments:\n  - name: dev\n", comp: "name: a\nkind: go\nenvironments:\n  dev:\n    deploy: {lambda: {timeout: soon}}\n", want: `a/component.yaml:5: environments.dev.deploy.lambda.timeout`},
		{name: "component unknown env", ws: "environments:\n  - name: dev\n", comp: "name: a\nkind: go\nenvironments:\n  dev: {}\n  prod: {skip: true}\n", want: "a/component.yaml:5: environments.prod: no such environment (environments: dev)"},
		{name: "component env without any", ws: "", comp: "name: a\nkind: go\nenvironments:\n  prod: {skip: true}\n", want: "a/component.yaml:4: environments.prod: no such environment (monopipe.yaml names none)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws, err := ParseWorkspace("monopipe.yaml", []byte(tc.ws))
			if err == nil && tc.comp != "" {
				var c *Component
				if c, err = ParseComponent("a/component.yaml", []byte(tc.comp)); err == nil {
					err = CheckEnvironments(ws, c)
				}
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("got %v\nwant %s...", err, tc.want)
			}
		})
	}
}

func TestEnvironmentSettingsChanges(t *testing.T) {
	c, err := ParseComponent("api/component.yaml", []byte("name: api\nkind: go\nenvironments:\n  prod: {skip: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := ParseComponent("web/component.yaml", []byte("name: web\nkind: go\n"))
	base, err := ParseWorkspace("monopipe.yaml", []byte(envWorkspace))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, head   string
		api, web     []string
		workspaceAll bool
	}{
		{name: "template", head: strings.Replace(envWorkspace, `"{component}-{env}"`, `"{component}-dev2"`, 1),
			api: []string{"environments.dev.deploy.lambda.function"}, web: []string{"environments.dev.deploy.lambda.function"}},
		{name: "skipped env changes", head: strings.Replace(envWorkspace, "region: eu-central-1", "region: eu-north-1", 1),
			web: []string{"environments.prod.deploy.lambda.region"}},
		{name: "on", head: strings.Replace(envWorkspace, "on: [base]", "on: [base, release]", 1),
			api: []string{"environments.staging.on"}, web: []string{"environments.staging.on"}},
		{name: "env added", head: envWorkspace + "  - name: qa\n",
			api: []string{"environments.qa"}, web: []string{"environments.qa"}},
		{name: "account", head: strings.Replace(envWorkspace, `account: "111111111111"`, `account: "333333333333"`, 1),
			api: []string{"environments.staging.account"}, web: []string{"environments.staging.account"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			head, err := ParseWorkspace("monopipe.yaml", []byte(tc.head))
			if err != nil {
				t.Fatal(err)
			}
			if got := WorkspaceChanges(base, head); len(got) > 0 {
				t.Errorf("workspace changes %v: an environment must not select everything", got)
			}
			for _, x := range []struct {
				c    *Component
				want []string
			}{{c, tc.api}, {other, tc.web}} {
				got := SettingsChanges(base, head, x.c)
				if !slices.Equal(got, x.want) {
					t.Errorf("%s: got %v, want %v", x.c.Name, got, x.want)
				}
				// Settings agree with SettingsChanges: they differ exactly
				// when something is listed.
				if same := slices.Equal(Settings(base, x.c), Settings(head, x.c)); same != (len(got) == 0) {
					t.Errorf("%s: Settings equal=%v but SettingsChanges %v", x.c.Name, same, got)
				}
			}
		})
	}
}

// TestEnvironmentTemplates: a workspace function template reaches an
// environment's {function} filled in, an environment's aws settings win
// over the workspace's deploy defaults, and a misspelt placeholder is an
// error that check reports.
func TestEnvironmentTemplates(t *testing.T) {
	ws, err := ParseWorkspace("monopipe.yaml", []byte(`
deploy:
  lambda: {function: "{component}-fn", region: eu-west-1, roleArn: "arn:aws:iam::1:role/dev"}
environments:
  - name: dev
    deploy: {lambda: {function: "{function}-dev"}}
  - name: prod
    aws: {region: us-east-2, roleArn: "arn:aws:iam::2:role/prod"}
  - name: qa
    deploy: {lambda: {function: "{componnt}-qa"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := ParseComponent("api/component.yaml", []byte("name: api\nkind: go\n"))
	if got, err := TargetFor(ws, c, "dev"); err != nil || got.Deploy.Lambda.Function != "api-fn-dev" {
		t.Errorf("dev: %q, %v; want api-fn-dev", got.Deploy.Lambda.Function, err)
	}
	got, err := TargetFor(ws, c, "prod")
	if l := got.Deploy.Lambda; err != nil || l.Function != "api-fn" || l.Region != "us-east-2" || l.RoleARN != "arn:aws:iam::2:role/prod" {
		t.Errorf("prod: %+v, %v; want api-fn in us-east-2 with the prod role", l, err)
	}
	_, err = TargetFor(ws, c, "qa")
	if err == nil || !strings.Contains(err.Error(), "unknown placeholder {componnt}") {
		t.Errorf("qa: %v", err)
	}
	if err := CheckEnvironments(ws, c); err == nil || !strings.Contains(err.Error(), "api/component.yaml: environment qa: deploy.lambda.function") {
		t.Errorf("check: %v", err)
	}
}

// TestCheckEnvironment: an environment is named exactly when the
// workspace names environments, and then one of them.
func TestCheckEnvironment(t *testing.T) {
	with, err := ParseWorkspace("monopipe.yaml", []byte(envWorkspace))
	if err != nil {
		t.Fatal(err)
	}
	without := &Workspace{}
	for _, tc := range []struct {
		ws       *Workspace
		env, err string
	}{
		{with, "dev", ""},
		{with, "", "monopipe.yaml names environments (dev, staging, prod): say which one"},
		{with, "qa", `no environment "qa" (environments: dev, staging, prod)`},
		{without, "", ""},
		{without, "dev", `no environment "dev": monopipe.yaml names no environments`},
	} {
		err := tc.ws.CheckEnvironment(tc.env)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || err.Error() != tc.err) {
			t.Errorf("CheckEnvironment(%q) = %v, want %q", tc.env, err, tc.err)
		}
	}
}
