package manifest

// Publish configures the publish step. Workspace values are defaults that a
// component's own section overrides.
type Publish struct{}
