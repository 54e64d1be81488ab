package manifest

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Environment is one place components deploy to (dev, staging, prod), in
// monopipe.yaml's environments list. Its deploy and publish sections
// override the workspace's and each component's own; a component changes
// or skips an environment in its component.yaml (ComponentEnvironment).
type Environment struct {
	// Name is required and unique: lower case letters, digits, '-' and '_'.
	Name string `yaml:"name"`
	// On lists when CI deploys to it: "base" (a push to the base branch),
	// "release" (a release build), "branch" (any other branch) or
	// "manual" (only on request: dagger call deploy, promote, rollback).
	// Default manual.
	On []string `yaml:"on"`
	// AWS says where the environment lives; its roleArn and region set
	// deploy.lambda's over the workspace's and component's deploy
	// defaults (the environment's own deploy section wins over them).
	AWS EnvironmentAWS `yaml:"aws"`
	// Deploy overrides the deploy settings in this environment (not on:
	// set the environment's own). In deploy.lambda.function and alias,
	// {component} is the component's name, {env} the environment's and
	// {function} the function the component names outside environments,
	// e.g. function: "{component}-{env}" (every component deploys) or
	// "{function}-{env}" (only the components that name a function do).
	Deploy Deploy `yaml:"deploy"`
	// Publish overrides the publish settings in this environment.
	Publish Publish `yaml:"publish"`
}

// EnvironmentAWS is an environment's AWS account, region and role.
type EnvironmentAWS struct {
	// RoleARN is the role to assume for the environment's deploys.
	RoleARN string `yaml:"roleArn"`
	// Region is the environment's region.
	Region string `yaml:"region"`
	// Account is the 12-digit AWS account id: a deploy refuses to run
	// with credentials of another account.
	Account string `yaml:"account"`
}

// ComponentEnvironment is a component's own settings for one environment
// (component.yaml: environments: {prod: {skip: true}}).
type ComponentEnvironment struct {
	// Skip leaves the component out of the environment.
	Skip bool `yaml:"skip"`
	// Deploy overrides the environment's deploy settings for this
	// component (not on).
	Deploy Deploy `yaml:"deploy"`
	// Publish overrides the environment's publish settings for this
	// component.
	Publish Publish `yaml:"publish"`
}

// DeployOnManual is an environment's "on" value for deploys made only on
// request.
const DeployOnManual = "manual"

// EnvironmentOnValues lists the values Environment.On accepts.
var EnvironmentOnValues = []string{DeployOnBase, DeployOnRelease, DeployOnBranch, DeployOnManual}

// EnvNamePattern is the regular expression an environment name matches.
const EnvNamePattern = `^[a-z0-9][a-z0-9_-]*$`

var environmentNameRE = regexp.MustCompile(EnvNamePattern)
var accountRE = regexp.MustCompile(`^[0-9]{12}$`)

// Environment returns the environment called name, or nil.
func (ws *Workspace) Environment(name string) *Environment {
	for i := range ws.Environments {
		if ws.Environments[i].Name == name {
			return &ws.Environments[i]
		}
	}
	return nil
}

// EnvironmentNames lists the environments in the order monopipe.yaml gives
// them.
func (ws *Workspace) EnvironmentNames() []string {
	names := make([]string, len(ws.Environments))
	for i, e := range ws.Environments {
		names[i] = e.Name
	}
	return names
}

// Target is what a component is in one environment: the settings a deploy
// there uses.
type Target struct {
	// Env is the environment's name ("" for a workspace without
	// environments: the one deploy section).
	Env string
	// On is when CI deploys there (Environment.On, or deploy.on without
	// environments).
	On []string
	// Skip says the component opted out of the environment.
	Skip bool
	// Account is the AWS account the deploy must run in ("" for any).
	Account string
	// Deploy and Publish are the merged settings, templates filled in.
	Deploy  Deploy
	Publish Publish
}

// CheckEnvironment says whether env names one of ws's environments; ""
// is right exactly when ws names none (the single deploy section).
func (ws *Workspace) CheckEnvironment(env string) error {
	switch {
	case env == "" && len(ws.Environments) > 0:
		return fmt.Errorf("%s names environments (%s): say which one", WorkspaceFile, strings.Join(ws.EnvironmentNames(), ", "))
	case env == "" || ws.Environment(env) != nil:
		return nil
	case len(ws.Environments) == 0:
		return fmt.Errorf("no environment %q: %s names no environments", env, WorkspaceFile)
	}
	return fmt.Errorf("no environment %q (environments: %s)", env, strings.Join(ws.EnvironmentNames(), ", "))
}

// TargetFor merges the settings of component c in environment env: the
// workspace's, the component's own, the environment's (its aws.roleArn
// and aws.region, then its deploy and publish sections) and the
// component's for that environment, later ones winning. env "" on a
// workspace without environments is the single deploy of before
// environments existed.
func TargetFor(ws *Workspace, c *Component, env string) (Target, error) {
	if err := ws.CheckEnvironment(env); err != nil {
		return Target{}, err
	}
	pub, err := ws.Publish.Merge(c.Publish)
	if err != nil {
		return Target{}, err
	}
	dep, err := ws.Deploy.Merge(c.Deploy)
	if err != nil {
		return Target{}, err
	}
	if env == "" {
		return Target{On: dep.On, Deploy: dep, Publish: pub}, nil
	}
	e := ws.Environment(env)
	own := c.Environments[env]
	t := Target{Env: env, On: e.On, Skip: own.Skip, Account: e.AWS.Account}
	if len(t.On) == 0 {
		t.On = []string{DeployOnManual}
	}
	// The environment's aws settings are the environment's, above the
	// workspace's and the component's deploy defaults and below the
	// environment's own deploy section.
	function := dep.Lambda.Function
	if e.AWS.RoleARN != "" {
		dep.Lambda.RoleARN = e.AWS.RoleARN
	}
	if e.AWS.Region != "" {
		dep.Lambda.Region = e.AWS.Region
	}
	if t.Deploy, err = dep.Merge(e.Deploy); err == nil {
		t.Deploy, err = t.Deploy.Merge(own.Deploy)
	}
	if err == nil {
		if t.Publish, err = pub.Merge(e.Publish); err == nil {
			t.Publish, err = t.Publish.Merge(own.Publish)
		}
	}
	if err != nil {
		return Target{}, err
	}
	t.Deploy.On = nil
	l := &t.Deploy.Lambda
	// {function} is the component's function outside environments, its
	// own {component} and {env} filled in first.
	names := strings.NewReplacer("{component}", c.Name, "{env}", env)
	fill := strings.NewReplacer("{component}", c.Name, "{env}", env, "{function}", names.Replace(function))
	if function == "" && strings.Contains(l.Function, "{function}") {
		l.Function = "" // a component that names no function does not deploy
	}
	l.Function, l.Alias = fill.Replace(l.Function), fill.Replace(l.Alias)
	for key, v := range map[string]string{"function": l.Function, "alias": l.Alias} {
		if m := placeholderRE.FindString(v); m != "" {
			return Target{}, fmt.Errorf("environment %s: deploy.lambda.%s %q: unknown placeholder %s (want {component}, {env} or {function})", env, key, v, m)
		}
	}
	return t, nil
}

// placeholderRE finds a placeholder left after filling a template in.
var placeholderRE = regexp.MustCompile(`\{[A-Za-z_]*\}`)

// Targets are c's targets in every environment it does not skip, in the
// workspace's order; without environments, the single deploy section.
func Targets(ws *Workspace, c *Component) ([]Target, error) {
	if len(ws.Environments) == 0 {
		t, err := TargetFor(ws, c, "")
		if err != nil {
			return nil, err
		}
		return []Target{t}, nil
	}
	var out []Target
	for _, e := range ws.Environments {
		t, err := TargetFor(ws, c, e.Name)
		if err != nil {
			return nil, err
		}
		if !t.Skip {
			out = append(out, t)
		}
	}
	return out, nil
}

// validateEnvironments checks monopipe.yaml's environments list, naming
// the file, the key and its line.
func validateEnvironments(file string, root *yaml.Node, envs []Environment) error {
	items := seqItems(root, "environments")
	seen := map[string]int{}
	for i, e := range envs {
		item := &yaml.Node{Kind: yaml.MappingNode}
		if i < len(items) {
			item = items[i]
		}
		at := func(key string) int {
			if l := lineOf(item, key); l > 0 {
				return l
			}
			return item.Line
		}
		where := fmt.Sprintf("environments[%d]", i)
		switch {
		case e.Name == "":
			return fmt.Errorf("%s:%d: %s: name is required", file, item.Line, where)
		case !environmentNameRE.MatchString(e.Name):
			return fmt.Errorf("%s:%d: %s: name %q must be lower case letters, digits, '-' or '_'", file, at("name"), where, e.Name)
		case seen[e.Name] > 0:
			return fmt.Errorf("%s:%d: %s: environment %q is already named on line %d", file, at("name"), where, e.Name, seen[e.Name])
		}
		seen[e.Name] = at("name")
		where = "environments." + e.Name
		for _, on := range e.On {
			if err := oneOf(where+".on", on, EnvironmentOnValues...); err != nil {
				return fmt.Errorf("%s:%d: %w", file, at("on"), err)
			}
		}
		if a := e.AWS.Account; a != "" && !accountRE.MatchString(a) {
			return fmt.Errorf("%s:%d: %s.aws.account %q: want a 12-digit AWS account id", file, lineOf(mappingValue(item, "aws"), "account"), where, a)
		}
		if err := validateEnvSections(file, where, item, e.Deploy, e.Publish); err != nil {
			return err
		}
	}
	return nil
}

// validateComponentEnvironments checks a component's environments
// section: each names an environment of the workspace, which only the
// workspace knows, so that is checked by CheckEnvironments.
func validateComponentEnvironments(file string, root *yaml.Node, envs map[string]ComponentEnvironment) error {
	m := mappingValue(root, "environments")
	if m == nil {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		name, item := m.Content[i].Value, m.Content[i+1]
		if !environmentNameRE.MatchString(name) {
			return fmt.Errorf("%s:%d: environments: %q is not an environment name", file, m.Content[i].Line, name)
		}
		e := envs[name]
		if item.Kind != yaml.MappingNode {
			item = &yaml.Node{Kind: yaml.MappingNode, Line: item.Line}
		}
		if err := validateEnvSections(file, "environments."+name, item, e.Deploy, e.Publish); err != nil {
			return err
		}
	}
	return nil
}

// validateEnvSections checks an environment's deploy and publish
// overrides.
func validateEnvSections(file, where string, item *yaml.Node, d Deploy, p Publish) error {
	if len(d.On) > 0 {
		return fmt.Errorf("%s:%d: %s.deploy.on: an environment deploys on its own on (environments[].on in %s)", file, lineOf(mappingValue(item, "deploy"), "on"), where, WorkspaceFile)
	}
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%s:%d: %s.%w", file, lineOf(item, "deploy"), where, err)
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%s:%d: %s.%w", file, lineOf(item, "publish"), where, err)
	}
	return nil
}

// CheckEnvironments reports a component's environments entry that names
// no environment of ws, naming the component's file.
func CheckEnvironments(ws *Workspace, c *Component) error {
	for _, name := range slices.Sorted(maps.Keys(c.Environments)) {
		if ws.Environment(name) == nil {
			known := "monopipe.yaml names none"
			if len(ws.Environments) > 0 {
				known = "environments: " + strings.Join(ws.EnvironmentNames(), ", ")
			}
			line := c.EnvLines[name]
			return fmt.Errorf("%s:%d: environments.%s: no such environment (%s)", c.Path, line, name, known)
		}
	}
	for _, e := range ws.Environments {
		if _, err := TargetFor(ws, c, e.Name); err != nil {
			return fmt.Errorf("%s: %w", c.Path, err)
		}
	}
	return nil
}

// envLines maps each entry of a component's environments section to its
// line.
func envLines(root *yaml.Node) map[string]int {
	lines := map[string]int{}
	if m := mappingValue(root, "environments"); m != nil {
		for i := 0; i+1 < len(m.Content); i += 2 {
			lines[m.Content[i].Value] = m.Content[i].Line
		}
	}
	return lines
}
