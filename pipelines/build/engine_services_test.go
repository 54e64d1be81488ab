package build

import (
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

// TestEngineServices runs, on a real engine, a component whose test
// queries a PostgreSQL test service: the service is reachable by its
// name, got its environment (the image refuses to start without
// POSTGRES_PASSWORD) and runs its command with the image's entrypoint
// (max_connections is the command's). The example monorepo's pgcount,
// built by TestEngineExamples, runs its Go integration tests the same way.
func TestEngineServices(t *testing.T) {
	ctx, client := enginetest.Connect(t, 20*time.Minute)
	const yaml = `name: dbcheck
kind: custom
build:
  image: postgres:16
  commands: ["echo built"]
  env: {PGPASSWORD: secret-for-a-throwaway-db}
test:
  commands:
    - psql -h db -U postgres -tAc 'select 40 + 2' | grep -x 42
    - psql -h db -U postgres -tAc 'show max_connections' | grep -x 17
    - echo queried the service
  services:
    - name: db
      image: postgres:16
      env: {POSTGRES_PASSWORD: secret-for-a-throwaway-db}
      ports: [5432]
      command: [postgres, -c, max_connections=17]
`
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "dbcheck/component.yaml"), yaml)
	m, err := manifest.ParseComponent("dbcheck/component.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	b := New(client, client.Host().Directory(root), nil, map[string]*manifest.Component{"dbcheck": m})
	comps := []plan.Component{{Name: "dbcheck", Dir: m.Dir, Kind: m.Kind, Manifest: m}}
	res, err := run.Run(ctx, comps, run.Options{Steps: b.Steps(), Concurrency: 1})
	t.Logf("%s", report.Text(res))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	r := find(t, res, "dbcheck")
	if r.Status != report.StatusSuccess || !strings.Contains(r.Log, "queried the service") {
		t.Fatalf("dbcheck: %s\n%s", r.Status, r.Log)
	}
}
