package infer

import (
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Pyproject is what infer (and init) read of a pyproject.toml: PEP 621's project
// table, PEP 735's dependency groups and Poetry's tables.
type Pyproject struct {
	Project struct {
		Name                 string              `toml:"name"`
		Dependencies         []string            `toml:"dependencies"`
		OptionalDependencies map[string][]string `toml:"optional-dependencies"`
	} `toml:"project"`
	DependencyGroups map[string][]any `toml:"dependency-groups"`
	Tool             struct {
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

// ReadPyproject reads pyproject.toml f and its bytes; nil when it cannot
// hold a dependency or does not parse.
func ReadPyproject(fsys fs.FS, f string) (*Pyproject, []byte, error) {
	data, err := readFile(fsys, f)
	if err != nil || data == nil {
		return nil, nil, err
	}
	var pp Pyproject
	if err := toml.Unmarshal(data, &pp); err != nil {
		return nil, nil, nil // not ours to judge: skipped
	}
	return &pp, data, nil
}

// readPyproject records the Python project name that f declares.
func (pk *packages) readPyproject(fsys fs.FS, f, name string) error {
	pp, _, err := ReadPyproject(fsys, f)
	if err != nil || pp == nil {
		return err
	}
	project := pp.Project.Name
	if project == "" {
		project = pp.Tool.Poetry.Name
	}
	if project == "" {
		return nil
	}
	n := normalizePy(project)
	if prev, ok := pk.py[n]; ok && prev != name {
		return fmt.Errorf("%s: Python project %s is also component %s's", f, project, prev)
	}
	pk.py[n] = name
	return nil
}

// requirementRE is the project name at the start of a PEP 508 requirement.
var requirementRE = regexp.MustCompile(`^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)`)

// pythonDeps lists the components that pyproject.toml f depends on.
func (pk *packages) pythonDeps(fsys fs.FS, f string) ([]Dependency, error) {
	if len(pk.py) == 0 {
		return nil, nil
	}
	pp, data, err := ReadPyproject(fsys, f)
	if err != nil || pp == nil {
		return nil, err
	}
	var reqs []string // PEP 508 strings
	reqs = append(reqs, pp.Project.Dependencies...)
	for _, k := range slices.Sorted(maps.Keys(pp.Project.OptionalDependencies)) {
		reqs = append(reqs, pp.Project.OptionalDependencies[k]...)
	}
	for _, k := range slices.Sorted(maps.Keys(pp.DependencyGroups)) {
		for _, r := range pp.DependencyGroups[k] {
			if s, ok := r.(string); ok { // not {include-group = ...}
				reqs = append(reqs, s)
			}
		}
	}
	var out []Dependency
	add := func(name string, line int) {
		if to, ok := pk.py[normalizePy(name)]; ok {
			out = append(out, Dependency{To: to, Ecosystem: Python, Package: name, File: f, Line: line})
		}
	}
	for _, r := range reqs {
		if m := requirementRE.FindStringSubmatch(r); m != nil {
			add(m[1], lineOf(data, r))
		}
	}
	poetry := []map[string]any{pp.Tool.Poetry.Dependencies, pp.Tool.Poetry.DevDependencies}
	for _, k := range slices.Sorted(maps.Keys(pp.Tool.Poetry.Group)) {
		poetry = append(poetry, pp.Tool.Poetry.Group[k].Dependencies)
	}
	for _, deps := range poetry {
		for _, n := range slices.Sorted(maps.Keys(deps)) {
			add(n, keyLine(data, n))
		}
	}
	return out, nil
}

// normalizePy is a Python project name as PEP 503 compares it.
func normalizePy(name string) string {
	return strings.ToLower(pySepRE.ReplaceAllString(name, "-"))
}

var pySepRE = regexp.MustCompile(`[-_.]+`)

// keyLine is the line of the first TOML key n at the start of a line
// (bare or quoted), or 1.
func keyLine(data []byte, n string) int {
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimLeft(strings.TrimSpace(l), `"'`)
		if rest, ok := strings.CutPrefix(l, n); ok && rest != "" && strings.ContainsRune(" \t=\"'", rune(rest[0])) {
			return i + 1
		}
	}
	return 1
}
