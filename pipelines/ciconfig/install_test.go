package ciconfig

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeAsset is a release asset that reports its version and leaves a mark
// when it runs, so that a test can tell whether an unverified one ran.
func fakeAsset(mark string) []byte {
	return []byte("#!/bin/sh\ntouch '" + mark + "'\necho monopipe 1.2.3\n")
}

// TestInstallScript runs InstallScript against a release server: the
// pinned asset is installed and runs; a checksum mismatch or a bad pin is
// refused before anything runs, and nothing is left at the path.
func TestInstallScript(t *testing.T) {
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skip("the script serves linux runners")
	}
	for _, bin := range []string{"bash", "curl", "sha256sum"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not on PATH", bin)
		}
	}
	script, err := filepath.Abs(filepath.Join(repoRoot, InstallScript))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	mark := filepath.Join(dir, "ran")
	asset := fakeAsset(mark)
	sum := sha256.Sum256(asset)
	good := hex.EncodeToString(sum[:])
	wantPath := "/monopipe%2Fv1.2.3/monopipe_1.2.3_linux_" + runtime.GOARCH
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.EscapedPath() != wantPath {
			http.NotFound(w, r)
			return
		}
		w.Write(asset)
	}))
	t.Cleanup(srv.Close)

	// A fake go for the unpinned build: writes a binary at -o.
	fakeBin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(fakeBin, 0o755); err != nil {
		t.Fatal(err)
	}
	fakeGo := "#!/bin/sh\necho \"$@\" > '" + filepath.Join(dir, "go-args") + "'\nprintf '#!/bin/sh\\necho monopipe dev\\n' > \"$3\"\nchmod +x \"$3\"\n"
	if err := os.WriteFile(filepath.Join(fakeBin, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, version, sum string
		ok                 bool
		hits               int32
		out                string // substring of the output
	}{
		{"pinned", "1.2.3", good, true, 1, "monopipe 1.2.3"},
		{"checksum mismatch", "1.2.3", strings.Repeat("0", 64), false, 1, "has SHA-256 " + good + " but the wrapper pins " + strings.Repeat("0", 64) + ": refusing"},
		{"no checksum", "1.2.3", "", false, 0, "has no pinned checksum"},
		{"short checksum", "1.2.3", good[:40], false, 0, "has no pinned checksum"},
		{"uppercase checksum", "1.2.3", strings.ToUpper(good), false, 0, "has no pinned checksum"},
		{"not a version", "latest", good, false, 0, "is not a version X.Y.Z"},
		{"checksum without version", "", good, false, 0, "MONOPIPE_SHA256 is set but MONOPIPE_VERSION is empty"},
		{"no such release", "1.2.4", good, false, 1, "404"},
		{"unpinned builds from the checkout", "", "", true, 0, "go build ./cmd/monopipe from this checkout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(mark)
			hits.Store(0)
			out := filepath.Join(t.TempDir(), "monopipe")
			cmd := exec.Command("bash", script, out)
			cmd.Dir = repoRoot
			cmd.Env = append(os.Environ(), "MONOPIPE_VERSION="+tc.version, "MONOPIPE_SHA256="+tc.sum,
				"MONOPIPE_RELEASES_URL="+srv.URL, "PATH="+fakeBin+string(os.PathListSeparator)+os.Getenv("PATH"))
			text, err := cmd.CombinedOutput()
			if (err == nil) != tc.ok || !strings.Contains(string(text), tc.out) {
				t.Fatalf("err = %v, want ok %v; output:\n%s\nwant it to contain %q", err, tc.ok, text, tc.out)
			}
			if got := hits.Load(); got != tc.hits {
				t.Errorf("%d downloads, want %d", got, tc.hits)
			}
			_, statErr := os.Stat(out)
			if tc.ok != (statErr == nil) {
				t.Errorf("installed binary: %v, want installed %v", statErr, tc.ok)
			}
			if _, err := os.Stat(mark); (err == nil) != (tc.ok && tc.version != "") {
				t.Errorf("the asset ran: %v (want only when verified)", err == nil)
			}
		})
	}
	args, err := os.ReadFile(filepath.Join(dir, "go-args"))
	if err != nil || !strings.HasPrefix(string(args), "build -o ") || !strings.HasSuffix(string(args), " ./cmd/monopipe\n") {
		t.Errorf("go was run with %q, %v", args, err)
	}
}
