//go:build unix

// Package pgtest starts a real, throwaway PostgreSQL server for a test,
// from the binaries of Debian's postgresql package, on a free loopback
// port; it skips the test, with the reason, when PostgreSQL is not
// installed.
package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"

	"github.com/monopipe/monopipe/internal/localsvc"
)

// Start initializes a database cluster in a new folder, starts PostgreSQL
// on 127.0.0.1 with trust authentication, and returns the URL of its
// postgres database as user postgres. The server is stopped and its folder
// removed at cleanup. PostgreSQL refuses to run as root: as root, the
// server runs as the postgres user that Debian's package creates.
func Start(t *testing.T) string {
	t.Helper()
	bin, err := binDir()
	if err != nil {
		t.Skipf("no PostgreSQL: %v (.ci/setup.d/components.sh installs Debian's postgresql)", err)
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("no PostgreSQL: running as root, and there is no postgres user to run the server as: %v", err)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	// Not t.TempDir: its parent is private to this user, and the server
	// may run as another. The socket path must stay short (107 bytes).
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	data, logf := filepath.Join(dir, "data"), filepath.Join(dir, "server.log")
	run := func(name string, args ...string) error {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			log, _ := os.ReadFile(logf)
			return fmt.Errorf("%s %v: %w\n%s%s", name, args, err, out, log)
		}
		return nil
	}
	if err := run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		t.Fatal(err)
	}
	port, err := localsvc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -F", port, dir)
	// -w: pg_ctl returns once the server accepts connections.
	if err := run("pg_ctl", "-D", data, "-l", logf, "-o", opts, "-w", "-t", "60", "start"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"); err != nil {
			t.Errorf("stop PostgreSQL: %v", err)
		}
	})
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

// binDir is the folder of initdb and pg_ctl: on PATH, else the newest
// of Debian's /usr/lib/postgresql/<version>/bin.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	slices.SortFunc(found, func(a, b string) int { return version(b) - version(a) })
	if len(found) == 0 {
		return "", fmt.Errorf("initdb and pg_ctl are neither on PATH nor in /usr/lib/postgresql/*/bin")
	}
	return filepath.Dir(found[0]), nil
}

// version is the major version in /usr/lib/postgresql/<version>/bin/initdb.
func version(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}
