// Package adopt proposes the manifests that adopt monopipe in an existing
// repository (monopipe init): it finds the projects (Go modules and go.work
// members, package.json and npm/pnpm/yarn workspaces, pyproject.toml,
// Dockerfiles, Dagger modules), gives each a component.yaml with its kind
// and the dependsOn its files show, and a monopipe.yaml. It reads files
// only; no git, no engine. Components that already have a component.yaml
// are left alone and count as targets of dependsOn.
package adopt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/monopipe/monopipe/pipelines/graph"
	"github.com/monopipe/monopipe/pipelines/infer"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/ownership"
	"github.com/monopipe/monopipe/pipelines/pathglob"
)

// Schema URLs written in the yaml-language-server line when the
// repository does not hold monopipe's schemas (a user's repository).
const (
	ComponentSchemaURL = "https://raw.githubusercontent.com/monopipe/monopipe/main/schema/component.schema.json"
	WorkspaceSchemaURL = "https://raw.githubusercontent.com/monopipe/monopipe/main/schema/monopipe.schema.json"
)

// In-repository schema paths, used (relative to the manifest) when the
// repository holds them, as monopipe's own does.
const (
	componentSchemaPath = "schema/component.schema.json"
	workspaceSchemaPath = "schema/monopipe.schema.json"
)

// Input is what the repository already holds.
type Input struct {
	// FS is the working tree, rooted at the repository root.
	FS fs.FS
	// Files are the repo-relative files to consider as git lists them
	// (not ignored, no nested repositories or submodules' contents); nil
	// walks FS.
	Files []string
	// Workspace is the current monopipe.yaml (Path "" when none).
	Workspace *manifest.Workspace
	// Components are the components that already have a component.yaml.
	Components []*manifest.Component
	// RootName names a project at the repository root that has no
	// package name (the repository folder's name, say).
	RootName string
}

// File is one file the proposal writes.
type File struct {
	// Path is repo-relative, with forward slashes.
	Path string
	// Old is the current content when the file exists (Exists).
	Old []byte
	// Exists says the file is there: writing it needs --force.
	Exists bool
	// New is the proposed content.
	New []byte
}

// Proposal is what init would write.
type Proposal struct {
	// Components are the proposed components, parsed back from Files.
	Components []*manifest.Component
	// Files are the proposed files, sorted by path.
	Files []File
	// Notes say what was found but not proposed, and why.
	Notes []string
}

// project is a folder found to hold a project.
type project struct {
	dir     string
	kind    manifest.Kind
	why     string   // "a Go module (go.mod)"
	pkg     string   // package name, for the component name
	markers []string // marker files in dir
	exists  []byte   // content of a component.yaml not discovered (nil when none)
	oldName string   // the name that component.yaml gives, when it parses
	deps    []edge
	dagger  daggerModule // for kind dagger
}

type edge struct{ to, why string }

// Propose finds the projects of in's repository that have no component
// yet and proposes their manifests.
func Propose(in Input) (*Proposal, error) {
	files := in.Files
	if files == nil {
		var err error
		if files, err = manifest.ListFiles(in.FS); err != nil {
			return nil, err
		}
	}
	ws := in.Workspace
	if ws == nil {
		ws = manifest.DefaultWorkspace()
	}
	p := &Proposal{}
	note := func(format string, args ...any) { p.Notes = append(p.Notes, fmt.Sprintf(format, args...)) }

	byDir := map[string]map[string]bool{} // folder → marker files there
	has := map[string]bool{}
	for _, f := range files {
		has[f] = true
		if manifest.InSkippedFolder(f) {
			continue
		}
		switch base := path.Base(f); base {
		case "go.mod", "go.work", "package.json", "pnpm-workspace.yaml", "pyproject.toml", "Dockerfile", "dagger.json", manifest.ComponentFile:
			d := path.Dir(f)
			if byDir[d] == nil {
				byDir[d] = map[string]bool{}
			}
			byDir[d][base] = true
		}
	}
	existing := map[string]*manifest.Component{}
	names := map[string]bool{}
	for _, c := range in.Components {
		existing[c.Dir] = c
		names[c.Name] = true
	}

	// Dagger modules: the module's folder is a project; its source folder
	// (its Go code, say) is the module's, not a project of its own.
	moduleSource := map[string]string{}
	for _, d := range slices.Sorted(maps.Keys(byDir)) {
		if !byDir[d]["dagger.json"] {
			continue
		}
		src := d
		var dj struct {
			Source string `json:"source"`
		}
		if data, err := manifest.ReadFile(in.FS, path.Join(d, "dagger.json")); err == nil && json.Unmarshal(data, &dj) == nil && dj.Source != "" {
			src = path.Join(d, dj.Source)
		}
		moduleSource[src] = d
	}
	workspaceRoots := nodeWorkspaceRoots(in.FS, byDir)

	var projects []*project
	for _, d := range slices.Sorted(maps.Keys(byDir)) {
		m := byDir[d]
		if existing[d] != nil {
			continue
		}
		if mod, ok := moduleSource[d]; ok && mod != d {
			note("%s: the source of the Dagger module in %s: not a component of its own", d, mod)
			continue
		}
		pr := &project{dir: d}
		if m["dagger.json"] && d == "." {
			// The repository's own module (its CI, likely): the root is a
			// project only through its other files.
			note("dagger.json at the root: the repository's own Dagger module (its CI, likely), not a component")
			m = maps.Clone(m)
			delete(m, "dagger.json")
		}
		switch {
		case m["dagger.json"]:
			pr.kind, pr.why = manifest.KindDagger, "a Dagger module (dagger.json): monopipe calls its functions"
			pr.dagger = readDaggerModule(in.FS, d, note)
		case m["Dockerfile"]:
			pr.kind, pr.why = manifest.KindDocker, "a Dockerfile"
		case m["go.mod"]:
			pr.kind, pr.why = manifest.KindGo, "a Go module (go.mod)"
		case m["pyproject.toml"]:
			pr.kind, pr.why = manifest.KindPython, "a Python project (pyproject.toml)"
		case m["package.json"] && workspaceRoots[d]:
			note("%s: an npm/pnpm/yarn workspace root: its members are components, it is not", path.Join(d, "package.json"))
			continue
		case m["package.json"]:
			pr.kind, pr.why = manifest.KindNode, "a Node package (package.json)"
		case m["go.work"]:
			note("%s: a go.work workspace: its member modules are components, it is not", path.Join(d, "go.work"))
			continue
		default:
			continue // a component.yaml outside the components globs alone, or pnpm-workspace.yaml
		}
		pr.markers = slices.Sorted(maps.Keys(m))
		pr.pkg = packageName(in.FS, d, pr.kind)
		if m[manifest.ComponentFile] {
			data, err := manifest.ReadFile(in.FS, path.Join(d, manifest.ComponentFile))
			if err != nil {
				return nil, err
			}
			pr.exists = data
			if c, err := manifest.ParseComponent(path.Join(d, manifest.ComponentFile), data); err == nil {
				pr.oldName = c.Name
			}
			note("%s exists but monopipe.yaml's components globs do not search %s: proposed anew (written with --force)", path.Join(d, manifest.ComponentFile), d)
		}
		projects = append(projects, pr)
	}
	projects = dropNestedDockerfiles(projects, existing, note)
	if len(projects) == 0 {
		return p, nil
	}

	// Names: the folder's, else the package's, else the path's; unique.
	comps := append([]*manifest.Component(nil), in.Components...)
	byName := map[string]*project{}
	var proposed []*manifest.Component
	for _, pr := range projects {
		name := pickName(pr, in.RootName, names)
		names[name] = true
		byName[name] = pr
		c := &manifest.Component{Name: name, Kind: pr.kind, Dir: pr.dir, Path: path.Join(pr.dir, manifest.ComponentFile)}
		proposed = append(proposed, c)
		comps = append(comps, c)
	}
	sort.Slice(comps, func(i, j int) bool { return comps[i].Dir < comps[j].Dir })

	// Dependencies: what infer finds (imports, package names), then the
	// paths that manifests name (replace, file:, path =) and images that
	// Dockerfiles copy from.
	deps, err := infer.Find(in.FS, files, comps)
	if err != nil {
		// Two projects with one package name, say: the names cannot
		// tell which is meant. Paths and images still can.
		note("no dependencies inferred from imports and package names: %v", err)
	}
	for _, d := range deps {
		if pr := byName[d.From]; pr != nil && d.To != "" {
			pr.add(d.To, fmt.Sprintf("%s:%d: %s", d.File, d.Line, strings.TrimPrefix(d.String(), d.From+" ")))
		} else if pr == nil && byName[d.To] != nil {
			note("%s:%d: existing component %s uses proposed %s: add it to %s's dependsOn by hand", d.File, d.Line, d.From, d.To, d.From)
		}
	}
	owners := ownership.New(manifest.DefaultWorkspace(), comps)
	ownerOf := func(dir string) string {
		if c := owners.Owner(path.Join(dir, "x")); c != nil {
			return c.Name
		}
		return ""
	}
	allNames := map[string]bool{}
	for _, c := range comps {
		allNames[c.Name] = true
	}
	for _, c := range proposed {
		pr := byName[c.Name]
		for _, e := range pathDeps(in.FS, pr, ownerOf, allNames) {
			pr.add(e.to, e.why)
		}
	}
	p.Notes = append(p.Notes, breakCycles(proposed, byName)...)

	// Render, parse back, check the graph.
	compSchema := schemaRef(in.FS, has, componentSchemaPath, ComponentSchemaURL)
	wsSchema := schemaRef(in.FS, has, workspaceSchemaPath, WorkspaceSchemaURL)
	final := append([]*manifest.Component(nil), in.Components...)
	for _, c := range proposed {
		pr := byName[c.Name]
		data := renderComponent(c.Name, pr, relSchema(compSchema, pr.dir))
		parsed, err := manifest.ParseComponent(c.Path, data)
		if err != nil {
			return nil, fmt.Errorf("proposed %s does not parse (a bug): %w", c.Path, err)
		}
		p.Components = append(p.Components, parsed)
		final = append(final, parsed)
		p.Files = append(p.Files, File{Path: c.Path, New: data, Old: pr.exists, Exists: pr.exists != nil})
	}
	if _, err := graph.New(final); err != nil {
		return nil, fmt.Errorf("proposed graph does not check (a bug): %w", err)
	}

	f, n := workspaceFile(in.FS, ws, final, p.Components, wsSchema)
	if f != nil {
		p.Files = append(p.Files, *f)
	}
	if n != "" {
		note("%s", n)
	}
	sort.Slice(p.Files, func(i, j int) bool { return p.Files[i].Path < p.Files[j].Path })
	return p, nil
}

// add records a dependency on to, once.
func (pr *project) add(to, why string) {
	for _, e := range pr.deps {
		if e.to == to {
			return
		}
	}
	pr.deps = append(pr.deps, edge{to, why})
}

// breakCycles drops, among the proposed components, each dependency that
// closes a cycle (a back edge of a depth-first search in name order), and
// says which. Existing components cannot depend on proposed ones, so
// every cycle lies among the proposed.
func breakCycles(proposed []*manifest.Component, byName map[string]*project) []string {
	var notes []string
	state := map[string]int{} // 1 on the stack, 2 done
	var visit func(n string)
	visit = func(n string) {
		state[n] = 1
		pr := byName[n]
		sort.SliceStable(pr.deps, func(i, j int) bool { return pr.deps[i].to < pr.deps[j].to })
		kept := pr.deps[:0]
		for _, e := range pr.deps {
			if byName[e.to] != nil {
				switch state[e.to] {
				case 1:
					notes = append(notes, fmt.Sprintf("%s: dependsOn %s dropped: it closes a dependency cycle (%s); declare the right direction by hand", n, e.to, e.why))
					continue
				case 0:
					visit(e.to)
				}
			}
			kept = append(kept, e)
		}
		pr.deps = kept
		state[n] = 2
	}
	for _, c := range proposed {
		if state[c.Name] == 0 {
			visit(c.Name)
		}
	}
	return notes
}

// pickName is the name an undiscovered component.yaml there gives, else
// the folder's, else the package's, else the folder's path joined with
// '-', made valid and unique against taken.
func pickName(pr *project, rootName string, taken map[string]bool) string {
	cands := []string{pr.oldName}
	if pr.dir == "." {
		cands = append(cands, pr.pkg, rootName, "root")
	} else {
		cands = append(cands, path.Base(pr.dir), pr.pkg, strings.ReplaceAll(pr.dir, "/", "-"))
	}
	var first string
	for _, c := range cands {
		n := validName(c)
		if n == "" {
			continue
		}
		if first == "" {
			first = n
		}
		if !taken[n] {
			return n
		}
	}
	if first == "" {
		first = "component"
	}
	for i := 2; ; i++ {
		n := fmt.Sprintf("%s-%d", first, i)
		if len(n) > manifest.MaxNameLength {
			n = fmt.Sprintf("%s-%d", first[:manifest.MaxNameLength-len(fmt.Sprint(i))-1], i)
		}
		if !taken[n] {
			return n
		}
	}
}

// validName makes s match manifest.NamePattern: lower case, an npm scope
// and a Go major version suffix dropped, other characters turned into
// '-', at most manifest.MaxNameLength long; "" when nothing is left.
func validName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.LastIndex(s, "/"); i >= 0 && strings.HasPrefix(s, "@") {
		s = s[i+1:]
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	n := strings.TrimLeft(b.String(), "._-")
	if len(n) > manifest.MaxNameLength {
		n = n[:manifest.MaxNameLength]
	}
	return n
}

// packageName is the name a project's package manifest gives it: the
// last element of a Go module path (a /vN suffix dropped), an npm
// package's name, a Python project's name.
func packageName(fsys fs.FS, dir string, kind manifest.Kind) string {
	if data, err := manifest.ReadFile(fsys, path.Join(dir, "go.mod")); err == nil {
		if mod := modulePath(data); mod != "" {
			parts := strings.Split(mod, "/")
			last := parts[len(parts)-1]
			if len(parts) > 1 && len(last) > 1 && last[0] == 'v' && strings.Trim(last[1:], "0123456789") == "" {
				last = parts[len(parts)-2]
			}
			if kind == manifest.KindGo || kind == manifest.KindDocker {
				return last
			}
		}
	}
	if data, err := manifest.ReadFile(fsys, path.Join(dir, "package.json")); err == nil {
		var pj struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(data, &pj) == nil && pj.Name != "" {
			return pj.Name
		}
	}
	if pp := readPyproject(fsys, path.Join(dir, "pyproject.toml")); pp != nil {
		if n := pyName(pp); n != "" {
			return n
		}
	}
	return ""
}

// schemaRef is the repository's own copy of a monopipe schema (repo-
// relative, when present and monopipe's) or the URL.
func schemaRef(fsys fs.FS, has map[string]bool, p, url string) string {
	if has[p] {
		if data, err := manifest.ReadFile(fsys, p); err == nil && bytes.Contains(data, []byte(`"title": "`)) && bytes.Contains(data, []byte(".yaml\"")) {
			return p
		}
	}
	return url
}

// relSchema is schema as the manifest in dir refers to it.
func relSchema(schema, dir string) string {
	if strings.Contains(schema, "://") || dir == "." {
		return schema
	}
	return strings.Repeat("../", strings.Count(dir, "/")+1) + schema
}

// renderComponent is a proposed component.yaml.
func renderComponent(name string, pr *project, schema string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# yaml-language-server: $schema=%s\n", schema)
	fmt.Fprintf(&b, "# Proposed by monopipe init: %s.\n", pr.why)
	fmt.Fprintf(&b, "name: %s\n", name)
	fmt.Fprintf(&b, "kind: %s\n", pr.kind)
	if len(pr.deps) > 0 {
		b.WriteString("dependsOn:\n")
		for _, e := range pr.deps {
			fmt.Fprintf(&b, "  - %s # %s\n", e.to, oneLine(e.why))
		}
	}
	if pr.kind == manifest.KindDagger {
		b.WriteString(pr.dagger.render())
	}
	return b.Bytes()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// workspaceFile proposes monopipe.yaml: a new one when there is none,
// with components globs when every component sits one level below a few
// folders; when an existing one's globs miss proposed components, the
// same file with their folders added to components (written only with
// --force), or a note when that cannot be done.
func workspaceFile(fsys fs.FS, ws *manifest.Workspace, all, proposed []*manifest.Component, schema string) (*File, string) {
	if ws.Path != "" {
		var missing []string
		for _, c := range proposed {
			if len(ws.Components) > 0 && !pathglob.Any(ws.Components, c.Dir) {
				missing = append(missing, c.Dir)
			}
		}
		if len(missing) == 0 {
			return nil, ""
		}
		old, err := manifest.ReadFile(fsys, ws.Path)
		if err == nil && !slices.Contains(missing, ".") {
			if data, err := addGlobs(old, missing); err == nil {
				if _, err := manifest.ParseWorkspace(ws.Path, data); err == nil {
					return &File{Path: ws.Path, Old: old, Exists: true, New: data}, fmt.Sprintf("%s: components globs do not search %s: proposed with them added (written with --force)", ws.Path, strings.Join(missing, ", "))
				}
			}
		}
		return nil, fmt.Sprintf("%s: components globs do not search %s: add them (or globs for them) or the proposed manifests there are not read", ws.Path, strings.Join(missing, ", "))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# yaml-language-server: $schema=%s\n", schema)
	b.WriteString("# Proposed by monopipe init.\n")
	if globs := componentGlobs(all); len(globs) > 0 {
		b.WriteString("# Folders searched for component.yaml.\n")
		q := make([]string, len(globs))
		for i, g := range globs {
			q[i] = fmt.Sprintf("%q", g)
		}
		fmt.Fprintf(&b, "components: [%s]\n", strings.Join(q, ", "))
	} else {
		b.WriteString("# Every folder is searched for component.yaml (no components globs).\n")
	}
	fmt.Fprintf(&b, "baseBranch: %s\n", manifest.DefaultBaseBranch)
	b.WriteString("# A change to this file affects every component.\nglobal: [\"monopipe.yaml\"]\n")
	data := b.Bytes()
	if _, err := manifest.ParseWorkspace(manifest.WorkspaceFile, data); err != nil {
		return nil, fmt.Sprintf("proposed monopipe.yaml does not parse (a bug): %v", err)
	}
	return &File{Path: manifest.WorkspaceFile, New: data}, ""
}

// maxGlobParents is how many parent folders still make components globs
// worth writing ("a few").
const maxGlobParents = 4

// componentGlobs are "parent/*" globs covering every component's folder
// when they sit one level below at most maxGlobParents folders; nil
// otherwise (the whole tree is searched).
func componentGlobs(comps []*manifest.Component) []string {
	parents := map[string]bool{}
	for _, c := range comps {
		if c.Dir == "." {
			return nil
		}
		parents[path.Dir(c.Dir)] = true
	}
	if len(parents) > maxGlobParents {
		return nil
	}
	var globs []string
	for _, p := range slices.Sorted(maps.Keys(parents)) {
		if p == "." {
			globs = append(globs, "*")
		} else {
			globs = append(globs, p+"/*")
		}
	}
	return globs
}

// addGlobs is monopipe.yaml data with globs appended to its components
// list, comments and the other keys kept.
func addGlobs(data []byte, globs []string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a mapping")
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != "components" || m.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		seq := m.Content[i+1]
		for _, g := range globs {
			seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: g, Style: yaml.DoubleQuotedStyle})
		}
		var b bytes.Buffer
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(&doc); err != nil {
			return nil, err
		}
		return b.Bytes(), enc.Close()
	}
	return nil, fmt.Errorf("no components list")
}

// dropNestedDockerfiles leaves out a folder whose only project file is a
// Dockerfile when it lies inside another project's folder (not the
// root's): such a Dockerfile (build/Dockerfile, say) most likely builds
// that project, and a component of its own would take its folder's
// changes away from that project.
func dropNestedDockerfiles(projects []*project, existing map[string]*manifest.Component, note func(string, ...any)) []*project {
	dirs := map[string]bool{}
	for d := range existing {
		dirs[d] = true
	}
	for _, pr := range projects {
		dirs[pr.dir] = true
	}
	var out []*project
	for _, pr := range projects {
		only := pr.kind == manifest.KindDocker
		for _, m := range pr.markers {
			if m != "Dockerfile" && m != manifest.ComponentFile {
				only = false
			}
		}
		parent := ""
		for d := path.Dir(pr.dir); only && d != "." && parent == ""; d = path.Dir(d) {
			if dirs[d] {
				parent = d
			}
		}
		if parent != "" {
			note("%s: inside the project in %s, which it most likely builds: not a component of its own (a component there would take %s's changes away from %s)", path.Join(pr.dir, "Dockerfile"), parent, pr.dir, parent)
			continue
		}
		out = append(out, pr)
	}
	return out
}
