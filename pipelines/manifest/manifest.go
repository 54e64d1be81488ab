// Package manifest reads monopipe's two manifest files: monopipe.yaml at the
// repository root (the workspace) and component.yaml in each component's
// folder. Unknown keys are errors that name the file and line, so typos never
// pass silently.
package manifest

import (
	refname "github.com/google/go-containerregistry/pkg/name"

	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/monopipe/monopipe/pipelines/pathglob"
)

// File names that monopipe looks for.
const (
	WorkspaceFile = "monopipe.yaml"
	ComponentFile = "component.yaml"
)

// Defaults for the workspace settings.
const (
	DefaultBaseBranch        = "main"
	DefaultFullRebuildMarker = "[full rebuild]"
)

// Workspace is monopipe.yaml: settings that apply to the whole repository.
type Workspace struct {
	// Components are globs of folders searched for component.yaml. Empty
	// means the whole tree, skipping hidden folders, vendor, node_modules
	// and testdata.
	Components []string `yaml:"components"`
	// BaseBranch is the branch that pull requests merge into.
	BaseBranch string `yaml:"baseBranch"`
	// Global are repo-relative globs; a change there affects every component.
	Global []string `yaml:"global"`
	// Ignore are repo-relative globs; a change there affects nothing.
	Ignore []string `yaml:"ignore"`
	// FullRebuildMarker in a commit message between base and head affects
	// every component.
	FullRebuildMarker string `yaml:"fullRebuildMarker"`
	// Images overrides the default base image of each kind (to use a mirror).
	Images Images `yaml:"images"`
	// Build holds workspace-wide build defaults (build.secrets).
	Build WorkspaceBuild `yaml:"build"`
	// Publish holds workspace-wide publish defaults; components override them.
	Publish Publish `yaml:"publish"`
	// Deploy holds workspace-wide deploy defaults; components override them.
	Deploy Deploy `yaml:"deploy"`
	// Release holds workspace-wide release defaults.
	Release Release `yaml:"release"`
	// Environments are the places components deploy to (dev, staging,
	// prod), in promotion order. Without them the deploy section is the
	// one place components deploy to.
	Environments []Environment `yaml:"environments"`
	// Submodules says which working-tree changes inside a submodule count,
	// as git's --ignore-submodules: none (the default when git's own
	// configuration says nothing: new commits, modified and untracked
	// content all count), untracked, dirty or all. Empty means git's
	// configuration (submodule.<name>.ignore, diff.ignoreSubmodules).
	Submodules string `yaml:"submodules"`
	// Cache is where build results are kept for later runs on any host
	// to reuse instead of building again.
	Cache Cache `yaml:"cache"`

	// Path is the file the workspace was read from ("" when absent).
	Path string `yaml:"-"`
}

// Cache is the shared result cache's place.
type Cache struct {
	// Registry is an OCI repository that holds the results, e.g.
	// ghcr.io/org/repo-cache: each component's result is an artifact
	// tagged with its input digest (see monopipe plan --digest).
	Registry string `yaml:"registry"`
}

// SubmoduleModes are the values of Workspace.Submodules ("" for git's
// configuration).
var SubmoduleModes = []string{"", "none", "untracked", "dirty", "all"}

// Kind names the builder that builds a component.
type Kind string

// The kinds of component monopipe can build.
const (
	KindDocker Kind = "docker"
	KindGo     Kind = "go"
	KindPython Kind = "python"
	KindNode   Kind = "node"
	KindCustom Kind = "custom"
	// KindDagger calls the component's own Dagger module (its dagger.json).
	KindDagger Kind = "dagger"
)

// Kinds lists every valid kind, in the order the docs give them.
var Kinds = []Kind{KindDocker, KindGo, KindPython, KindNode, KindCustom, KindDagger}

// Component is one component.yaml.
type Component struct {
	// Name is required and unique in the repository.
	Name string `yaml:"name"`
	// Kind selects the builder.
	Kind Kind `yaml:"kind"`
	// DependsOn names the components this one needs.
	DependsOn []string `yaml:"dependsOn"`
	// Inputs are extra globs, relative to the component folder (a leading
	// "/" makes one repo-relative), whose changes affect this component.
	Inputs []string `yaml:"inputs"`
	// Ignore are globs, relative like Inputs, whose changes never affect
	// this component.
	Ignore []string `yaml:"ignore"`

	Build   Build   `yaml:"build"`
	Test    Test    `yaml:"test"`
	Publish Publish `yaml:"publish"`
	Deploy  Deploy  `yaml:"deploy"`
	Release Release `yaml:"release"`
	// Environments changes or skips monopipe.yaml's environments for this
	// component, by name: {prod: {skip: true}}.
	Environments map[string]ComponentEnvironment `yaml:"environments" json:",omitempty"`

	// Dir is the component's folder, repo-relative with forward slashes
	// ("." for the repository root).
	Dir string `yaml:"-"`
	// Path is the repo-relative path of the component.yaml.
	Path string `yaml:"-"`
	// Lines maps a dependsOn entry to its line in the file, for errors.
	Lines map[string]int `yaml:"-"`
	// EnvLines maps an environments entry to its line, for errors.
	EnvLines map[string]int `yaml:"-" json:"-"`
}

// MaxNameLength is the longest component name: names become image
// repository paths and tags, and an OCI tag holds at most 128 characters.
const MaxNameLength = 128

// NamePattern is the regular expression a component name matches: lower
// case letters, digits, '.', '_' and '-', starting with a letter or digit.
const NamePattern = `^[a-z0-9][a-z0-9._-]*$`

var nameRE = regexp.MustCompile(NamePattern)

// ParseWorkspace parses monopipe.yaml content. name is used in errors.
func ParseWorkspace(name string, data []byte) (*Workspace, error) {
	ws := &Workspace{}
	root, err := decodeStrict(name, data, ws)
	if err != nil {
		return nil, err
	}
	ws.Path = name
	ws.applyDefaults()
	if err := validateSections(name, root, ws.Publish, ws.Deploy); err != nil {
		return nil, err
	}
	if err := checkGlobs(name, root, "components", "global", "ignore"); err != nil {
		return nil, err
	}
	if err := validateSecrets(name, root, ws.Build.Secrets); err != nil {
		return nil, err
	}
	if err := validateEnvironments(name, root, ws.Environments); err != nil {
		return nil, err
	}
	if rel := mappingValue(root, "release"); rel != nil {
		if err := checkGlobs(name, rel, "branches"); err != nil {
			return nil, err
		}
	}
	if r := ws.Cache.Registry; r != "" {
		if _, err := refname.NewRepository(r, refname.StrictValidation); err != nil || strings.Contains(r, "://") {
			return nil, fmt.Errorf("%s:%d: cache.registry %q: want an OCI repository such as ghcr.io/org/repo-cache (no scheme, tag or digest)", name, lineOf(mappingValue(root, "cache"), "registry"), r)
		}
	}
	if !slices.Contains(SubmoduleModes, ws.Submodules) {
		return nil, fmt.Errorf("%s:%d: submodules %q: want one of none, untracked, dirty, all", name, lineOf(root, "submodules"), ws.Submodules)
	}
	return ws, nil
}

// DefaultWorkspace is the workspace used when monopipe.yaml is absent.
func DefaultWorkspace() *Workspace {
	ws := &Workspace{}
	ws.applyDefaults()
	return ws
}

func (ws *Workspace) applyDefaults() {
	if ws.BaseBranch == "" {
		ws.BaseBranch = DefaultBaseBranch
	}
	if ws.FullRebuildMarker == "" {
		ws.FullRebuildMarker = DefaultFullRebuildMarker
	}
	for i, g := range ws.Components {
		ws.Components[i] = strings.Trim(g, "/")
	}
}

// ParseComponent parses a component.yaml found at repo-relative path p.
func ParseComponent(p string, data []byte) (*Component, error) {
	c := &Component{}
	root, err := decodeStrict(p, data, c)
	if err != nil {
		return nil, err
	}
	c.Path = p
	c.Dir = path.Dir(p)
	c.Lines = dependsOnLines(root)
	c.EnvLines = envLines(root)
	if err := checkDependsOn(p, root); err != nil {
		return nil, err
	}
	if err := c.validate(lineOf(root, "name"), lineOf(root, "kind")); err != nil {
		return nil, err
	}
	if err := checkGlobs(p, root, "inputs", "ignore"); err != nil {
		return nil, err
	}
	if err := validateSections(p, root, c.Publish, c.Deploy); err != nil {
		return nil, err
	}
	if err := validateSecrets(p, root, c.Build.Secrets); err != nil {
		return nil, err
	}
	if err := validateServices(p, root, c); err != nil {
		return nil, err
	}
	if err := validateDagger(p, root, c); err != nil {
		return nil, err
	}
	if err := validateComponentEnvironments(p, root, c.Environments); err != nil {
		return nil, err
	}
	if c.Release.Branches != nil {
		return nil, fmt.Errorf("%s:%d: release.branches is a workspace setting: set it in %s", p, lineOf(mappingValue(root, "release"), "branches"), WorkspaceFile)
	}
	return c, nil
}

func (c *Component) validate(nameLine, kindLine int) error {
	switch {
	case c.Name == "":
		return fmt.Errorf("%s: name is required", c.Path)
	case len(c.Name) > MaxNameLength:
		return fmt.Errorf("%s:%d: name is %d characters long; at most %d fit an image tag", c.Path, nameLine, len(c.Name), MaxNameLength)
	case !nameRE.MatchString(c.Name):
		return fmt.Errorf("%s:%d: name %q must be lower case letters, digits, '.', '_' or '-'", c.Path, nameLine, c.Name)
	}
	if c.Kind == "" {
		return fmt.Errorf("%s: kind is required (one of %s)", c.Path, kindList())
	}
	if !validKind(c.Kind) {
		return fmt.Errorf("%s:%d: unknown kind %q (one of %s)", c.Path, kindLine, c.Kind, kindList())
	}
	seen := map[string]bool{}
	for _, d := range c.DependsOn {
		if d == c.Name {
			return fmt.Errorf("%s:%d: %s depends on itself", c.Path, c.Lines[d], c.Name)
		}
		if seen[d] {
			return fmt.Errorf("%s:%d: dependsOn lists %q twice", c.Path, c.Lines[d], d)
		}
		seen[d] = true
	}
	return nil
}

// validateSections checks the publish and deploy sections' values, naming
// the file and the section's line.
func validateSections(file string, root *yaml.Node, p Publish, d Deploy) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%s:%d: %w", file, lineOf(root, "publish"), err)
	}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%s:%d: %w", file, lineOf(root, "deploy"), err)
	}
	return nil
}

func validKind(k Kind) bool {
	for _, v := range Kinds {
		if v == k {
			return true
		}
	}
	return false
}

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// checkGlobs checks the globs listed under keys, naming file and line.
func checkGlobs(file string, root *yaml.Node, keys ...string) error {
	for _, key := range keys {
		for _, item := range seqItems(root, key) {
			if err := pathglob.Validate(item.Value); err != nil {
				return fmt.Errorf("%s:%d: %s: %w", file, item.Line, key, err)
			}
		}
	}
	return nil
}

// mappingValue is the mapping under key (nil when key is absent or not a
// mapping).
func mappingValue(root *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key && root.Content[i+1].Kind == yaml.MappingNode {
			return root.Content[i+1]
		}
	}
	return nil
}

// checkDependsOn rejects empty dependsOn entries (~, null, "").
func checkDependsOn(file string, root *yaml.Node) error {
	for _, item := range seqItems(root, "dependsOn") {
		if item.Kind == yaml.ScalarNode && (item.Tag == "!!null" || item.Value == "") {
			return fmt.Errorf("%s:%d: dependsOn has an empty entry", file, item.Line)
		}
	}
	return nil
}

// RepoGlobs turns component-relative globs into repo-relative ones: a
// leading "/" means repo-relative already; anything else is joined to dir.
func RepoGlobs(dir string, globs []string) []string {
	out := make([]string, 0, len(globs))
	for _, g := range globs {
		if strings.HasPrefix(g, "/") {
			out = append(out, strings.TrimPrefix(g, "/"))
		} else if dir == "." {
			out = append(out, g)
		} else {
			out = append(out, path.Join(dir, g))
		}
	}
	return out
}

// ReadWorkspace reads monopipe.yaml from the root of fsys, or returns the
// default workspace when there is none.
func ReadWorkspace(fsys fs.FS) (*Workspace, error) {
	data, err := ReadFile(fsys, WorkspaceFile)
	if err != nil {
		if isNotExist(err) {
			return DefaultWorkspace(), nil
		}
		return nil, err
	}
	return ParseWorkspace(WorkspaceFile, data)
}
