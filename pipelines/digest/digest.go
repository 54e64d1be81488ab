// Package digest computes each component's input digest without an engine:
// a sha256 over the sorted list of everything that decides its build, so
// that a result made from the same inputs can be reused (a remote cache
// key) and, after a miss, the inputs that differ can be named.
//
// The inputs of a component (see Input for their kinds):
//   - its files: exactly the files its build receives (package
//     sourcetree decides them, for the builders too: its whole folder,
//     nested components' folders and ignored files included, its
//     dependencies' folders, its inputs, a go module root's go.mod and
//     go.sum, a docker build context), and the files of the workspace
//     global globs it does not receive, each with its git blob id: the id
//     git has for committed or clean files, the git hash of the bytes for
//     modified and untracked ones (so a dirty tree digests as the commit of
//     the same content would);
//   - its manifest, normalized: the parsed component.yaml encoded again
//     (as JSON), naming what changed in it; the build receives the file
//     itself too, so its comments and layout count through its file entry;
//   - the workspace settings that apply to it (manifest.Settings), the base
//     images its builder starts from (manifest.Component.BaseImages), its
//     build environment (build.env; never a secret's value: the manifest
//     has none, and a secret would enter by name only), its platforms and
//     the images of its test services (test.services; their environment,
//     ports and command through the manifest: plain values, no secrets);
//   - the digests of every component it depends on, directly or not;
//   - its kind's recipe version (manifest.RecipeVersions).
//
// Workspace keys that only decide selection (components, global, ignore,
// baseBranch, fullRebuildMarker, submodules) enter through the files they
// give a component, not as values: ignore globs skip files for selection
// only, never for the digest of a build that receives them.
package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/monopipe/monopipe/pipelines/graph"
	"github.com/monopipe/monopipe/pipelines/manifest"
	"github.com/monopipe/monopipe/pipelines/ownership"
	"github.com/monopipe/monopipe/pipelines/sourcetree"
)

// Kinds of Input.
const (
	KindFile     = "file"     // a file its build receives: Name path, Value blob id
	KindGlobal   = "global"   // a file of the workspace global globs it does not receive: Name path, Value blob id
	KindManifest = "manifest" // the normalized component.yaml: Value its sha256
	KindSetting  = "setting"  // an applying workspace setting: Name key, Value value
	KindImage    = "image"    // a base image: Name its key (go, runtime, build), Value the reference
	KindEnv      = "env"      // a build.env variable: Name, Value
	KindPlatform = "platform" // a build.platforms entry: Name the platform
	KindDep      = "dep"      // a dependency: Name, Value its digest
	KindRecipe   = "recipe"   // the builder's version: Value kind/N
	KindService  = "service"  // a test service: Name its hostname, Value its image reference
)

// Input is one named entry of a digest.
type Input struct {
	Kind  string `json:"kind"`
	Name  string `json:"name,omitempty"`
	Value string `json:"value,omitempty"`
}

// String is the entry's canonical line, e.g. "file api/main.go blob <id>",
// "env GOFLAGS=-trimpath", "recipe go/1". Names with spaces or quotes are
// quoted.
func (in Input) String() string {
	name := in.Name
	if name != "" && strings.ContainsAny(name, " \t\r\n\"\\") {
		name = strconv.Quote(name)
	}
	switch {
	case name == "":
		return in.Kind + " " + in.Value
	case in.Value == "":
		return in.Kind + " " + name
	case in.Kind == KindEnv || in.Kind == KindSetting || in.Kind == KindImage || in.Kind == KindService:
		return in.Kind + " " + name + "=" + in.Value
	case in.Kind == KindFile || in.Kind == KindGlobal:
		return in.Kind + " " + name + " blob " + in.Value
	}
	return in.Kind + " " + name + " " + in.Value
}

// key identifies an entry across two digests (kind and name).
func (in Input) key() string { return in.Kind + "\x00" + in.Name }

// Digest is a component's input digest and the entries it is made of.
type Digest struct {
	// Sum is "sha256:<hex>" over Inputs' lines, each ended by "\n".
	Sum string
	// Inputs are the entries, sorted by their lines; nil when Sum came
	// from the memo (see Source.Memo).
	Inputs []Input
}

// Of makes a Digest of inputs (in any order).
func Of(inputs []Input) *Digest {
	lines := make([]string, len(inputs))
	for i, in := range inputs {
		lines[i] = in.String()
	}
	idx := make([]int, len(inputs))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return lines[idx[a]] < lines[idx[b]] })
	h := sha256.New()
	sorted := make([]Input, len(inputs))
	for i, j := range idx {
		sorted[i] = inputs[j]
		h.Write([]byte(lines[j]))
		h.Write([]byte{'\n'})
	}
	return &Digest{Sum: "sha256:" + hex.EncodeToString(h.Sum(nil)), Inputs: sorted}
}

// Source is one revision's workspace, components and files.
type Source struct {
	Workspace *manifest.Workspace
	// Components are every component of the revision.
	Components []*manifest.Component
	// Graph is their dependency graph.
	Graph *graph.Graph
	// Files are the revision's files.
	Files Files
	// Memo is the file that remembers digests between runs ("" for none):
	// a component whose key (see memo.go) is unchanged takes its digest
	// from it, without Inputs. Only a commit's files (Commit) use it.
	Memo string
}

// Compute digests the named components and every component they depend
// on, dependencies first; the answer is by name.
func Compute(src Source, names []string) (map[string]*Digest, error) {
	want := map[string]bool{}
	for _, n := range names {
		if src.Graph.Component(n) == nil {
			return nil, fmt.Errorf("digest: no component %q", n)
		}
		want[n] = true
		for _, d := range src.Graph.Dependencies(n) {
			want[d] = true
		}
	}
	rules := ownership.New(src.Workspace, src.Components)
	settings := settingsMemo{}
	// With the memo, a commit's files are read only where a key or a miss
	// needs them; without, all are listed once.
	cf, _ := src.Files.(*commitFiles)
	var mem *memo
	if cf != nil {
		mem = loadMemo(src.Memo)
	}
	var (
		list, globals []string
		exists        sourcetree.Exists
		lookupErr     error
		globalsKey    [sha256.Size]byte
		misses        int
		err           error
	)
	if mem == nil {
		if list, err = src.Files.List(); err != nil {
			return nil, fmt.Errorf("digest: %w", err)
		}
		exists = sourcetree.ListExists(list)
		globals = globalFiles(rules, list)
	} else {
		exists = func(p string) bool {
			_, dir, ok, err := cf.entry(p)
			if err != nil && lookupErr == nil {
				lookupErr = err
			}
			return ok && !dir
		}
		at := make([]string, len(src.Workspace.Global))
		for i, g := range src.Workspace.Global {
			at[i] = lookupPath("", g)
		}
		where, err := cf.filesAt(at)
		if err != nil {
			return nil, fmt.Errorf("digest: %w", err)
		}
		globals = globalFiles(rules, where)
		if globalsKey, err = globalsSum(src.Files, globals); err != nil {
			return nil, fmt.Errorf("digest: %w", err)
		}
	}
	out := make(map[string]*Digest, len(want))
	for _, n := range src.Graph.Order() {
		if !want[n] {
			continue
		}
		c := src.Graph.Component(n)
		ins := own(src.Workspace, c, settings)
		deps := src.Graph.Dependencies(n)
		depComps := make([]*manifest.Component, len(deps))
		for i, d := range deps {
			depComps[i] = src.Graph.Component(d)
			ins = append(ins, Input{Kind: KindDep, Name: d, Value: out[d].Sum})
		}
		tree, err := sourcetree.Of(c, depComps, exists)
		if err == nil {
			err = lookupErr
		}
		if err != nil {
			return nil, fmt.Errorf("digest %s: %w", n, err)
		}
		from := list
		var key [sha256.Size]byte
		memoize := false
		if mem != nil {
			at := lookupPaths(tree)
			if key, memoize, err = memoKey(c, ins, tree, at, cf, globalsKey); err != nil {
				return nil, fmt.Errorf("digest %s: %w", n, err)
			}
			if memoize {
				if d, ok := mem.get(n, key); ok {
					out[n] = d
					continue
				}
			}
			// Every file the tree can have is at or below these paths; when
			// many miss (a memo of another revision, or none), listing the
			// whole tree once costs less.
			if misses++; list == nil && (misses > listAfter || len(mem.old) == 0) {
				if list, err = cf.List(); err != nil {
					return nil, fmt.Errorf("digest: %w", err)
				}
			}
			if from = list; from == nil {
				if from, err = cf.filesAt(at); err != nil {
					return nil, fmt.Errorf("digest %s: %w", n, err)
				}
			}
		}
		m, err := manifestEntry(c)
		if err != nil {
			return nil, err
		}
		ins = append(ins, m)
		files := tree.Files(from)
		for _, p := range files {
			id, err := src.Files.Blob(p)
			if err != nil {
				return nil, fmt.Errorf("digest %s: %w", n, err)
			}
			ins = append(ins, Input{Kind: KindFile, Name: p, Value: id})
		}
		// The global files the build does not receive count all the same,
		// by the ownership rule (its ignore globs skip them).
		for _, p := range globals {
			if _, sent := slices.BinarySearch(files, p); sent || rules.Excludes(c, p) {
				continue
			}
			id, err := src.Files.Blob(p)
			if err != nil {
				return nil, fmt.Errorf("digest %s: %w", n, err)
			}
			ins = append(ins, Input{Kind: KindGlobal, Name: p, Value: id})
		}
		out[n] = Of(ins)
		if memoize {
			mem.put(n, key, out[n])
		}
	}
	if mem != nil {
		mem.save(func(name string) bool { return src.Graph.Component(name) != nil })
	}
	return out, nil
}

// listAfter is how many memo misses Compute reads folder by folder before
// it lists the whole commit.
const listAfter = 100

// globalFiles are the files of list that the workspace global globs name
// and its ignore globs do not.
func globalFiles(rules *ownership.Rules, list []string) []string {
	var out []string
	for _, p := range list {
		if rules.Global(p) != "" && !rules.Ignored(p) {
			out = append(out, p)
		}
	}
	return out
}

// manifestEntry is c's manifest entry: its parsed fields encoded again.
func manifestEntry(c *manifest.Component) (Input, error) {
	// The parsed fields only: where the file is and its line numbers are
	// not part of it. encoding/json sorts map keys and is ten times faster
	// than encoding the yaml again.
	norm, err := json.Marshal(parsedOnly(c))
	if err != nil {
		return Input{}, fmt.Errorf("digest %s: normalize %s: %w", c.Name, c.Path, err)
	}
	sum := sha256.Sum256(norm)
	return Input{Kind: KindManifest, Value: "sha256:" + hex.EncodeToString(sum[:])}, nil
}

// parsedOnly is c without where it was read from.
func parsedOnly(c *manifest.Component) manifest.Component {
	parsed := *c
	parsed.Dir, parsed.Path, parsed.Lines, parsed.EnvLines = "", "", nil, nil
	return parsed
}

// own lists c's entries that are not files, dependencies or its manifest
// (manifestEntry).
func own(ws *manifest.Workspace, c *manifest.Component, settings settingsMemo) []Input {
	ins := []Input{{Kind: KindRecipe, Value: c.Kind.Recipe()}}
	for _, s := range settings.of(ws, c) {
		k, v, _ := strings.Cut(s, "=")
		ins = append(ins, Input{Kind: KindSetting, Name: k, Value: v})
	}
	for _, s := range c.BaseImages(ws.Images) {
		k, v, _ := strings.Cut(s, "=")
		ins = append(ins, Input{Kind: KindImage, Name: k, Value: v})
	}
	for _, k := range slices.Sorted(maps.Keys(c.Build.Env)) { // one order: the memo's key
		ins = append(ins, Input{Kind: KindEnv, Name: k, Value: c.Build.Env[k]})
	}
	for _, p := range c.Build.Platforms {
		ins = append(ins, Input{Kind: KindPlatform, Name: p})
	}
	// A service's environment, ports and command count through the
	// manifest entry; its image is named, like the base images.
	for _, s := range c.Test.Services {
		ins = append(ins, Input{Kind: KindService, Name: s.Name, Value: s.Image})
	}
	return ins
}

// Changes are the entries that differ between two digests of a component.
type Changes struct {
	// Added are in the second digest only; Removed in the first only.
	Added, Removed []Input
	// Changed are in both with different values: the second's entries,
	// with Was the first's values.
	Changed []Changed
}

// Changed is an entry whose value differs.
type Changed struct {
	Input
	Was string
}

// Diff compares digest a (say, the last cached) with b (the current).
func Diff(a, b *Digest) Changes {
	var ch Changes
	old := map[string]Input{}
	for _, in := range a.Inputs {
		old[in.key()] = in
	}
	seen := map[string]bool{}
	for _, in := range b.Inputs {
		k := in.key()
		seen[k] = true
		was, ok := old[k]
		switch {
		case !ok:
			ch.Added = append(ch.Added, in)
		case was.Value != in.Value:
			ch.Changed = append(ch.Changed, Changed{Input: in, Was: was.Value})
		}
	}
	for _, in := range a.Inputs {
		if !seen[in.key()] {
			ch.Removed = append(ch.Removed, in)
		}
	}
	return ch
}

// Empty says whether nothing differs.
func (c Changes) Empty() bool { return len(c.Added)+len(c.Removed)+len(c.Changed) == 0 }

// settingsMemo remembers manifest.Settings for components that set no
// publish, deploy, release, build.secrets or environments section of their own, in a
// workspace without environments, by the image keys
// their kind uses: thousands of components share a few answers.
type settingsMemo map[string][]string

func (m settingsMemo) of(ws *manifest.Workspace, c *manifest.Component) []string {
	// Environments' templates ({component}) make every component's
	// settings its own.
	if !reflect.ValueOf(c.Publish).IsZero() || !reflect.ValueOf(c.Deploy).IsZero() || !reflect.ValueOf(c.Release).IsZero() || len(c.Build.Secrets) > 0 ||
		len(ws.Environments) > 0 || len(c.Environments) > 0 {
		return manifest.Settings(ws, c)
	}
	key := strings.Join(c.ImageKeys(), ",")
	s, ok := m[key]
	if !ok {
		s = manifest.Settings(ws, c)
		m[key] = s
	}
	return s
}
