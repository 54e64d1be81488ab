// Command dist builds the monopipe binary's release assets: one binary
// per platform (Targets), named by AssetName, version-stamped so that
// `monopipe version` shows it, and a SHA256SUMS file in sha256sum's
// format. The release workflow runs it for a tag monopipe/vX.Y.Z:
//
//	go run ./internal/dist --tag monopipe/v1.2.3 --out dist
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// TagPrefix starts the tags that release the monopipe binary.
const TagPrefix = "monopipe/v"

// Target is one platform a release ships a binary for.
type Target struct{ OS, Arch string }

// Targets are the platforms of every release.
var Targets = []Target{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"}}

// AssetName is the release asset of version for t:
// monopipe_1.2.3_linux_amd64, monopipe_1.2.3_windows_amd64.exe.
func AssetName(version string, t Target) string {
	name := fmt.Sprintf("monopipe_%s_%s_%s", version, t.OS, t.Arch)
	if t.OS == "windows" {
		name += ".exe"
	}
	return name
}

// VersionFromTag is the version a tag monopipe/vX.Y.Z releases.
func VersionFromTag(tag string) (string, error) {
	v, ok := strings.CutPrefix(tag, TagPrefix)
	if !ok {
		return "", fmt.Errorf("tag %q: want %sX.Y.Z", tag, TagPrefix)
	}
	sv, err := semver.StrictNewVersion(v)
	if err != nil {
		return "", fmt.Errorf("tag %q: %s is not a version X.Y.Z: %w", tag, v, err)
	}
	return sv.String(), nil
}

// LDFlags stamp version into the binary (main.version) and strip it.
func LDFlags(version string) string { return "-s -w -X main.version=" + version }

// Checksums is the SHA256SUMS file of the named files in dir, sorted by
// name, as `sha256sum` writes it (and `sha256sum -c` reads it).
func Checksums(dir string, names []string) ([]byte, error) {
	var b strings.Builder
	for _, name := range slices.Sorted(slices.Values(names)) {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(h.Sum(nil)), name)
	}
	return []byte(b.String()), nil
}

// Pkg is the package the assets are built from.
const Pkg = "./cmd/monopipe"

// Build builds the main package pkg of the module in root for each target
// into out, then writes out/SHA256SUMS; it returns the asset names,
// SHA256SUMS last.
func Build(ctx context.Context, root, pkg, version, out string, targets []Target, log io.Writer) ([]string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, t := range targets {
		name := AssetName(version, t)
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", LDFlags(version), "-o", filepath.Join(abs, name), pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+t.OS, "GOARCH="+t.Arch)
		cmd.Stdout, cmd.Stderr = log, log
		fmt.Fprintf(log, "build %s\n", name)
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("build %s: %w", name, err)
		}
		names = append(names, name)
	}
	sums, err := Checksums(out, names)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(out, "SHA256SUMS"), sums, 0o644); err != nil {
		return nil, err
	}
	return append(names, "SHA256SUMS"), nil
}

func main() {
	fs := flag.NewFlagSet("dist", flag.ContinueOnError)
	tag := fs.String("tag", "", "the release tag, "+TagPrefix+"X.Y.Z")
	out := fs.String("out", "dist", "the folder the assets are written to")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2)
	}
	version, err := VersionFromTag(*tag)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dist: --tag: %v\n", err)
		os.Exit(2)
	}
	names, err := Build(context.Background(), ".", Pkg, version, *out, Targets, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dist: %v\n", err)
		os.Exit(1)
	}
	for _, n := range names {
		fmt.Println(filepath.Join(*out, n))
	}
}
