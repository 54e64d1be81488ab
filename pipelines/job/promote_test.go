package job

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/internal/ocitest"
	"github.com/monopipe/monopipe/internal/wanterr"
	"github.com/monopipe/monopipe/pipelines/publish"
	"github.com/monopipe/monopipe/pipelines/publish/oci"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPromoteDir publishes release 1.2.3 of an image to a registry behind
// basic auth, then promotes it to stable by digest: no blob is uploaded,
// a second promote writes nothing, and bad input fails clearly without
// showing the password.
func TestPromoteDir(t *testing.T) {
	reg := ocitest.NewRegistry(t, "ci", regPassword)
	repo := gittest.New(t)
	dir := repo.Dir
	repo.Commit("init", map[string]string{
		"monopipe.yaml":               "publish:\n  image:\n    registry: " + reg.Host + "\n    repository: team/{name}\n",
		"services/api/component.yaml": "name: api\nkind: go\n",
		"lib/component.yaml":          "name: lib\nkind: python\n",
		".gitignore":                  "scratch/\n",
	})
	// A component in a git-ignored folder is not one: promote discovers
	// components as planning does.
	writeFiles(t, dir, map[string]string{"scratch/component.yaml": "name: scratch\nkind: go\n"})
	img, err := oci.Load(ocitest.RandomImage(t))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	ctx := context.Background()
	tgt := oci.Target{Repository: reg.Host + "/team/api", Auth: &authn.Basic{Username: "ci", Password: regPassword}}
	if _, err := oci.Push(ctx, img, tgt, []oci.Tag{{Name: "1.2.3", Immutable: true}, {Name: "1.3.0", Immutable: true}}, io.Discard); err != nil {
		t.Fatal(err)
	}
	secrets := publish.Secrets{RegistryUsername: "ci", RegistryPassword: regPassword}

	var log bytes.Buffer
	puts := reg.Puts.Load()
	out, err := PromoteDir(ctx, dir, PromoteOptions{Component: "api", Version: "v1.2.3", To: "stable", Secrets: secrets, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if want := "api 1.2.3 promoted to stable: " + reg.Host + "/team/api@" + img.Digest.String(); !strings.HasPrefix(out, want) {
		t.Errorf("out %q, want %q", out, want)
	}
	reg.AssertTags(t, "team/api", img.Digest, "stable")
	if n := reg.Puts.Load() - puts; n != 1 {
		t.Errorf("promote made %d writes, want 1 (the manifest under the new tag)", n)
	}
	puts = reg.Puts.Load()
	if _, err := PromoteDir(ctx, dir, PromoteOptions{Component: "api", Version: "1.2.3", To: "stable", Secrets: secrets, Log: &log}); err != nil {
		t.Fatal(err)
	}
	if reg.Puts.Load() != puts || !strings.Contains(log.String(), "tag stable already on") {
		t.Errorf("second promote wrote %d times; log:\n%s", reg.Puts.Load()-puts, log.String())
	}

	for _, tc := range []struct {
		name    string
		o       PromoteOptions
		wantErr string
	}{
		{name: "unknown component", o: PromoteOptions{Component: "web", Version: "1.2.3", To: "prod"}, wantErr: `no component "web" (components: api, lib)`},
		{name: "not a release tag", o: PromoteOptions{Component: "api", Version: "1.2.3", To: "latest"}, wantErr: "want one of [stable prod]"},
		{name: "not a version", o: PromoteOptions{Component: "api", Version: "main", To: "prod"}, wantErr: `version "main": want X.Y.Z`},
		{name: "version never published", o: PromoteOptions{Component: "api", Version: "9.9.9", To: "prod"}, wantErr: "team/api:9.9.9 not found: publish that version first"},
		{name: "wrong password", o: PromoteOptions{Component: "api", Version: "1.2.3", To: "prod",
			Secrets: publish.Secrets{RegistryUsername: "ci", RegistryPassword: "wrong-SECRET"}}, wantErr: "401 Unauthorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.o.Secrets == (publish.Secrets{}) {
				tc.o.Secrets = secrets
			}
			tc.o.Log = &log
			_, err := PromoteDir(ctx, dir, tc.o)
			wanterr.Check(t, err, tc.wantErr)
			if strings.Contains(err.Error()+log.String(), tc.o.Secrets.RegistryPassword) {
				t.Errorf("the password shows: %v", err)
			}
		})
	}
	reg.AssertTags(t, "team/api", img.Digest, "stable")

	noRegistry := gittest.New(t)
	noRegistry.Commit("init", map[string]string{"monopipe.yaml": "baseBranch: main\n", "api/component.yaml": "name: api\nkind: go\n"})
	_, err = PromoteDir(ctx, noRegistry.Dir, PromoteOptions{Component: "api", Version: "1.2.3", To: "prod"})
	wanterr.Check(t, err, "promote api: no publish.image registry configured")
}
