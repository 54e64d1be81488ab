package adopt

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"gopkg.in/yaml.v3"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

// pathDeps are the dependencies that pr's own manifests name by folder
// or image: go.mod replace directives to a local folder, package.json
// file:/link: dependencies, pyproject.toml path dependencies (Poetry, uv)
// and Dockerfile COPY --from an image named like a component. ownerOf
// names the component whose folder is dir ("" when none).
func pathDeps(fsys fs.FS, pr *project, ownerOf func(dir string) string, names map[string]bool) []edge {
	var out []edge
	local := func(file string, line int, target, what string) {
		dir := path.Join(pr.dir, target)
		if strings.HasPrefix(dir, "../") || dir == ".." || path.IsAbs(target) {
			return
		}
		if to := ownerOf(dir); to != "" {
			out = append(out, edge{to, fmt.Sprintf("%s:%d: %s %s", file, line, what, target)})
		}
	}
	for _, m := range pr.markers {
		f := path.Join(pr.dir, m)
		data, err := manifest.ReadFile(fsys, f)
		if err != nil {
			continue
		}
		switch m {
		case "go.mod":
			for _, r := range replaces(data) {
				local(f, r.line, r.target, "replaces "+r.module+" with")
			}
		case "package.json":
			var pj map[string]json.RawMessage
			if json.Unmarshal(data, &pj) != nil {
				continue
			}
			for _, sec := range []string{"dependencies", "devDependencies", "peerDependencies", "optionalDependencies"} {
				var deps map[string]string
				if json.Unmarshal(pj[sec], &deps) != nil {
					continue
				}
				for _, n := range sortedKeys(deps) {
					spec := deps[n]
					for _, pre := range []string{"file:", "link:", "portal:"} {
						if t, ok := strings.CutPrefix(spec, pre); ok {
							local(f, lineOf(data, `"`+n+`"`), t, "depends on "+n+" at")
						}
					}
				}
			}
		case "pyproject.toml":
			pp := readPyproject(fsys, f)
			if pp == nil {
				continue
			}
			for _, t := range tomlPaths(pp) {
				local(f, lineOf(data, t.name), t.path, "depends on "+t.name+" at")
			}
		case "Dockerfile":
			for _, c := range copyFrom(data) {
				if names[c.name] {
					out = append(out, edge{c.name, fmt.Sprintf("%s:%d: COPY --from=%s", f, c.line, c.image)})
				}
			}
		}
	}
	return out
}

type replace struct {
	module, target string
	line           int
}

// replaces are go.mod's replace directives whose target is a local
// folder (./ or ../).
func replaces(data []byte) []replace {
	var out []replace
	inBlock := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "//")
		line = strings.TrimSpace(line)
		switch {
		case inBlock && line == ")":
			inBlock = false
			continue
		case line == "replace (":
			inBlock = true
			continue
		case strings.HasPrefix(line, "replace ") || strings.HasPrefix(line, "replace\t"):
			line = strings.TrimSpace(line[len("replace"):])
		case !inBlock:
			continue
		}
		left, right, ok := strings.Cut(line, "=>")
		if !ok {
			continue
		}
		lf, rf := strings.Fields(left), strings.Fields(right)
		if len(lf) == 0 || len(rf) == 0 {
			continue
		}
		t := unquote(rf[0])
		if strings.HasPrefix(t, "./") || strings.HasPrefix(t, "../") || t == "." || t == ".." {
			out = append(out, replace{unquote(lf[0]), t, n})
		}
	}
	return out
}

func unquote(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}

// modulePath is go.mod's module path ("" when none).
func modulePath(data []byte) string {
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "module" {
			return unquote(f[1])
		}
	}
	return ""
}

type fromImage struct {
	image, name string
	line        int
}

// copyFrom lists the images a Dockerfile's COPY --from names (not its
// own stages or stage numbers), each with the repository's last path
// element as name: ghcr.io/acme/api:1.2 names api.
func copyFrom(data []byte) []fromImage {
	stages := map[string]bool{}
	var out []fromImage
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			for i := 1; i+1 < len(f); i++ {
				if strings.EqualFold(f[i], "AS") {
					stages[strings.ToLower(f[i+1])] = true
				}
			}
		case "COPY":
			for i, a := range f[1:] {
				v, ok := strings.CutPrefix(a, "--from=")
				if !ok && a == "--from" && i+2 < len(f) {
					v, ok = f[i+2], true
				}
				if !ok || stages[strings.ToLower(v)] || strings.Trim(v, "0123456789") == "" || strings.Contains(v, "$") {
					continue
				}
				out = append(out, fromImage{v, imageName(v), n})
			}
		}
	}
	return out
}

// imageName is an image reference's last path element without tag or
// digest.
func imageName(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	last := ref[strings.LastIndex(ref, "/")+1:]
	last, _, _ = strings.Cut(last, ":")
	return strings.ToLower(last)
}

// nodeWorkspaceRoots are the folders whose package.json has workspaces
// (npm, yarn) or that hold a pnpm-workspace.yaml with packages.
func nodeWorkspaceRoots(fsys fs.FS, byDir map[string]map[string]bool) map[string]bool {
	roots := map[string]bool{}
	for d, m := range byDir {
		if m["package.json"] {
			if data, err := manifest.ReadFile(fsys, path.Join(d, "package.json")); err == nil {
				var pj struct {
					Workspaces json.RawMessage `json:"workspaces"`
				}
				if json.Unmarshal(data, &pj) == nil && len(pj.Workspaces) > 0 && string(pj.Workspaces) != "null" {
					roots[d] = true
				}
			}
		}
		if m["pnpm-workspace.yaml"] {
			if data, err := manifest.ReadFile(fsys, path.Join(d, "pnpm-workspace.yaml")); err == nil {
				var pw struct {
					Packages []string `yaml:"packages"`
				}
				if yaml.Unmarshal(data, &pw) == nil && len(pw.Packages) > 0 {
					roots[d] = true
				}
			}
		}
	}
	return roots
}

// pyproject is what adopt reads of a pyproject.toml.
type pyproject struct {
	Project struct {
		Name string `toml:"name"`
	} `toml:"project"`
	Tool struct {
		Poetry struct {
			Name            string         `toml:"name"`
			Dependencies    map[string]any `toml:"dependencies"`
			DevDependencies map[string]any `toml:"dev-dependencies"`
			Group           map[string]struct {
				Dependencies map[string]any `toml:"dependencies"`
			} `toml:"group"`
		} `toml:"poetry"`
		UV struct {
			Sources map[string]any `toml:"sources"`
		} `toml:"uv"`
	} `toml:"tool"`
}

func readPyproject(fsys fs.FS, f string) *pyproject {
	data, err := manifest.ReadFile(fsys, f)
	if err != nil {
		return nil
	}
	var pp pyproject
	if toml.Unmarshal(data, &pp) != nil {
		return nil
	}
	return &pp
}

func pyName(pp *pyproject) string {
	if pp.Project.Name != "" {
		return pp.Project.Name
	}
	return pp.Tool.Poetry.Name
}

type pyPath struct{ name, path string }

// tomlPaths are the path dependencies of a pyproject: Poetry's
// {path = "..."} and uv's [tool.uv.sources] name = {path = "..."}.
func tomlPaths(pp *pyproject) []pyPath {
	tables := []map[string]any{pp.Tool.Poetry.Dependencies, pp.Tool.Poetry.DevDependencies, pp.Tool.UV.Sources}
	for _, g := range sortedKeys(pp.Tool.Poetry.Group) {
		tables = append(tables, pp.Tool.Poetry.Group[g].Dependencies)
	}
	var out []pyPath
	for _, t := range tables {
		for _, n := range sortedKeys(t) {
			if m, ok := t[n].(map[string]any); ok {
				if p, ok := m["path"].(string); ok && p != "" {
					out = append(out, pyPath{n, p})
				}
			}
		}
	}
	return out
}

// lineOf is the 1-based line of data's first line containing want, or 1.
func lineOf(data []byte, want string) int {
	i := bytes.Index(data, []byte(want))
	if i < 0 {
		return 1
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}
