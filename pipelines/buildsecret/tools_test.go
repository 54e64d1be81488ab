package buildsecret

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
	"github.com/monopipe/monopipe/internal/verdacciotest"
	"github.com/monopipe/monopipe/pipelines/run"
)

// The tests below use the files and settings Resolve makes with the real
// npm, pip and git on this machine, against local servers that require the
// secret, and search everything the tools printed for every form of it.

// checkNoLeak fails when any captured text shows any form of secret.
func checkNoLeak(t *testing.T, secret string, captured map[string]string) {
	t.Helper()
	for _, form := range run.Forms(secret) {
		for name, text := range captured {
			if strings.Contains(text, form) {
				t.Errorf("%s shows the secret (form %q):\n%s", name, form, text)
			}
		}
	}
}

func command(t *testing.T, dir string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// privateScope is a Verdaccio packages section where the @acme scope needs
// an authenticated user to read and everything else is public.
const privateScope = `  '@acme/*':
    access: $authenticated
    publish: $authenticated
  '**':
    access: $all
    publish: $authenticated
`

// TestNPMRCWithVerdaccio: npm install of a package in a private scope
// fails with an .npmrc that has no token and passes with the one Resolve
// makes from the token secret.
func TestNPMRCWithVerdaccio(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm not installed")
	}
	registry, token := verdacciotest.Start(t, privateScope)
	registry += "/"
	d := decls(t, fmt.Sprintf("    - name: NPM_TOKEN\n      npm: {registry: %q, scope: \"@acme\"}\n", registry))
	set, err := Resolve("web", d, map[string]string{"NPM_TOKEN": token})
	if err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(t.TempDir(), "npmrc")
	if err := os.WriteFile(rc, []byte(set.Mounts[0].Value), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(userconfig string) []string {
		return []string{"NPM_CONFIG_USERCONFIG=" + userconfig, "NPM_CONFIG_CACHE=" + t.TempDir(), "NPM_CONFIG_AUDIT=false",
			"NPM_CONFIG_FUND=false", "NPM_CONFIG_UPDATE_NOTIFIER=false", "NPM_CONFIG_GLOBALCONFIG=/dev/null"}
	}
	captured := map[string]string{}

	// Publish @acme/lib with the same .npmrc.
	lib := t.TempDir()
	os.WriteFile(filepath.Join(lib, "package.json"), []byte(`{"name":"@acme/lib","version":"1.0.0","main":"index.js"}`), 0o644)
	os.WriteFile(filepath.Join(lib, "index.js"), []byte("module.exports = 'private';\n"), 0o644)
	out, err := command(t, lib, env(rc), "npm", "publish")
	captured["npm publish"] = out
	if err != nil {
		t.Fatalf("npm publish: %v\n%s", err, out)
	}

	app := func() string {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"app","version":"1.0.0","private":true,"dependencies":{"@acme/lib":"1.0.0"}}`), 0o644)
		return dir
	}
	// Without the token: the scope's registry refuses.
	noToken := filepath.Join(t.TempDir(), "npmrc")
	os.WriteFile(noToken, []byte("@acme:registry="+registry+"\n"), 0o600)
	dir := app()
	out, err = command(t, dir, env(noToken), "npm", "install", "--no-audit")
	captured["npm install without the token"] = out
	if err == nil {
		t.Fatalf("npm install of a private scope passed without the token:\n%s", out)
	}
	// With the generated .npmrc: installed.
	if set.Env["NPM_CONFIG_USERCONFIG"] != NPMRCPath || set.Mounts[0].Path != NPMRCPath {
		t.Errorf("the .npmrc is not where NPM_CONFIG_USERCONFIG points: %+v %v", set.Mounts, set.Env)
	}
	dir = app()
	out, err = command(t, dir, env(rc), "npm", "install", "--no-audit")
	captured["npm install"] = out
	if err != nil {
		t.Fatalf("npm install with the generated .npmrc: %v\n%s", err, out)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "node_modules/@acme/lib/index.js")); err != nil || !strings.Contains(string(data), "private") {
		t.Errorf("@acme/lib not installed: %v", err)
	}
	lock, _ := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	captured["package-lock.json"] = string(lock)
	checkNoLeak(t, token, captured)
}

// wheel is a minimal pure-Python wheel of acme-private 1.0.0.
func wheel(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files := [][2]string{
		{"acme_private/__init__.py", "VALUE = 'private'\n"},
		{"acme_private-1.0.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: acme-private\nVersion: 1.0.0\n"},
		{"acme_private-1.0.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
	}
	var record strings.Builder
	for _, f := range files {
		w, _ := zw.Create(f[0])
		w.Write([]byte(f[1]))
		fmt.Fprintf(&record, "%s,,\n", f[0])
	}
	record.WriteString("acme_private-1.0.0.dist-info/RECORD,,\n")
	w, _ := zw.Create("acme_private-1.0.0.dist-info/RECORD")
	w.Write([]byte(record.String()))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pep503Index serves acme-private through the PEP 503 simple API behind
// basic authentication.
func pep503Index(t *testing.T, user, password string) *httptest.Server {
	whl := wheel(t)
	const name = "acme_private-1.0.0-py3-none-any.whl"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="private"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/simple/", "/simple":
			fmt.Fprint(w, `<!DOCTYPE html><html><body><a href="/simple/acme-private/">acme-private</a></body></html>`)
		case "/simple/acme-private/":
			fmt.Fprintf(w, `<!DOCTYPE html><html><body><a href="/files/%s">%s</a></body></html>`, name, name)
		case "/files/" + name:
			w.Write(whl)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestPipIndexURLWithAuthIndex: pip install --index-url from the setting
// Resolve makes fails without the secret and passes with it, for a token
// that needs escaping in a URL.
func TestPipIndexURLWithAuthIndex(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	if out, err := exec.Command("python3", "-m", "pip", "--version").CombinedOutput(); err != nil {
		t.Skipf("pip not available: %s", out)
	}
	const token = "pypi-Tok/en+with:odd@chars%41"
	srv := pep503Index(t, "__token__", token)
	d := decls(t, fmt.Sprintf("    - name: PIP_TOKEN\n      pip: {index: %q}\n", srv.URL+"/simple/"))
	set, err := Resolve("py", d, map[string]string{"PIP_TOKEN": token})
	if err != nil {
		t.Fatal(err)
	}
	if set.Mounts[0].Env != "PIP_INDEX_URL" {
		t.Fatalf("mounts = %+v", set.Mounts)
	}
	captured := map[string]string{}
	install := func(env ...string) (string, string, error) {
		target := t.TempDir()
		out, err := command(t, t.TempDir(), append(env, "PIP_NO_CACHE_DIR=1", "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1",
			"PIP_CONFIG_FILE=/dev/null", "PIP_KEYRING_PROVIDER=disabled"), "python3", "-m", "pip", "install", "--target", target, "acme-private==1.0.0")
		return target, out, err
	}
	_, out, err := install("PIP_INDEX_URL=" + srv.URL + "/simple/")
	captured["pip without the secret"] = out
	if err == nil {
		t.Fatalf("pip installed from the authenticated index without the secret:\n%s", out)
	}
	target, out, err := install("PIP_INDEX_URL=" + set.Mounts[0].Value)
	captured["pip"] = out
	if err != nil {
		t.Fatalf("pip install with the generated PIP_INDEX_URL: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(target, "acme_private", "__init__.py")); err != nil {
		t.Errorf("acme-private not installed: %v\n%s", err, out)
	}
	checkNoLeak(t, token, captured)
}

// TestNetrcWithGitHTTP: git clones a repository over HTTP that requires
// basic authentication only with the .netrc Resolve makes (as go get of a
// GOPRIVATE module does through git).
func TestNetrcWithGitHTTP(t *testing.T) {
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skip("git not installed")
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		t.Skip("git-http-backend not installed")
	}
	const token = "ghp_netrcTOKEN0123456789"
	src := gittest.New(t)
	src.Commit("module", map[string]string{"go.mod": "module example.com/acme/private\n", "lib.go": "package private\n"})
	root := t.TempDir()
	src.Git("clone", "-q", "--bare", src.Dir, filepath.Join(root, "private.git"))
	h := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "x-access-token" || p != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	hostname, _, _ := strings.Cut(host, ":")

	d := decls(t, fmt.Sprintf("    - name: GIT_TOKEN\n      go: {private: [\"example.com/acme/*\"], host: %q}\n", hostname))
	set, err := Resolve("svc", d, map[string]string{"GIT_TOKEN": token})
	if err != nil {
		t.Fatal(err)
	}
	if set.Env["GOPRIVATE"] != "example.com/acme/*" {
		t.Errorf("GOPRIVATE = %q", set.Env["GOPRIVATE"])
	}
	captured := map[string]string{}
	clone := func(netrc string) (string, error) {
		home := t.TempDir()
		if netrc != "" {
			os.WriteFile(filepath.Join(home, ".netrc"), []byte(netrc), 0o600)
		}
		env := []string{"HOME=" + home, "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "GIT_ASKPASS=", "SSH_ASKPASS="}
		return command(t, home, env, "git", "clone", srv.URL+"/private.git", "out")
	}
	out2, err := clone("")
	captured["git clone without the secret"] = out2
	if err == nil {
		t.Fatalf("git cloned without the secret:\n%s", out2)
	}
	out2, err = clone(set.Mounts[0].Value)
	captured["git clone"] = out2
	if err != nil {
		t.Fatalf("git clone with the generated .netrc: %v\n%s", err, out2)
	}
	checkNoLeak(t, token, captured)
}
