// Package verdacciotest runs a real Verdaccio (a local npm registry) for
// tests: on a free loopback port, storage in a temporary folder, no
// uplinks, an htpasswd user; stopped at cleanup.
package verdacciotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monopipe/monopipe/internal/localsvc"
)

// Public is the packages section where anyone reads every package and
// only authenticated users publish and unpublish.
const Public = `  '**':
    access: $all
    publish: $authenticated
    unpublish: $authenticated
`

// Start runs Verdaccio with packages as its configuration's packages
// section (entries indented by two spaces, as in Public) and returns its
// URL (no trailing slash) and the token of a user it creates. The test is
// skipped when verdaccio is not installed.
func Start(tb testing.TB, packages string) (url, token string) {
	tb.Helper()
	bin, err := exec.LookPath("verdaccio")
	if err != nil {
		tb.Skip("verdaccio not installed (.ci/setup.d/publish.sh installs it): skipping npm registry tests")
	}
	dir := tb.TempDir()
	port, err := localsvc.FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	cfg := fmt.Sprintf(`storage: %[1]s/storage
auth:
  htpasswd:
    file: %[1]s/htpasswd
    max_users: 10
uplinks: {}
packages:
%[2]s
web:
  enable: false
log: {type: stdout, format: pretty, level: warn}
`, dir, strings.TrimRight(packages, "\n"))
	cfgFile := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		tb.Fatal(err)
	}
	url = fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(bin, "--config", cfgFile, "--listen", fmt.Sprintf("127.0.0.1:%d", port))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start verdaccio: %v", err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if err := localsvc.WaitHTTP(url+"/-/ping", 60*time.Second); err != nil {
		tb.Fatalf("verdaccio: %v\n%s", err, out.String())
	}
	req, err := http.NewRequest(http.MethodPut, url+"/-/user/org.couchdb.user:ci", strings.NewReader(`{"name":"ci","password":"ci-password-123"}`))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("create user: %v", err)
	}
	defer resp.Body.Close()
	var user struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&user); err != nil || user.Token == "" {
		tb.Fatalf("create user: %s, %v", resp.Status, err)
	}
	return url, user.Token
}
