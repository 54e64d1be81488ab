package manifest

// Release configures the release step, which a tag starts. Workspace values
// are defaults that a component's own section overrides (TagPrefix and
// VersionFile are per component only).
type Release struct {
	// TagPrefix is what precedes the version in the component's tags;
	// default "<name>/v". Set "v" to release this component from plain
	// vX.Y.Z tags (at most one component may).
	TagPrefix string `yaml:"tagPrefix"`
	// VersionFile is the file, relative to the component folder, that
	// records the version: VERSION, package.json or pyproject.toml (by
	// name). Empty means the first of VERSION, package.json and
	// pyproject.toml that exists; "-" means none.
	VersionFile string `yaml:"versionFile"`
	// Deploy deploys the released version to production (default false).
	Deploy *bool `yaml:"deploy"`
	// GitHubRelease creates a GitHub release with notes (default true).
	GitHubRelease *bool `yaml:"githubRelease"`
	// Branches are globs of branch names, besides the base branch, whose
	// commits may be released, e.g. ["release/*"] for backports. A tag
	// whose commit is on none of them is refused. Workspace only, and read
	// from the base branch's monopipe.yaml, not the tag's: a tagged commit
	// cannot widen what may be released.
	Branches []string `yaml:"branches"`
}

// Merge returns r (workspace defaults) with every field that override (the
// component's section) sets replacing it. Neither argument is modified.
func (r Release) Merge(override Release) (Release, error) {
	return r, mergeInto(&r, override)
}
