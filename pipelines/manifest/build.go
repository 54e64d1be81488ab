package manifest

// Images are the base images of each kind. Empty fields take the pinned
// Debian-based defaults; set them to point at a mirror.
type Images struct {
	Go     string `yaml:"go"`
	Python string `yaml:"python"`
	Node   string `yaml:"node"`
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
	// Args are build arguments (docker).
	Args map[string]string `yaml:"args"`
	// Platforms to build for, e.g. linux/amd64 (docker, go).
	Platforms []string `yaml:"platforms"`
	// Main is the package to build into the binary, e.g. ./cmd/api (go).
	Main string `yaml:"main"`
	// Env is extra environment for build and test commands.
	Env map[string]string `yaml:"env"`
	// Commands are shell commands run in Image (custom).
	Commands []string `yaml:"commands"`
	// Outputs are paths, relative to the component folder, exported after
	// the build (custom).
	Outputs []string `yaml:"outputs"`
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
}
