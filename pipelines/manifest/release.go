package manifest

// Release configures the release step. Workspace values are defaults that a
// component's own section overrides.
type Release struct{}
