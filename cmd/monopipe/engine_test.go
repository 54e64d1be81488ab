package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/internal/ocitest"
	"github.com/monopipe/monopipe/pipelines/job"
	"github.com/monopipe/monopipe/pipelines/trigger"
)

// Secret values in the flag tests: none may appear in any output.
const (
	ghToken   = "ghp_SECRET-gh-0001"
	cachePass = "SECRET-cache-0002"
	awsSecret = "SECRET-aws-0003"
	npmSecret = "SECRET-npm-0004"
	oidcToken = "SECRET-oidc-0005"
	fileToken = "SECRET-file-0006"
)

var secretValues = []string{ghToken, cachePass, awsSecret, npmSecret, oidcToken, fileToken}

// noSecrets fails when any form of a test secret is in text.
func noSecrets(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range secretValues {
		for _, form := range []string{s, base64.StdEncoding.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte("x:" + s))} {
			if strings.Contains(text, form) {
				t.Errorf("%s shows a secret (%q):\n%s", where, form, text)
			}
		}
	}
}

func TestParseCI(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(fileToken), 0o600); err != nil {
		t.Fatal(err)
	}
	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, []byte(`{"ref":"refs/heads/main","before":"`+strings.Repeat("a", 40)+`","after":"`+strings.Repeat("b", 40)+`","repository":{"full_name":"o/r","default_branch":"main"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GITHUB_TOKEN": ghToken, "CACHE_PASSWORD": cachePass, "AWS_SECRET_ACCESS_KEY": awsSecret,
		"NPM_TOKEN": npmSecret, "OIDC": oidcToken, "EMPTY": ""}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	circle := []string{"--base", "b1", "--head", "h1", "--branch", "main", "--repo", "o/r"}
	tests := []struct {
		name   string
		args   []string
		code   int    // -1: parsed
		stderr string // substring
		check  func(t *testing.T, o job.CIOptions)
	}{
		{"circleci values", append(circle, "--pull-request", "https://github.com/o/r/pull/7", "--fork=false", "--run-url", "https://ci/1", "--dry-run"), -1, "",
			func(t *testing.T, o job.CIOptions) {
				want := trigger.Values{Base: "b1", Head: "h1", Branch: "main", PullRequest: "https://github.com/o/r/pull/7", Repo: "o/r"}
				if o.Values != want || o.RunURL != "https://ci/1" || !o.DryRun || o.GitHubEvent != "" {
					t.Errorf("options = %+v", o)
				}
			}},
		{"github event", []string{"--event-name", "push", "--event-file", event, "--head", "h1", "--github-api-url", "https://ghe/api/v3", "--github-token", "env://GITHUB_TOKEN"}, -1, "",
			func(t *testing.T, o job.CIOptions) {
				if o.GitHubEvent != "push" || !strings.Contains(string(o.GitHubPayload), "o/r") || o.GitHubAPI != "https://ghe/api/v3" || o.Secrets.GitHubToken != ghToken {
					t.Errorf("options = %+v", o)
				}
			}},
		{"cache flags", append(circle, "--cache-registry", "ghcr.io/o/r-cache", "--cache-username", "octo", "--cache-password", "env://CACHE_PASSWORD", "--no-heal"), -1, "",
			func(t *testing.T, o job.CIOptions) {
				c := o.Cache
				if c.Registry != "ghcr.io/o/r-cache" || c.Username != "octo" || c.Password != cachePass || !c.NoHeal || c.Disabled || c.Write {
					t.Errorf("cache options: %q %q heal=%v disabled=%v write=%v", c.Registry, c.Username, !c.NoHeal, c.Disabled, c.Write)
				}
			}},
		{"no cache", append(circle, "--no-cache", "--cache-password", "file://"+tokenFile), -1, "",
			func(t *testing.T, o job.CIOptions) {
				if !o.Cache.Disabled || o.Cache.Password != fileToken {
					t.Errorf("cache options: disabled=%v", o.Cache.Disabled)
				}
			}},
		{"cache-write is build's", append(circle, "--cache-write"), 2, "flag provided but not defined: -cache-write", nil},
		{"secret from a file", append(circle, "--github-token", "file://"+tokenFile), -1, "",
			func(t *testing.T, o job.CIOptions) {
				if o.Secrets.GitHubToken != fileToken {
					t.Error("--github-token file:// not read")
				}
			}},
		{"aws oidc", append(circle, "--aws-role-arn", "arn:aws:iam::1:role/r", "--aws-web-identity-token", "env://OIDC"), -1, "",
			func(t *testing.T, o job.CIOptions) {
				if a := o.Secrets.Publish.AWS; a.RoleARN != "arn:aws:iam::1:role/r" || a.WebIdentityToken != oidcToken {
					t.Error("AWS OIDC flags not read")
				}
			}},
		{"build secrets and components", append(circle, "--secret", "env://NPM_TOKEN", "--component", "a,b", "--component", "c", "-o", "out"), -1, "",
			func(t *testing.T, o job.CIOptions) {
				if o.Secrets.Build["NPM_TOKEN"] != npmSecret || !reflect.DeepEqual(o.Components, []string{"a", "b", "c"}) {
					t.Errorf("build secrets %v, components %v", len(o.Secrets.Build), o.Components)
				}
			}},
		{"empty variable is a value", append(circle, "--github-token", "env://EMPTY"), -1, "", nil},
		{"unknown flag", append(circle, "--github-tokn", "env://GITHUB_TOKEN"), 2, "flag provided but not defined: -github-tokn", nil},
		{"bad bool", append(circle, "--fork=maybe"), 2, `invalid boolean value "maybe" for -fork`, nil},
		{"stray argument", append(circle, "export"), 2, `unexpected argument "export"`, nil},
		{"secret given in clear", append(circle, "--github-token", ghToken), 2, "--github-token: want env://NAME or file://PATH", nil},
		{"cache password in clear", append(circle, "--cache-password", cachePass), 2, "--cache-password: want env://NAME or file://PATH", nil},
		{"unsupported source", append(circle, "--npm-token", "cmd://echo "+npmSecret), 2, "--npm-token: want env://NAME or file://PATH", nil},
		{"unset variable", append(circle, "--github-token", "env://NOPE"), 2, "--github-token: env://NOPE: the variable is not set", nil},
		{"missing file", append(circle, "--github-token", "file://"+filepath.Join(dir, "absent")), 2, "--github-token: open " + filepath.Join(dir, "absent"), nil},
		{"build secret without a name", append(circle, "--secret", "env://"), 2, "--secret #1", nil},
		{"build secret twice", append(circle, "--secret", "env://NPM_TOKEN", "--secret", "file:///x/NPM_TOKEN"), 2, "--secret: two secrets are named NPM_TOKEN", nil},
		{"keys apart", append(circle, "--aws-secret-access-key", "env://AWS_SECRET_ACCESS_KEY"), 2, "--aws-access-key-id and --aws-secret-access-key go together", nil},
		{"oidc without a role", append(circle, "--aws-web-identity-token", "env://OIDC"), 2, "--aws-web-identity-token needs --aws-role-arn", nil},
		{"event without payload", []string{"--event-name", "push", "--head", "h1"}, 2, "--event-name push needs --event-file", nil},
		{"missing event file", []string{"--event-name", "push", "--event-file", filepath.Join(dir, "nope.json")}, 2, "--event-file: open", nil},
		{"bad pull request", append(circle, "--pull-request", "seven"), 2, `pull request "seven"`, nil},
		{"help", []string{"-h"}, 0, "usage: dagger run monopipe ci", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var errb bytes.Buffer
			c, code := parseCI(tc.args, &errb, getenv)
			if code != tc.code || (code == -1) != (c != nil) {
				t.Fatalf("code %d (command %v), want %d; stderr: %s", code, c != nil, tc.code, errb.String())
			}
			if !strings.Contains(errb.String(), tc.stderr) || (tc.stderr == "" && errb.Len() > 0) {
				t.Errorf("stderr = %q, want it to contain %q", errb.String(), tc.stderr)
			}
			noSecrets(t, "stderr", errb.String())
			if c != nil {
				noSecrets(t, "the options' %v form", strings.Join([]string{c.opts.Secrets.String(), c.opts.Secrets.GoString()}, " "))
				if tc.check != nil {
					tc.check(t, c.opts)
				}
			}
		})
	}
}

func TestParseRelease(t *testing.T) {
	env := map[string]string{"GITHUB_TOKEN": ghToken, "CACHE_PASSWORD": cachePass}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	var errb bytes.Buffer
	c, code := parseRelease([]string{"--tag", "web/v1.2.3", "--default-branch", "main", "--github-token", "env://GITHUB_TOKEN", "--dry-run"}, &errb, getenv)
	if c == nil {
		t.Fatalf("code %d: %s", code, errb.String())
	}
	o := c.opts
	if o.Tag != "web/v1.2.3" || o.DefaultBranch != "main" || o.Secrets.GitHubToken != ghToken || !o.DryRun {
		t.Errorf("options: tag %q branch %q dry %v", o.Tag, o.DefaultBranch, o.DryRun)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "monopipe release: --tag is required"},
		{[]string{"--tag", "v1.0.0", "--event-name", "push"}, "flag provided but not defined: -event-name"},
		{[]string{"--tag", "v1.0.0", "--cache-registry", "ghcr.io/o/c"}, "flag provided but not defined: -cache-registry"}, // releases do not use the cache
		{[]string{"--tag", "v1.0.0", "--github-token", ghToken}, "--github-token: want env://NAME or file://PATH"},
	} {
		errb.Reset()
		if c, code := parseRelease(tc.args, &errb, getenv); c != nil || code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: code %d, stderr %q, want %q", tc.args, code, errb.String(), tc.want)
		}
		noSecrets(t, "stderr", errb.String())
	}
}

// TestEngineCommandsNeedASession: without `dagger run` the engine commands
// say how to run them, and exit 2 before connecting anywhere.
func TestEngineCommandsNeedASession(t *testing.T) {
	r := gittest.New(t)
	r.Commit("one", map[string]string{"monopipe.yaml": "baseBranch: main\n"})
	t.Setenv("DAGGER_SESSION_PORT", "")
	t.Setenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST", "")
	t.Setenv("GITHUB_TOKEN", ghToken)
	for _, args := range [][]string{
		{"ci", "--source", r.Dir, "--head", "HEAD", "--branch", "main", "--github-token", "env://GITHUB_TOKEN"},
		{"release", "--source", r.Dir, "--tag", "v1.0.0", "--github-token", "env://GITHUB_TOKEN"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), "no Dagger session: run it as `dagger run monopipe "+args[0]) {
			t.Errorf("%s: exit %d, stderr %q", args[0], code, errb.String())
		}
		noSecrets(t, "output", out.String()+errb.String())
	}
}

func TestVersion(t *testing.T) {
	for _, tc := range []struct{ stamped, want string }{{"", "monopipe dev"}, {"1.4.2", "monopipe 1.4.2\n"}} {
		old := version
		version = tc.stamped
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"version"}, &out, &errb)
		version = old
		if code != 0 || !strings.HasPrefix(out.String(), tc.want) || errb.Len() > 0 {
			t.Errorf("stamped %q: exit %d, stdout %q, stderr %q", tc.stamped, code, out.String(), errb.String())
		}
	}
}

func TestWriteReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "report")
	var out bytes.Buffer
	files := map[string][]byte{"summary.md": []byte("# ok\n"), "logs/a.log": []byte("log\n")}
	if err := writeReport(&out, dir, files); err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != string(want) {
			t.Errorf("%s = %q, %v", name, got, err)
		}
	}
	if out.String() != dir+"\n" {
		t.Errorf("stdout = %q", out.String())
	}
	out.Reset()
	if err := writeReport(&out, "", files); err != nil || out.String() != "# ok\n" {
		t.Errorf("without --output: %q, %v", out.String(), err)
	}
}

// TestPlanEvent: `monopipe plan --event-name` prints the plan the ci
// command builds for a GitHub event, on the host.
func TestPlanEvent(t *testing.T) {
	r := gittest.New(t)
	base := r.Commit("one", map[string]string{
		"monopipe.yaml":      "baseBranch: main\n",
		"lib/component.yaml": "name: lib\nkind: go\n",
		"app/component.yaml": "name: app\nkind: go\n",
	})
	head := r.Commit("two", map[string]string{"lib/x.go": "package lib\n"})
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	push := write("push.json", `{"ref":"refs/heads/main","before":"`+base+`","after":"`+head+`","repository":{"full_name":"o/r","default_branch":"main"}}`)
	tag := write("tag.json", `{"ref":"refs/tags/lib/v1.0.0","before":"`+strings.Repeat("0", 40)+`","after":"`+head+`","repository":{"full_name":"o/r","default_branch":"main"}}`)
	tests := []struct {
		name         string
		args         []string
		code         int
		stdout, errs string
	}{
		{"push", []string{"--event-name", "push", "--event-file", push, "--head", head, "--format", "github-matrix"}, 0, `{"include":[{"component":"lib","dir":"lib"}]}`, ""},
		{"tag builds nothing here", []string{"--event-name", "push", "--event-file", tag, "--head", head, "--format", "github-matrix"}, 0, `{"include":[]}`, ""},
		{"no payload", []string{"--event-name", "push", "--head", head}, 2, "", "--event-name push needs --event-file"},
		{"payload without name", []string{"--event-file", push, "--head", head}, 2, "", "--event-file needs --event-name"},
		{"with --all", []string{"--event-name", "push", "--event-file", push, "--all"}, 2, "", "--all does not go with --event-name"},
		{"with --base", []string{"--event-name", "push", "--event-file", push, "--base", base}, 2, "", "--base does not go with --event-name"},
	}
	// The shared result cache heals a push to the base branch: app has no
	// successful result, so it is selected too (see pipelines/job).
	reg := ocitest.NewRegistry(t, "ci", cachePass)
	t.Setenv("CACHE_PW", cachePass)
	cache := []string{"--cache-registry", reg.Host + "/org/cache", "--cache-username", "ci", "--cache-password", "env://CACHE_PW"}
	pushArgs := []string{"--event-name", "push", "--event-file", push, "--head", head, "--format", "github-matrix"}
	tests = append(tests, []struct {
		name         string
		args         []string
		code         int
		stdout, errs string
	}{
		{"push heals with the cache", append(pushArgs, cache...), 0, `{"include":[{"component":"app","dir":"app"},{"component":"lib","dir":"lib"}]}`, ""},
		{"--no-heal", append(append(pushArgs, cache...), "--no-heal"), 0, `{"include":[{"component":"lib","dir":"lib"}]}`, ""},
		{"--no-cache", append(append(pushArgs, cache...), "--no-cache"), 0, `{"include":[{"component":"lib","dir":"lib"}]}`, ""},
		{"cache password in clear", append(pushArgs, "--cache-password", cachePass), 2, "", "--cache-password: want env://NAME or file://PATH"},
		{"cache flags without an event", []string{"--no-cache"}, 2, "", "go with --event-name"},
	}...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append([]string{"plan", "--dir", r.Dir}, tc.args...), &out, &errb)
			noSecrets(t, "output", out.String()+errb.String())
			if code != tc.code || strings.TrimSpace(out.String()) != tc.stdout || !strings.Contains(errb.String(), tc.errs) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out.String(), errb.String(), tc.code, tc.stdout, tc.errs)
			}
		})
	}
}
