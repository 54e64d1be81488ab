// Package buildsecret turns a component's build.secrets and the secret
// values given on the command line into what its build and test
// containers get: secret environment variables, secret files (an .npmrc,
// a .netrc) and the plain variables that point tools at them. It is pure:
// the build package mounts the result as Dagger secrets, and the tests use
// the generated files with the real pip, npm and git on the host.
//
// A secret's value never leaves a Mount's Value: Names (what the engine
// calls the secret, and so what its cache keys hold) are made of the
// component, the secret's name and a hash of its non-secret settings.
package buildsecret

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

// Paths where the helpers' files are mounted in build containers.
const (
	NPMRCPath = "/run/secrets/monopipe/npmrc"
	NetrcPath = "/root/.netrc"
)

// Mount is one secret a container gets: in the variable Env, or as the
// file at Path.
type Mount struct {
	Env, Path string
	// Name is the engine's name for the secret: no value in it.
	Name string
	// Value is the secret's content.
	Value string
	// From are the build.secrets names it is made from.
	From []string
}

// Set is what a component's containers get.
type Set struct {
	// Mounts are the secrets, sorted by Env then Path.
	Mounts []Mount
	// Env are plain variables that go with them (NPM_CONFIG_USERCONFIG,
	// GOPRIVATE, NETRC): never a value.
	Env map[string]string
}

// Values lists every secret value in s (the given ones and the files and
// URLs made from them), for redaction.
func (s Set) Values() []string {
	var out []string
	for _, m := range s.Mounts {
		out = append(out, m.Value)
	}
	return out
}

// MissingError is a secret that a component's manifest needs and the
// command line did not give.
type MissingError struct {
	Component string
	Secret    string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("component %s needs build secret %s (build.secrets): pass it with --secret env://%s (or --secret file:///path/to/%s): the last segment of the URI names it",
		e.Component, e.Secret, e.Secret, e.Secret)
}

// Resolve builds component's Set from its build secrets (manifest.BuildSecrets)
// and the given values by name. A secret that is not given is a
// *MissingError (all of them, joined); an empty value counts as given.
func Resolve(component string, decls []manifest.Secret, values map[string]string) (Set, error) {
	set := Set{Env: map[string]string{}}
	var missing []error
	for _, d := range decls {
		if _, ok := values[d.Name]; !ok {
			missing = append(missing, &MissingError{Component: component, Secret: d.Name})
		}
	}
	if len(missing) > 0 {
		return Set{}, errors.Join(missing...)
	}
	name := func(what string, settings ...string) string {
		h := sha256.Sum256([]byte(strings.Join(settings, "\x00")))
		return "monopipe/" + component + "/" + what + "/" + hex.EncodeToString(h[:6])
	}
	var npm []NPMAuth
	var netrc []NetrcEntry
	var npmFrom, netrcFrom, private []string
	for _, d := range decls {
		v := values[d.Name]
		switch d.How() {
		case "env":
			set.Mounts = append(set.Mounts, Mount{Env: d.EnvName(), Name: name(d.Name, "env", d.EnvName()), Value: v, From: []string{d.Name}})
		case "file":
			set.Mounts = append(set.Mounts, Mount{Path: d.File, Name: name(d.Name, "file", d.File), Value: v, From: []string{d.Name}})
		case "pip":
			u, err := PipIndexURL(d.Pip.Index, d.Pip.Username, v)
			if err != nil {
				return Set{}, fmt.Errorf("component %s: build secret %s: %w", component, d.Name, err)
			}
			set.Mounts = append(set.Mounts, Mount{Env: "PIP_INDEX_URL", Name: name(d.Name, "pip", d.Pip.Index, d.Pip.Username), Value: u, From: []string{d.Name}})
		case "npm":
			npm = append(npm, NPMAuth{Registry: d.NPM.Registry, Scope: d.NPM.Scope, Token: v})
			npmFrom = append(npmFrom, d.Name, d.NPM.Registry, d.NPM.Scope)
		case "go":
			netrc = append(netrc, NetrcEntry{Machine: d.Go.Host, Login: d.Go.Username, Password: v})
			netrcFrom = append(netrcFrom, d.Name, d.Go.Host, d.Go.Username)
			private = append(private, d.Go.Private...)
		}
	}
	if len(npm) > 0 {
		rc, err := NPMRC(npm)
		if err != nil {
			return Set{}, fmt.Errorf("component %s: build secrets: %w", component, err)
		}
		set.Mounts = append(set.Mounts, Mount{Path: NPMRCPath, Name: name("npmrc", npmFrom...), Value: rc, From: names(npmFrom, 3)})
		set.Env["NPM_CONFIG_USERCONFIG"] = NPMRCPath
	}
	if len(netrc) > 0 {
		rc, err := Netrc(netrc)
		if err != nil {
			return Set{}, fmt.Errorf("component %s: build secrets: %w", component, err)
		}
		set.Mounts = append(set.Mounts, Mount{Path: NetrcPath, Name: name("netrc", netrcFrom...), Value: rc, From: names(netrcFrom, 3)})
		set.Env["NETRC"] = NetrcPath
		set.Env["GOPRIVATE"] = strings.Join(slices.Compact(slices.Sorted(slices.Values(private))), ",")
	}
	slices.SortFunc(set.Mounts, func(a, b Mount) int {
		if c := strings.Compare(a.Env, b.Env); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
	return set, nil
}

// names takes every stride-th entry of flat (the secret names).
func names(flat []string, stride int) []string {
	var out []string
	for i := 0; i < len(flat); i += stride {
		out = append(out, flat[i])
	}
	return out
}

// PipIndexURL is index with username (default manifest.DefaultPipUsername)
// and password in its user information, escaped: what PIP_INDEX_URL or
// --index-url takes.
func PipIndexURL(index, username, password string) (string, error) {
	u, err := url.Parse(index)
	if err != nil || u.Host == "" {
		return "", errors.New("pip.index is not a URL") // never quote: a caller may have put a credential in it
	}
	if username == "" {
		username = manifest.DefaultPipUsername
	}
	u.User = url.UserPassword(username, password)
	return u.String(), nil
}

// NPMAuth is one registry of an .npmrc.
type NPMAuth struct {
	Registry string
	// Scope ("@acme"), when set, routes only that scope to Registry.
	Scope string
	Token string
}

// NPMRC is an .npmrc that routes each scope (or, without one, every
// package) to its registry and authenticates to each registry with its
// token (//host/path/:_authToken=TOKEN).
func NPMRC(auths []NPMAuth) (string, error) {
	var b strings.Builder
	seen := map[string]bool{}
	for _, a := range auths {
		u, err := url.Parse(a.Registry)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("npm registry %q is not a URL", a.Registry)
		}
		if strings.ContainsAny(a.Token, "\r\n") {
			return "", errors.New("an npm token holds a line break")
		}
		reg := strings.TrimSuffix(u.String(), "/") + "/"
		if a.Scope != "" {
			fmt.Fprintf(&b, "%s:registry=%s\n", a.Scope, reg)
		} else {
			fmt.Fprintf(&b, "registry=%s\n", reg)
		}
		// The auth key is the registry URL without its scheme, ending in /.
		key := "//" + u.Host + strings.TrimSuffix(u.EscapedPath(), "/") + "/"
		if !seen[key] {
			seen[key] = true
			fmt.Fprintf(&b, "%s:_authToken=%s\n", key, a.Token)
		}
	}
	return b.String(), nil
}

// NetrcEntry is one machine of a .netrc.
type NetrcEntry struct {
	Machine string
	// Login defaults to manifest.DefaultGitUsername.
	Login    string
	Password string
}

// Netrc is a .netrc with an entry per machine (git, through curl, and the
// go command read it).
func Netrc(entries []NetrcEntry) (string, error) {
	var b strings.Builder
	for _, e := range entries {
		login := e.Login
		if login == "" {
			login = manifest.DefaultGitUsername
		}
		// .netrc has no quoting: a token with white space cannot be written.
		if strings.ContainsAny(e.Password, " \t\r\n") || e.Password == "" {
			return "", fmt.Errorf("the secret for %s is empty or has white space, which .netrc cannot hold", e.Machine)
		}
		fmt.Fprintf(&b, "machine %s\nlogin %s\npassword %s\n", e.Machine, login, e.Password)
	}
	return b.String(), nil
}

// NameFromURI is the name a --secret URI gives its secret: the last
// segment of its path (env://NPM_TOKEN is NPM_TOKEN, file:///run/NPM_TOKEN
// is NPM_TOKEN, op://vault/item/NPM_TOKEN is NPM_TOKEN), without a query.
// Errors never quote the URI: a mistyped one may be a value.
func NameFromURI(uri string) (string, error) {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, " /") {
		return "", errors.New("a --secret is not a URI: want env://NAME or file:///path/NAME")
	}
	rest, _, _ = strings.Cut(rest, "?")
	name := path.Base(strings.TrimRight(rest, "/"))
	if name == "" || name == "." || name == "/" {
		return "", fmt.Errorf("a --secret %s:// URI ends in no name: want %s://.../NAME", scheme, scheme)
	}
	return name, nil
}
