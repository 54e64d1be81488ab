package infer

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

// packageJSON is what infer reads of a package.json.
type packageJSON struct {
	Name                 string            `json:"name"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
}

// parsePackageJSON reads package.json f; nil when it cannot hold a
// dependency or does not parse.
func parsePackageJSON(fsys fs.FS, f string) (*packageJSON, []byte, error) {
	data, err := readFile(fsys, f)
	if err != nil || data == nil {
		return nil, nil, err
	}
	var pj packageJSON
	if err := json.Unmarshal(data, &pj); err != nil {
		return nil, nil, nil // not ours to judge: skipped
	}
	return &pj, data, nil
}

// readPackageJSON records the npm package name that f declares.
func (pk *packages) readPackageJSON(fsys fs.FS, f, name string) error {
	pj, _, err := parsePackageJSON(fsys, f)
	if err != nil || pj == nil || pj.Name == "" {
		return err
	}
	if prev, ok := pk.npm[pj.Name]; ok && prev != name {
		return fmt.Errorf("%s: npm package %s is also component %s's", f, pj.Name, prev)
	}
	pk.npm[pj.Name] = name
	return nil
}

// nodeDeps lists the components that package.json f depends on, in any
// of its dependency sections.
func (pk *packages) nodeDeps(fsys fs.FS, f string) ([]Dependency, error) {
	if len(pk.npm) == 0 {
		return nil, nil
	}
	pj, data, err := parsePackageJSON(fsys, f)
	if err != nil || pj == nil {
		return nil, err
	}
	var out []Dependency
	sections := []struct {
		key  string
		deps map[string]string
	}{
		{"dependencies", pj.Dependencies},
		{"devDependencies", pj.DevDependencies},
		{"peerDependencies", pj.PeerDependencies},
		{"optionalDependencies", pj.OptionalDependencies},
	}
	for _, s := range sections {
		names := make([]string, 0, len(s.deps))
		for n := range s.deps {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if to, ok := pk.npm[n]; ok {
				out = append(out, Dependency{To: to, Ecosystem: Node, Package: n, File: f, Line: jsonKeyLine(data, s.key, n)})
			}
		}
	}
	return out, nil
}

// jsonKeyLine is the line of key "name" after the first "section" key.
func jsonKeyLine(data []byte, section, name string) int {
	text := string(data)
	start := strings.Index(text, `"`+section+`"`)
	if start < 0 {
		start = 0
	}
	i := strings.Index(text[start:], `"`+name+`"`)
	if i < 0 {
		return lineOf(data, `"`+section+`"`)
	}
	return strings.Count(text[:start+i], "\n") + 1
}
