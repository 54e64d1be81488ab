package manifest

import (
	"reflect"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/wanterr"
)

func TestBuildSecretsErrors(t *testing.T) {
	head := "name: a\nkind: python\nbuild:\n  secrets:\n"
	tests := []struct {
		name, entries, wantErr string
	}{
		{"env default", "    - name: NPM_TOKEN\n", ""},
		{"helpers", "    - name: PIP_TOKEN\n      pip: {index: \"https://pypi.example.com/simple/\"}\n" +
			"    - name: npm\n      npm: {registry: \"https://npm.example.com/\", scope: \"@acme\"}\n" +
			"    - name: git\n      go: {private: [\"github.com/acme/*\"], host: github.com}\n" +
			"    - name: key.json\n      file: /run/secrets/key.json\n", ""},
		{"no name", "    - env: X\n", "c/component.yaml:5: build.secrets: name is required"},
		{"bad name", "    - name: a/b\n", `c/component.yaml:5: build.secrets: name "a/b"`},
		{"name not a variable", "    - name: key.json\n", `c/component.yaml:5: build.secrets: secret key.json: "key.json" is not an environment variable name (set env)`},
		{"two ways", "    - name: X\n      env: Y\n      file: /x\n", "c/component.yaml:5: build.secrets: secret X: set one of env, file, pip, npm, go"},
		{"relative file", "    - name: X\n      file: x/y\n", `secret X: file "x/y": want a clean absolute path`},
		{"twice", "    - name: X\n    - name: X\n      env: Y\n", "c/component.yaml:6: build.secrets: X is listed twice"},
		{"same variable", "    - name: X\n    - name: Y\n      env: X\n", "c/component.yaml:6: build.secrets: X and Y both set X"},
		{"credentials in the URL", "    - name: X\n      pip: {index: \"https://u:SECRET@pypi.example.com/simple/\"}\n",
			`pip.index: "https://u:xxxxx@pypi.example.com/simple/" holds credentials`},
		{"two pip indexes", "    - name: X\n      pip: {index: \"https://a.example.com/simple/\"}\n    - name: Y\n      pip: {index: \"https://b.example.com/simple/\"}\n",
			"c/component.yaml:7: build.secrets: X and Y are both pip indexes: pip takes one"},
		{"npm scope", "    - name: X\n      npm: {registry: \"https://npm.example.com/\", scope: acme}\n", `npm.scope "acme": want @name`},
		{"go without private", "    - name: X\n      go: {host: github.com}\n", "go.private is required"},
		{"go host", "    - name: X\n      go: {private: [x], host: \"https://github.com\"}\n", `go.host "https://github.com": want a host name`},
		{"unknown key", "    - name: X\n      pip: {url: x}\n", `c/component.yaml:6: unknown key "url"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseComponent("c/component.yaml", []byte(head+tt.entries))
			wanterr.Check(t, err, tt.wantErr)
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Errorf("the error shows the URL's password: %v", err)
			}
		})
	}
	_, err := ParseWorkspace("monopipe.yaml", []byte("build:\n  secrets:\n    - name: a b\n"))
	wanterr.Check(t, err, `monopipe.yaml:3: build.secrets: name "a b"`)
}

func TestBuildSecretsMerge(t *testing.T) {
	ws, err := ParseWorkspace("monopipe.yaml", []byte("build:\n  secrets:\n    - name: PIP_TOKEN\n      pip: {index: \"https://pypi.example.com/simple/\"}\n    - name: SENTRY\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseComponent("c/component.yaml", []byte("name: c\nkind: python\nbuild:\n  secrets:\n    - name: SENTRY\n      env: SENTRY_AUTH_TOKEN\n    - name: OWN\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range BuildSecrets(ws, c) {
		got = append(got, s.Name+":"+s.How())
	}
	if want := []string{"PIP_TOKEN:pip", "SENTRY:env", "OWN:env"}; !reflect.DeepEqual(got, want) {
		t.Errorf("BuildSecrets = %v, want %v", got, want)
	}
	if s := BuildSecrets(ws, c)[1]; s.EnvName() != "SENTRY_AUTH_TOKEN" {
		t.Errorf("the component's entry does not replace the workspace's: %+v", s)
	}

	// A change to a workspace secret a component gets selects it; one it
	// replaces does not.
	head, err := ParseWorkspace("monopipe.yaml", []byte("build:\n  secrets:\n    - name: PIP_TOKEN\n      pip: {index: \"https://pypi.example.com/simple/\"}\n    - name: SENTRY\n      env: OTHER\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ch := SettingsChanges(ws, head, c); len(ch) != 0 {
		t.Errorf("a replaced secret's change: %v", ch)
	}
	plain, _ := ParseComponent("d/component.yaml", []byte("name: d\nkind: go\n"))
	if ch := SettingsChanges(ws, head, plain); !reflect.DeepEqual(ch, []string{"build.secrets"}) {
		t.Errorf("SettingsChanges = %v, want [build.secrets]", ch)
	}
	if a, b := Settings(ws, plain), Settings(head, plain); reflect.DeepEqual(a, b) {
		t.Errorf("Settings do not change with the workspace's secrets: %v", a)
	}
}
