package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/internal/ocitest"
	"github.com/monopipe/monopipe/pipelines/publish/oci"
)

// TestPromote runs `monopipe promote` as release.yml's promote job does,
// against an in-process registry behind basic auth: the password comes
// from env://, the image gets the new tag by digest, and no output shows
// the password; bad flags fail naming the flag.
func TestPromote(t *testing.T) {
	const password = "SECRET-registry-0007"
	reg := ocitest.NewRegistry(t, "ci", password)
	repo := gittest.New(t)
	repo.Commit("init", map[string]string{
		"monopipe.yaml":      "publish:\n  image:\n    registry: " + reg.Host + "\n    repository: team/{name}\n",
		"api/component.yaml": "name: api\nkind: go\n",
	})
	img, err := oci.Load(ocitest.RandomImage(t))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	tgt := oci.Target{Repository: reg.Host + "/team/api", Auth: &authn.Basic{Username: "ci", Password: password}}
	if _, err := oci.Push(context.Background(), img, tgt, []oci.Tag{{Name: "1.2.3", Immutable: true}}, io.Discard); err != nil {
		t.Fatal(err)
	}
	t.Setenv("REGISTRY_PASSWORD", password)

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"promote", []string{"--component", "api", "--version", "1.2.3", "--to", "stable", "--registry-username", "ci", "--registry-password", "env://REGISTRY_PASSWORD"}, 0,
			"api 1.2.3 promoted to stable: " + reg.Host + "/team/api@" + img.Digest.String(), ""},
		{"wrong password", []string{"--component", "api", "--version", "1.2.3", "--to", "prod", "--registry-username", "ci", "--registry-password", "env://HOME"}, 1, "", "401 Unauthorized"},
		{"missing flag", []string{"--component", "api", "--to", "prod"}, 2, "", "monopipe promote: --version is required"},
		{"password in clear", []string{"--component", "api", "--version", "1.2.3", "--to", "prod", "--registry-password", password}, 2, "", "--registry-password: want env://NAME or file://PATH"},
		{"not a promote flag", []string{"--component", "api", "--version", "1.2.3", "--to", "prod", "--github-token", "env://X"}, 2, "", "flag provided but not defined: -github-token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append([]string{"promote", "--source", repo.Dir}, tc.args...), &out, &errb)
			if code != tc.code || !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out.String(), errb.String(), tc.code, tc.stdout, tc.stderr)
			}
			if strings.Contains(out.String()+errb.String(), password) {
				t.Error("the password shows")
			}
		})
	}
	reg.AssertTags(t, "team/api", img.Digest, "stable")
}
