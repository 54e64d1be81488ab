package main

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestAssetName(t *testing.T) {
	var got []string
	for _, tg := range Targets {
		got = append(got, AssetName("1.2.3", tg))
	}
	want := []string{"monopipe_1.2.3_linux_amd64", "monopipe_1.2.3_linux_arm64", "monopipe_1.2.3_darwin_amd64",
		"monopipe_1.2.3_darwin_arm64", "monopipe_1.2.3_windows_amd64.exe"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("assets = %v\nwant %v", got, want)
	}
}

func TestVersionFromTag(t *testing.T) {
	for _, tc := range []struct{ tag, want, err string }{
		{"monopipe/v1.2.3", "1.2.3", ""},
		{"monopipe/v1.2.3-rc.1", "1.2.3-rc.1", ""},
		{"v1.2.3", "", `tag "v1.2.3": want monopipe/vX.Y.Z`},
		{"web/v1.2.3", "", "want monopipe/vX.Y.Z"},
		{"monopipe/v1.2", "", "1.2 is not a version X.Y.Z"},
		{"monopipe/vlatest", "", "latest is not a version"},
	} {
		got, err := VersionFromTag(tc.tag)
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: %q, %v; want %q, %q", tc.tag, got, err, tc.want, tc.err)
		}
	}
}

// TestChecksums checks SHA256SUMS against sha256sum itself (the file the
// wrappers' pin is copied from, and `sha256sum -c` verifies).
func TestChecksums(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"monopipe_1.0.0_linux_amd64": "linux binary", "monopipe_1.0.0_windows_amd64.exe": "windows binary", "a": ""}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sums, err := Checksums(dir, []string{"monopipe_1.0.0_windows_amd64.exe", "monopipe_1.0.0_linux_amd64", "a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum not on PATH")
	}
	cmd := exec.Command("sha256sum", "a", "monopipe_1.0.0_linux_amd64", "monopipe_1.0.0_windows_amd64.exe")
	cmd.Dir = dir
	want, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(sums) != string(want) {
		t.Errorf("SHA256SUMS:\n%s\nsha256sum:\n%s", sums, want)
	}
	if err := os.WriteFile(filepath.Join(dir, "SHA256SUMS"), sums, 0o644); err != nil {
		t.Fatal(err)
	}
	// A changed asset fails the check.
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	check := exec.Command("sha256sum", "-c", "SHA256SUMS")
	check.Dir = dir
	if out, err := check.CombinedOutput(); err == nil || !strings.Contains(string(out), "a: FAILED") {
		t.Errorf("sha256sum -c accepted a changed asset: %v\n%s", err, out)
	}
	if _, err := Checksums(dir, []string{"absent"}); err == nil {
		t.Error("a missing asset gave checksums")
	}
}

// TestBuildStampsVersion builds a small main package as the release
// builds monopipe (a full build of monopipe with -trimpath would compile
// everything again) and runs it.
func TestBuildStampsVersion(t *testing.T) {
	out := t.TempDir()
	var log bytes.Buffer
	tg := Target{runtime.GOOS, runtime.GOARCH}
	names, err := Build(context.Background(), filepath.Join("testdata", "stamp"), ".", "9.8.7", out, []Target{tg}, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if len(names) != 2 || names[0] != AssetName("9.8.7", tg) || names[1] != "SHA256SUMS" {
		t.Fatalf("assets = %v", names)
	}
	got, err := exec.Command(filepath.Join(out, names[0])).Output()
	if err != nil || string(got) != "monopipe 9.8.7\n" {
		t.Errorf("stamped binary prints %q, %v", got, err)
	}
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if err != nil || !strings.HasSuffix(string(sums), "  "+names[0]+"\n") || len(sums) != 64+2+len(names[0])+1 {
		t.Errorf("SHA256SUMS = %q, %v", sums, err)
	}
}

// TestMonopipeHasVersion: LDFlags stamps main.version, which must be a
// package-level string variable of monopipe's main package.
func TestMonopipeHasVersion(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, filepath.Join("..", "..", Pkg), func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range pkgs["main"].Files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				v := spec.(*ast.ValueSpec)
				for i, n := range v.Names {
					if n.Name != "version" {
						continue
					}
					lit, ok := v.Values[i].(*ast.BasicLit)
					found = v.Type == nil && ok && lit.Kind == token.STRING
				}
			}
		}
	}
	if !found {
		t.Errorf("%s has no package-level `var version = \"...\"` for -X main.version", Pkg)
	}
}
