package manifest

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// WorkspaceBuild holds workspace-wide build defaults.
type WorkspaceBuild struct {
	// Secrets are build secrets every component gets (see Secret); a
	// component's own entry of the same name replaces one.
	Secrets []Secret `yaml:"secrets"`
}

// Secret is a build-time secret: a value given on the command line
// (`--secret env://NAME`, `--secret file:///path/NAME`: the last segment of
// the URI is the name) that the build and test steps receive as a Dagger
// secret, never as a plain variable: it enters no cache key, manifest, log,
// error or report. It is delivered in exactly one way: as an environment
// variable (Env; the default, named Name), as a file (File), or through one
// of the helpers for private package indexes (Pip, NPM, Go).
type Secret struct {
	// Name names the secret on the command line. Required.
	Name string `yaml:"name"`
	// Env is the environment variable that holds the value; default Name
	// when nothing else is set.
	Env string `yaml:"env"`
	// File is an absolute path where the value is mounted as a file.
	File string `yaml:"file"`
	// Pip makes the value the password of a pip index: PIP_INDEX_URL.
	Pip *PipSecret `yaml:"pip"`
	// NPM makes the value the auth token of an npm registry, in an .npmrc
	// mounted as a secret file (NPM_CONFIG_USERCONFIG).
	NPM *NPMSecret `yaml:"npm"`
	// Go makes the value the password of a git host in a .netrc mounted as
	// a secret file, and sets GOPRIVATE.
	Go *GoSecret `yaml:"go"`
}

// PipSecret is a private Python package index. To avoid dependency
// confusion, point Index at one index that serves your packages and proxies
// PyPI (Artifactory, Nexus, devpi, CodeArtifact): it replaces PyPI, rather
// than adding to it as --extra-index-url would.
type PipSecret struct {
	// Index is the index's simple API URL, without credentials, e.g.
	// https://pypi.example.com/simple/. Required.
	Index string `yaml:"index"`
	// Username goes with the secret as password; default "__token__".
	Username string `yaml:"username"`
}

// NPMSecret is a private npm registry.
type NPMSecret struct {
	// Registry is the registry URL, e.g. https://npm.example.com/. Required.
	Registry string `yaml:"registry"`
	// Scope, e.g. "@acme", makes only that scope's packages come from
	// Registry; without it Registry serves every package.
	Scope string `yaml:"scope"`
}

// GoSecret is git access to private Go modules.
type GoSecret struct {
	// Private are GOPRIVATE patterns, e.g. ["github.com/acme/*"]: those
	// modules are fetched from their git host directly, with no proxy or
	// checksum database. Required.
	Private []string `yaml:"private"`
	// Host is the git host the secret logs in to, e.g. github.com.
	// Required.
	Host string `yaml:"host"`
	// Username goes with the secret as password; default
	// "x-access-token" (what GitHub takes with any token).
	Username string `yaml:"username"`
}

// Default usernames of the helpers.
const (
	DefaultPipUsername = "__token__"
	DefaultGitUsername = "x-access-token"
)

var (
	secretNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	envNameRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	npmScopeRE   = regexp.MustCompile(`^@[a-z0-9][a-z0-9._~-]*$`)
	hostRE       = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]+)?$`)
)

// How returns how s is delivered: "env", "file", "pip", "npm" or "go".
func (s Secret) How() string {
	switch {
	case s.Pip != nil:
		return "pip"
	case s.NPM != nil:
		return "npm"
	case s.Go != nil:
		return "go"
	case s.File != "":
		return "file"
	}
	return "env"
}

// EnvName is the variable an "env" secret is delivered in.
func (s Secret) EnvName() string {
	if s.Env != "" {
		return s.Env
	}
	return s.Name
}

// Validate checks one entry; the error names the key at fault.
func (s Secret) Validate() error {
	if s.Name == "" {
		return fmt.Errorf("name is required")
	}
	if !secretNameRE.MatchString(s.Name) {
		return fmt.Errorf("name %q: letters, digits, '_', '.' and '-' only (it is the last segment of the --secret URI)", s.Name)
	}
	ways := 0
	for _, set := range []bool{s.Env != "", s.File != "", s.Pip != nil, s.NPM != nil, s.Go != nil} {
		if set {
			ways++
		}
	}
	if ways > 1 {
		return fmt.Errorf("secret %s: set one of env, file, pip, npm, go", s.Name)
	}
	switch s.How() {
	case "env":
		if !envNameRE.MatchString(s.EnvName()) {
			return fmt.Errorf("secret %s: %q is not an environment variable name (set env)", s.Name, s.EnvName())
		}
	case "file":
		if !path.IsAbs(s.File) || path.Clean(s.File) != s.File || s.File == "/" {
			return fmt.Errorf("secret %s: file %q: want a clean absolute path", s.Name, s.File)
		}
	case "pip":
		if err := checkURL(s.Pip.Index); err != nil {
			return fmt.Errorf("secret %s: pip.index: %w", s.Name, err)
		}
	case "npm":
		if err := checkURL(s.NPM.Registry); err != nil {
			return fmt.Errorf("secret %s: npm.registry: %w", s.Name, err)
		}
		if s.NPM.Scope != "" && !npmScopeRE.MatchString(s.NPM.Scope) {
			return fmt.Errorf("secret %s: npm.scope %q: want @name", s.Name, s.NPM.Scope)
		}
	case "go":
		if len(s.Go.Private) == 0 {
			return fmt.Errorf("secret %s: go.private is required (GOPRIVATE patterns)", s.Name)
		}
		for _, p := range s.Go.Private {
			if p == "" || strings.ContainsAny(p, ", \t\n") {
				return fmt.Errorf("secret %s: go.private %q: one pattern per entry", s.Name, p)
			}
		}
		if !hostRE.MatchString(s.Go.Host) {
			return fmt.Errorf("secret %s: go.host %q: want a host name", s.Name, s.Go.Host)
		}
		if strings.ContainsAny(s.Go.Username, " \t\n") {
			return fmt.Errorf("secret %s: go.username %q has white space", s.Name, s.Go.Username)
		}
	}
	return nil
}

// checkURL accepts an http(s) URL with a host and no credentials.
func checkURL(raw string) error {
	if raw == "" {
		return fmt.Errorf("required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q: want an http(s) URL", raw)
	}
	if u.User != nil {
		return fmt.Errorf("%q holds credentials: the secret supplies them; a manifest never holds one", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q: no query or fragment", raw)
	}
	return nil
}

// validateSecrets checks the build.secrets entries under root (names
// unique, each entry valid), naming the file and the entry's line.
func validateSecrets(file string, root *yaml.Node, secrets []Secret) error {
	var items []*yaml.Node
	if b := mappingValue(root, "build"); b != nil {
		items = seqItems(b, "secrets")
	}
	line := func(i int) int {
		if i < len(items) {
			return items[i].Line
		}
		return 0
	}
	seen := map[string]bool{}
	files := map[string]string{}
	envs := map[string]string{}
	pip := ""
	for i, s := range secrets {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("%s:%d: build.secrets: %w", file, line(i), err)
		}
		if seen[s.Name] {
			return fmt.Errorf("%s:%d: build.secrets: %s is listed twice", file, line(i), s.Name)
		}
		seen[s.Name] = true
		switch s.How() {
		case "env":
			if o, dup := envs[s.EnvName()]; dup {
				return fmt.Errorf("%s:%d: build.secrets: %s and %s both set %s", file, line(i), o, s.Name, s.EnvName())
			}
			envs[s.EnvName()] = s.Name
		case "file":
			if o, dup := files[s.File]; dup {
				return fmt.Errorf("%s:%d: build.secrets: %s and %s both mount %s", file, line(i), o, s.Name, s.File)
			}
			files[s.File] = s.Name
		case "pip":
			if pip != "" {
				return fmt.Errorf("%s:%d: build.secrets: %s and %s are both pip indexes: pip takes one (use one index that proxies PyPI; never --extra-index-url)", file, line(i), pip, s.Name)
			}
			pip = s.Name
		}
	}
	return nil
}

// BuildSecrets are the build secrets c's build and test steps get: the
// workspace's build.secrets, less those c lists under the same name, then
// c's own, in order.
func BuildSecrets(ws *Workspace, c *Component) []Secret {
	own := map[string]bool{}
	for _, s := range c.Build.Secrets {
		own[s.Name] = true
	}
	var out []Secret
	if ws != nil {
		for _, s := range ws.Build.Secrets {
			if !own[s.Name] {
				out = append(out, s)
			}
		}
	}
	return append(out, c.Build.Secrets...)
}
