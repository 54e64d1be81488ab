package manifest

import (
	"cmp"
	"fmt"
	"sort"
)

// Images are the base images of each kind. Empty fields take the pinned
// Debian-based defaults; set them to point at a mirror.
type Images struct {
	// Go is the image go components are built and tested in.
	Go string `yaml:"go"`
	// Python is the image python components are built and tested in.
	Python string `yaml:"python"`
	// Node is the image node components are built and tested in.
	Node string `yaml:"node"`
	// Runtime is the image that go components' binaries are copied into.
	Runtime string `yaml:"runtime"`
}

// Build configures how a component is built. Which fields apply depends on
// the component's kind.
type Build struct {
	// Image overrides the base image for this component.
	Image string `yaml:"image"`
	// Dockerfile is the Dockerfile path relative to Context (docker).
	Dockerfile string `yaml:"dockerfile"`
	// Context is the build context relative to the component folder (docker).
	Context string `yaml:"context"`
	// Target is the Dockerfile stage to build (docker).
	Target string `yaml:"target"`
	// Args are build arguments (docker), or the build function's other
	// arguments by name (dagger: strings, or numbers and booleans for
	// arguments of those types).
	Args map[string]string `yaml:"args"`
	// Platforms to build for, e.g. linux/amd64 (docker, go).
	Platforms []string `yaml:"platforms"`
	// Main is the package to build into the binary, e.g. ./cmd/api (go).
	Main string `yaml:"main"`
	// Env is extra environment for build and test commands. Never a
	// secret: its values enter cache keys and logs; use Secrets.
	Env map[string]string `yaml:"env"`
	// Secrets are build-time secrets (private package indexes, tokens)
	// the build and test steps get as Dagger secrets; see Secret.
	Secrets []Secret `yaml:"secrets"`
	// Commands are shell commands run in Image (custom).
	Commands []string `yaml:"commands"`
	// Outputs are paths, relative to the component folder, exported after
	// the build (custom).
	Outputs []string `yaml:"outputs"`
	// Function is the module's function that builds the component
	// (dagger; default build), as `dagger call` names it (build-image) or
	// as the module declares it (buildImage). What it returns is the
	// component's output: a Container its image, a Directory its files, a
	// string or nothing a step that passes or fails.
	Function string `yaml:"function" json:",omitempty"`
	// SourceArg is the argument that the build and test functions take
	// the component's folder by, a Directory (dagger; default source).
	SourceArg string `yaml:"sourceArg" json:",omitempty"`
}

// Test configures how a component is tested.
type Test struct {
	// Skip disables the test step.
	Skip bool `yaml:"skip"`
	// Command runs in the built image (docker) or replaces the kind's
	// default test command.
	Command []string `yaml:"command"`
	// Stage is a Dockerfile stage whose build runs the tests (docker).
	Stage string `yaml:"stage"`
	// Commands are shell commands run after the build (custom).
	Commands []string `yaml:"commands"`
	// Function is the module's function that tests the component
	// (dagger; without it there is no test step), called like
	// build.function; it fails the step by returning an error.
	Function string `yaml:"function" json:",omitempty"`
	// Args are the test function's other arguments by name (dagger), as
	// build.args.
	Args map[string]string `yaml:"args" json:",omitempty"`
	// Services run beside the test step, each reachable by its name as a
	// hostname, e.g. a database for integration tests; see Service.
	Services []Service `yaml:"services" json:",omitempty"`
}

// Pinned Debian-based default images of each kind; monopipe.yaml's images
// section and a component's build.image override them. The build package
// uses these, and the input digest names them.
const (
	DefaultGoImage      = "golang:1.26-bookworm"
	DefaultPythonImage  = "python:3.12-slim-bookworm"
	DefaultNodeImage    = "node:22-bookworm-slim"
	DefaultRuntimeImage = "debian:bookworm-slim"
)

// WithDefaults is i with every empty field set to its pinned default: the
// images the builders use.
func (i Images) WithDefaults() Images {
	i.Go = cmp.Or(i.Go, DefaultGoImage)
	i.Python = cmp.Or(i.Python, DefaultPythonImage)
	i.Node = cmp.Or(i.Node, DefaultNodeImage)
	i.Runtime = cmp.Or(i.Runtime, DefaultRuntimeImage)
	return i
}

// BaseImages are the image references c's builder starts from, as
// "key=reference" sorted by key: build.image when set (key "build") and
// the workspace images of ImageKeys, defaults applied. A docker
// component's images are named by its Dockerfile, one of its files.
func (c *Component) BaseImages(ws Images) []string {
	ws = ws.WithDefaults()
	var out []string
	if c.Build.Image != "" {
		out = append(out, "build="+c.Build.Image)
	}
	for _, k := range c.ImageKeys() {
		out = append(out, k+"="+ws.get(k))
	}
	sort.Strings(out)
	return out
}

// RecipeVersions are the version of each kind's builder in pipelines/build,
// part of every component's input digest. The rule: bump a kind's version
// in the same change that alters what its builder runs or produces from
// the same inputs (commands, flags, environment, output layout, the
// files a container sees), so that results cached by the old builder are
// not reused; bump every kind when shared code (prepare, tree, the step
// script) changes that. A change that only renames or refactors bumps
// nothing.
var RecipeVersions = map[Kind]int{
	KindDocker: 1,
	KindGo:     1,
	KindPython: 1,
	KindNode:   1,
	KindCustom: 1,
	KindDagger: 1,
}

// Recipe names the version of kind's builder, e.g. "go/1".
func (k Kind) Recipe() string { return fmt.Sprintf("%s/%d", k, RecipeVersions[k]) }
