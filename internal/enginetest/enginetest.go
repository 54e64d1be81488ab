// Package enginetest connects tests to a real Dagger engine, or skips them
// with the reason when none is reachable.
package enginetest

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

// Connect returns a client of the engine that _EXPERIMENTAL_DAGGER_RUNNER_HOST
// names, closed at cleanup, and a context bounded by timeout. It skips the
// test when the variable is unset or the engine's socket does not answer.
func Connect(t *testing.T, timeout time.Duration) (context.Context, *dagger.Client) {
	t.Helper()
	host := os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST")
	if host == "" {
		t.Skip("no Dagger engine: set _EXPERIMENTAL_DAGGER_RUNNER_HOST (e.g. unix:///run/dagger/engine.sock) and _EXPERIMENTAL_DAGGER_CLI_BIN to run the engine tests")
	}
	if sock, ok := strings.CutPrefix(host, "unix://"); ok {
		conn, err := net.DialTimeout("unix", sock, 5*time.Second)
		if err != nil {
			t.Skipf("no Dagger engine: %s is not reachable: %v", host, err)
		}
		conn.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	var logw strings.Builder
	client, err := dagger.Connect(ctx, dagger.WithLogOutput(&logw))
	if err != nil {
		t.Fatalf("connect to %s: %v\n%s", host, err, logw.String())
	}
	t.Cleanup(func() { client.Close() })
	return ctx, client
}

// PythonIndex says whether containers on the engine can reach the Python
// package index the python builder installs its tools from: pip's
// default, the image's own PIP_INDEX_URL (a mirror), or PIP_INDEX_URL from
// the test's environment. nil means reachable; the error says why not.
func PythonIndex(ctx context.Context, client *dagger.Client) error {
	ctr := client.Container().From(manifest.DefaultPythonImage).
		WithEnvVariable("PROBE", time.Now().String()) // never cached
	if url := os.Getenv("PIP_INDEX_URL"); url != "" {
		ctr = ctr.WithEnvVariable("PIP_INDEX_URL", url) // else the image's own setting holds
	}
	_, err := ctr.
		WithExec([]string{"python3", "-c", `import os, urllib.request
urllib.request.urlopen(os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/") + "/build/", timeout=20)`}).
		Sync(ctx)
	if err != nil {
		first, _, _ := strings.Cut(err.Error(), "\n")
		return fmt.Errorf("the engine's containers cannot reach the Python package index (set PIP_INDEX_URL to a mirror): %s", first)
	}
	return nil
}
