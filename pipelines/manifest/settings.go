package manifest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Which workspace keys a change applies to. Keys not listed in
// perComponentKeys or noBuildKeys (components, global, ignore, baseBranch,
// and any key added later) change what every component is, how paths map
// to components or when they publish and deploy: a change there affects
// every component.
var (
	// perComponentKeys are defaults that components inherit (see
	// SettingsChanges).
	perComponentKeys = map[string]bool{"images": true, "build": true, "publish": true, "deploy": true, "release": true, "environments": true}
	// noBuildKeys change nothing that is built, published or deployed.
	noBuildKeys = map[string]bool{"fullRebuildMarker": true, "cache": true}
)

// WorkspaceChanges lists the top-level workspace keys whose change
// between base and head affects every component, sorted by key.
func WorkspaceChanges(base, head *Workspace) []string {
	var out []string
	bv, hv := reflect.ValueOf(base).Elem(), reflect.ValueOf(head).Elem()
	t := bv.Type()
	for i := 0; i < t.NumField(); i++ {
		key := yamlKey(t.Field(i))
		if key == "" || perComponentKeys[key] || noBuildKeys[key] {
			continue
		}
		if !equalValues(bv.Field(i), hv.Field(i)) {
			out = append(out, key)
		}
	}
	return out
}

// SettingsChanges lists, as dotted key paths (publish.image.registry), the
// workspace defaults whose change between base and head alters what
// component c builds, publishes, deploys or releases: the base images its
// kind uses (unless build.image replaces them), the publish, deploy and
// release settings it inherits (a key its own section sets overrides the
// default, as Merge does), the workspace build.secrets it gets, and its
// settings in each environment it does not skip
// (environments.prod.deploy.lambda.function; environments.prod alone when
// the environment was added or removed).
func SettingsChanges(base, head *Workspace, c *Component) []string {
	var out []string
	for _, k := range c.ImageKeys() {
		if base.Images.get(k) != head.Images.get(k) {
			out = append(out, "images."+k)
		}
	}
	pb, errB := base.Publish.Merge(c.Publish)
	ph, errH := head.Publish.Merge(c.Publish)
	out = appendChanged(out, "publish", pb, ph, errB != nil || errH != nil)
	db, errB := base.Deploy.Merge(c.Deploy)
	dh, errH := head.Deploy.Merge(c.Deploy)
	out = appendChanged(out, "deploy", db, dh, errB != nil || errH != nil)
	rb, errB := base.Release.Merge(c.Release)
	rh, errH := head.Release.Merge(c.Release)
	// release.branches says which commits may be released, not what a
	// component is: its change selects nothing.
	rb.Branches, rh.Branches = nil, nil
	out = appendChanged(out, "release", rb, rh, errB != nil || errH != nil)
	if workspaceSecrets(base, c) != workspaceSecrets(head, c) {
		out = append(out, "build.secrets")
	}
	eb, eh := envSettingsOf(base, c), envSettingsOf(head, c)
	for _, name := range envUnion(base, head) {
		b, inB := eb[name]
		h, inH := eh[name]
		switch {
		case inB != inH:
			out = append(out, "environments."+name)
		case inB:
			out = appendChanged(out, "environments."+name, b.s, h.s, b.err != nil || h.err != nil)
		}
	}
	return out
}

// envSettings are the settings of a component in one environment that
// SettingsChanges compares.
type envSettings struct {
	On      []string `yaml:"on"`
	Account string   `yaml:"account"`
	Deploy  Deploy   `yaml:"deploy"`
	Publish Publish  `yaml:"publish"`
}

type envResult struct {
	s   envSettings
	err error
}

// envSettingsOf maps each environment of ws that c does not skip to c's
// settings there.
func envSettingsOf(ws *Workspace, c *Component) map[string]envResult {
	out := map[string]envResult{}
	for _, e := range ws.Environments {
		t, err := TargetFor(ws, c, e.Name)
		if err == nil && t.Skip {
			continue
		}
		out[e.Name] = envResult{s: envSettings{On: t.On, Account: t.Account, Deploy: t.Deploy, Publish: t.Publish}, err: err}
	}
	return out
}

// envUnion lists the environment names of a and b, a's order first.
func envUnion(a, b *Workspace) []string {
	names := a.EnvironmentNames()
	for _, n := range b.EnvironmentNames() {
		if a.Environment(n) == nil {
			names = append(names, n)
		}
	}
	return names
}

// workspaceSecrets is the part of BuildSecrets(ws, c) that comes from the
// workspace (entries c does not replace), as JSON: names and settings,
// never a value (a manifest has none).
func workspaceSecrets(ws *Workspace, c *Component) string {
	own := map[string]bool{}
	for _, s := range c.Build.Secrets {
		own[s.Name] = true
	}
	var from []Secret
	for _, s := range ws.Build.Secrets {
		if !own[s.Name] {
			from = append(from, s)
		}
	}
	if len(from) == 0 {
		return ""
	}
	data, err := json.Marshal(from)
	if err != nil {
		return "!error"
	}
	return string(data)
}

// ImageKeys are the keys of the workspace's images section that c's build
// uses: its kind's base image unless build.image replaces it, and for go
// the runtime image its binaries are copied into (custom builds run in the
// runtime image). The build package follows the same rule.
func (c *Component) ImageKeys() []string {
	own := c.Build.Image != ""
	switch c.Kind {
	case KindGo:
		if own {
			return []string{"runtime"}
		}
		return []string{"go", "runtime"}
	case KindPython, KindNode:
		if own {
			return nil
		}
		return []string{string(c.Kind)}
	case KindCustom:
		if own {
			return nil
		}
		return []string{"runtime"}
	}
	return nil
}

func (i Images) get(key string) string {
	switch key {
	case "go":
		return i.Go
	case "python":
		return i.Python
	case "node":
		return i.Node
	case "runtime":
		return i.Runtime
	}
	return ""
}

// appendChanged appends prefix's changed key paths between a and b (or
// prefix itself when the values could not be computed).
func appendChanged[T any](out []string, prefix string, a, b T, failed bool) []string {
	if failed {
		return append(out, prefix)
	}
	return diffKeys(out, prefix, reflect.ValueOf(a), reflect.ValueOf(b))
}

// diffKeys appends the dotted paths of the leaves that differ between a
// and b, two values of one struct type with yaml tags.
func diffKeys(out []string, prefix string, a, b reflect.Value) []string {
	if a.Kind() != reflect.Struct {
		if !equalValues(a, b) {
			out = append(out, prefix)
		}
		return out
	}
	t := a.Type()
	for i := 0; i < t.NumField(); i++ {
		if key := yamlKey(t.Field(i)); key != "" {
			out = diffKeys(out, prefix+"."+key, a.Field(i), b.Field(i))
		}
	}
	return out
}

// equalValues compares two values, taking nil and empty lists and maps as
// equal.
func equalValues(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Slice, reflect.Map:
		if a.Len() == 0 && b.Len() == 0 {
			return true
		}
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalValues(a.Elem(), b.Elem())
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// yamlKey is a struct field's yaml key, "" for fields not read from yaml.
func yamlKey(f reflect.StructField) string {
	tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if tag == "-" || !f.IsExported() {
		return ""
	}
	if tag == "" {
		return strings.ToLower(f.Name)
	}
	return tag
}

// Settings lists, as "key=value" sorted by key (dotted key paths, as
// SettingsChanges names them), the workspace settings that apply to
// component c: the same keys SettingsChanges compares (the images of
// ImageKeys, and the publish, deploy and release settings c inherits,
// merged with its own), with their values. Two workspaces give c the same
// Settings exactly when SettingsChanges between them lists nothing.
// Unset settings are left out. Values are Go-syntax (%q for strings); a
// section that cannot be merged is listed as "section!=error".
func Settings(ws *Workspace, c *Component) []string {
	var out []string
	for _, k := range c.ImageKeys() {
		if v := ws.Images.get(k); v != "" {
			out = append(out, fmt.Sprintf("images.%s=%q", k, v))
		}
	}
	p, err := ws.Publish.Merge(c.Publish)
	out = appendLeaves(out, "publish", reflect.ValueOf(p), err)
	d, err := ws.Deploy.Merge(c.Deploy)
	out = appendLeaves(out, "deploy", reflect.ValueOf(d), err)
	r, err := ws.Release.Merge(c.Release)
	r.Branches = nil // which commits may be released, not what is built
	out = appendLeaves(out, "release", reflect.ValueOf(r), err)
	if sec := workspaceSecrets(ws, c); sec != "" {
		out = append(out, "build.secrets="+sec)
	}
	envs := envSettingsOf(ws, c)
	for _, name := range ws.EnvironmentNames() {
		if e, ok := envs[name]; ok {
			out = appendLeaves(out, "environments."+name, reflect.ValueOf(e.s), e.err)
		}
	}
	sort.Strings(out)
	return out
}

// appendLeaves appends prefix's leaves in v, as diffKeys walks them, with
// their values; unset leaves (zero values, empty lists and maps, which
// equalValues takes as equal to nil) are left out.
func appendLeaves(out []string, prefix string, v reflect.Value, err error) []string {
	if err != nil {
		return append(out, prefix+"!=error")
	}
	if v.Kind() != reflect.Struct {
		switch v.Kind() {
		case reflect.Slice, reflect.Map:
			if v.Len() == 0 {
				return out
			}
		case reflect.Pointer:
			if v.IsNil() {
				return out
			}
			v = v.Elem()
		}
		if v.IsZero() {
			return out
		}
		return append(out, fmt.Sprintf("%s=%#v", prefix, v.Interface()))
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if key := yamlKey(t.Field(i)); key != "" {
			out = appendLeaves(out, prefix+"."+key, v.Field(i), nil)
		}
	}
	return out
}
