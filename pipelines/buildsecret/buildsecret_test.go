package buildsecret

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

func decls(t *testing.T, yaml string) []manifest.Secret {
	t.Helper()
	c, err := manifest.ParseComponent("c/component.yaml", []byte("name: api\nkind: custom\nbuild:\n  secrets:\n"+yaml))
	if err != nil {
		t.Fatal(err)
	}
	return manifest.BuildSecrets(nil, c)
}

// TestResolve lists the secret mounts of a component with every way of
// delivery: what its containers get, and that no name or plain variable
// holds a value.
func TestResolve(t *testing.T) {
	d := decls(t, `    - name: SENTRY
    - name: db
      env: PGPASSWORD
    - name: key.json
      file: /run/secrets/key.json
    - name: PIP_TOKEN
      pip: {index: "https://pypi.example.com/simple/"}
    - name: NPM_ACME
      npm: {registry: "https://npm.example.com/", scope: "@acme"}
    - name: NPM_ALL
      npm: {registry: "https://npm.example.com/all/"}
    - name: GH
      go: {private: ["github.com/acme/*"], host: github.com}
    - name: GL
      go: {private: ["gitlab.example.com/x/*", "github.com/acme/*"], host: gitlab.example.com, username: oauth2}
`)
	values := map[string]string{"SENTRY": "sentry-VALUE", "db": "db-VALUE", "key.json": `{"k":"key-VALUE"}`, "PIP_TOKEN": "pip/VALUE+1",
		"NPM_ACME": "npm-acme-VALUE", "NPM_ALL": "npm-all-VALUE", "GH": "gh-VALUE", "GL": "gl-VALUE", "UNUSED": "unused-VALUE"}
	set, err := Resolve("api", d, values)
	if err != nil {
		t.Fatal(err)
	}
	type mount struct{ Env, Path, Value string }
	var got []mount
	for _, m := range set.Mounts {
		got = append(got, mount{m.Env, m.Path, m.Value})
		if strings.Contains(m.Name, "VALUE") || !strings.HasPrefix(m.Name, "monopipe/api/") {
			t.Errorf("secret name %q", m.Name)
		}
	}
	want := []mount{
		{"", NetrcPath, "machine github.com\nlogin x-access-token\npassword gh-VALUE\nmachine gitlab.example.com\nlogin oauth2\npassword gl-VALUE\n"},
		{"", "/run/secrets/key.json", `{"k":"key-VALUE"}`},
		{"", NPMRCPath, "@acme:registry=https://npm.example.com/\n//npm.example.com/:_authToken=npm-acme-VALUE\nregistry=https://npm.example.com/all/\n//npm.example.com/all/:_authToken=npm-all-VALUE\n"},
		{"PGPASSWORD", "", "db-VALUE"},
		{"PIP_INDEX_URL", "", "https://__token__:pip%2FVALUE+1@pypi.example.com/simple/"},
		{"SENTRY", "", "sentry-VALUE"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mounts:\n got %q\nwant %q", got, want)
	}
	wantEnv := map[string]string{"NPM_CONFIG_USERCONFIG": NPMRCPath, "NETRC": NetrcPath, "GOPRIVATE": "github.com/acme/*,gitlab.example.com/x/*"}
	if !reflect.DeepEqual(set.Env, wantEnv) {
		t.Errorf("env = %v, want %v", set.Env, wantEnv)
	}
	for _, v := range set.Values() {
		if strings.Contains(v, "unused") {
			t.Errorf("a secret the component does not list reached it: %q", v)
		}
	}

	// The names change with the settings (so a changed index is not a
	// cache hit) and not with the values.
	again, _ := Resolve("api", d, map[string]string{"SENTRY": "x", "db": "x", "key.json": "x", "PIP_TOKEN": "x", "NPM_ACME": "x", "NPM_ALL": "x", "GH": "x", "GL": "x"})
	for i := range again.Mounts {
		if again.Mounts[i].Name != set.Mounts[i].Name {
			t.Errorf("name changed with the value: %s → %s", set.Mounts[i].Name, again.Mounts[i].Name)
		}
	}
	other := decls(t, "    - name: PIP_TOKEN\n      pip: {index: \"https://other.example.com/simple/\"}\n")
	o, _ := Resolve("api", other, values)
	for _, m := range set.Mounts {
		if m.Env == "PIP_INDEX_URL" && m.Name == o.Mounts[0].Name {
			t.Errorf("another index has the same secret name %s", m.Name)
		}
	}
}

// TestResolveMissing names every missing secret with its component and
// the flag that gives it, and never a given value.
func TestResolveMissing(t *testing.T) {
	d := decls(t, "    - name: NPM_TOKEN\n    - name: GIVEN\n    - name: PIP\n      pip: {index: \"https://p.example.com/simple/\"}\n")
	_, err := Resolve("web", d, map[string]string{"GIVEN": "given-VALUE"})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		"component web needs build secret NPM_TOKEN (build.secrets): pass it with --secret env://NPM_TOKEN",
		"component web needs build secret PIP (build.secrets): pass it with --secret env://PIP",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "VALUE") || strings.Contains(msg, "GIVEN") {
		t.Errorf("error names a given secret: %s", msg)
	}
	var me *MissingError
	if !errors.As(err, &me) || me.Component != "web" {
		t.Errorf("not a *MissingError: %#v", err)
	}
	if _, err := Resolve("web", nil, nil); err != nil {
		t.Errorf("no secrets: %v", err)
	}
}

func TestNameFromURI(t *testing.T) {
	for uri, want := range map[string]string{
		"env://NPM_TOKEN":               "NPM_TOKEN",
		"file:///run/secrets/NPM_TOKEN": "NPM_TOKEN",
		"file://./key.json":             "key.json",
		"op://vault/item/PIP_TOKEN":     "PIP_TOKEN",
		"vault://kv/ci/GH?field=x":      "GH",
		"env://X/":                      "X",
	} {
		if got, err := NameFromURI(uri); err != nil || got != want {
			t.Errorf("NameFromURI(%q) = %q, %v; want %q", uri, got, err, want)
		}
	}
	for _, uri := range []string{"ghp_LITERALVALUE", "env://", "file:///", ""} {
		_, err := NameFromURI(uri)
		if err == nil {
			t.Errorf("NameFromURI(%q): no error", uri)
		} else if strings.Contains(err.Error(), "LITERALVALUE") {
			t.Errorf("the error quotes the URI: %v", err)
		}
	}
}

func TestNetrcRefusesWhiteSpace(t *testing.T) {
	if _, err := Netrc([]NetrcEntry{{Machine: "h", Password: "a b"}}); err == nil || strings.Contains(err.Error(), "a b") {
		t.Errorf("err = %v", err)
	}
}
