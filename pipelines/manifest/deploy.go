package manifest

// Deploy configures the deploy step. Workspace values are defaults that a
// component's own section overrides.
type Deploy struct{}
