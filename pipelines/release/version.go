package release

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/pelletier/go-toml/v2"
)

// VersionFiles are the files, in order, that record a component's version
// when release.versionFile is not set.
var VersionFiles = []string{"VERSION", "package.json", "pyproject.toml"}

// CheckVersion compares the version t's component records (fsys is the
// repository tree at the tag) with the tag's. No version file is fine;
// a different version is an error showing both values.
func CheckVersion(fsys fs.FS, t Target) error {
	c := t.Component
	files := VersionFiles
	switch c.Release.VersionFile {
	case "-":
		return nil
	case "":
	default:
		files = []string{c.Release.VersionFile}
	}
	for _, name := range files {
		p := path.Join(c.Dir, name)
		data, err := fs.ReadFile(fsys, p)
		if errors.Is(err, fs.ErrNotExist) && c.Release.VersionFile == "" {
			continue
		}
		if err != nil {
			return fmt.Errorf("release %s: read version file: %w", t.Tag, err)
		}
		recorded, err := readVersion(p, data)
		if err != nil {
			return fmt.Errorf("release %s: %w", t.Tag, err)
		}
		if recorded == "" { // e.g. pyproject.toml with a dynamic version
			if c.Release.VersionFile == "" {
				continue
			}
			return fmt.Errorf("release %s: %s (release.versionFile of %s) records no version", t.Tag, p, c.Path)
		}
		v, err := semver.NewVersion(recorded)
		if err != nil || !v.Equal(t.Version) {
			return fmt.Errorf("release %s: version mismatch: the tag says %s but %s says %q", t.Tag, t.Version, p, recorded)
		}
		return nil
	}
	return nil
}

// readVersion extracts the version from a version file, chosen by its name;
// "" when the file records none.
func readVersion(p string, data []byte) (string, error) {
	var v string
	switch path.Base(p) {
	case "package.json":
		var pkg struct {
			Version string `json:"version"`
		}
		if err := json.Unmarshal(data, &pkg); err != nil {
			return "", fmt.Errorf("parse %s: %w", p, err)
		}
		v = pkg.Version
	case "pyproject.toml":
		var py struct {
			Project struct{ Version string }
			Tool    struct{ Poetry struct{ Version string } }
		}
		if err := toml.Unmarshal(data, &py); err != nil {
			return "", fmt.Errorf("parse %s: %w", p, err)
		}
		v = py.Project.Version
		if v == "" {
			v = py.Tool.Poetry.Version
		}
	default:
		v, _, _ = strings.Cut(string(data), "\n")
	}
	return strings.TrimSpace(v), nil
}
