package build

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monopipe/monopipe/internal/enginetest"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/plan"
	"github.com/monopipe/monopipe/pipelines/report"
	"github.com/monopipe/monopipe/pipelines/run"
)

// TestEngineSecrets gives a custom and a docker component build secrets
// on a real engine: the steps see each secret where build.secrets says
// (variable, file, .npmrc, .netrc, the Dockerfile's secret mount), and no
// form of any secret reaches the results or the report files, though the
// steps print them raw and in base64.
func TestEngineSecrets(t *testing.T) {
	ctx, client := enginetest.Connect(t, 30*time.Minute)
	const token, npm, git, key = "app-TOKEN-0123456789", "npm-TOKEN-0123456789", "git-TOKEN-0123456789", "key-TOKEN-0123456789"
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	check := func(expr, want string) string {
		return fmt.Sprintf(`test "$(%s | sha256sum | cut -c1-64)" = %s`, expr, want)
	}
	secrets := "  secrets:\n    - name: TOKEN\n      env: APP_TOKEN\n    - name: KEY\n      file: /run/secrets/key\n" +
		"    - name: NPM_TOKEN\n      npm: {registry: \"https://npm.example.com/\", scope: \"@acme\"}\n" +
		"    - name: GIT_TOKEN\n      go: {private: [\"example.com/acme/*\"], host: example.com}\n"
	commands := []string{
		`echo "leak: $APP_TOKEN"`,
		`printf %s "$APP_TOKEN" | base64`,
		`cat /run/secrets/key; cat "$NPM_CONFIG_USERCONFIG"; cat /root/.netrc`,
		check(`printf %s "$APP_TOKEN"`, sum(token)),
		check(`cat /run/secrets/key`, sum(key)),
		`grep -qx '@acme:registry=https://npm.example.com/' "$NPM_CONFIG_USERCONFIG"`,
		check(`sed -n 's/^\/\/npm.example.com\/:_authToken=//p' "$NPM_CONFIG_USERCONFIG"`, sum(npm+"\n")),
		check(`sed -n 's/^password //p' /root/.netrc`, sum(git+"\n")),
		`test "$GOPRIVATE" = 'example.com/acme/*' && test "$NETRC" = /root/.netrc`,
		`echo built > out.txt`,
	}
	var yamlCmds []string
	for _, c := range commands {
		yamlCmds = append(yamlCmds, fmt.Sprintf("%q", c))
	}
	files := map[string]string{
		"sec/component.yaml": "name: sec\nkind: custom\nbuild:\n  commands: [" + strings.Join(yamlCmds, ", ") + "]\n  outputs: [out.txt]\n" + secrets +
			"test:\n  commands: [" + fmt.Sprintf("%q", check(`printf %s "$APP_TOKEN"`, sum(token))) + ", 'echo \"test sees $APP_TOKEN\"']\n",
		"img/Dockerfile": "FROM debian:bookworm-slim\nRUN --mount=type=secret,id=TOKEN " + check("cat /run/secrets/TOKEN", sum(token)) +
			" && cat /run/secrets/TOKEN && echo ok > /ok\n",
		"img/component.yaml": "name: img\nkind: docker\nbuild:\n  secrets:\n    - name: TOKEN\n",
	}
	root := t.TempDir()
	manifests := map[string]*manifest.Component{}
	for p, content := range files {
		writeFile(t, filepath.Join(root, p), content)
	}
	var comps []plan.Component
	for _, name := range []string{"sec", "img"} {
		m, err := manifest.ParseComponent(name+"/component.yaml", []byte(files[name+"/component.yaml"]))
		if err != nil {
			t.Fatal(err)
		}
		manifests[name] = m
		comps = append(comps, plan.Component{Name: name, Dir: m.Dir, Kind: m.Kind, Manifest: m})
	}
	values := map[string]string{"TOKEN": token, "KEY": key, "NPM_TOKEN": npm, "GIT_TOKEN": git}
	b := New(client, client.Host().Directory(root), nil, manifests, WithSecrets(values), WithCacheScope(CacheScope{Repo: "test/secrets", Trust: Untrusted}))
	if err := b.Secrets([]string{"sec", "img"}); err != nil {
		t.Fatal(err)
	}
	res, err := run.Run(ctx, comps, run.Options{Steps: b.Steps(), Concurrency: 2, Secrets: []string{token, key, npm, git}})
	t.Logf("%s", report.Text(res))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	files2, ferr := report.Files(res)
	if ferr != nil {
		t.Fatal(ferr)
	}
	captured := map[string]string{"results": fmt.Sprintf("%+v", res)}
	for name, data := range files2 {
		captured[name] = string(data)
	}
	for _, s := range []string{token, key, npm, git} {
		for _, form := range run.Forms(s) {
			for name, text := range captured {
				if strings.Contains(text, form) {
					t.Errorf("%s shows a secret (form %q)", name, form)
				}
			}
		}
	}
	if log := find(t, res, "sec").Log; !strings.Contains(log, "leak: ***") {
		t.Errorf("the step's output is not there, redacted:\n%s", log)
	}
}
