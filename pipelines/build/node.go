package build

import "cmp"

// node builds a node component in the node image with an npm cache volume.
// Build: `npm ci`, `npm run build --if-present` and `npm pack`. Test:
// `npm test` (or test.command). Files: the package tarball.
func (b *Builder) node(in inputs) (*Pipeline, error) {
	c := in.c
	ctr := b.prepare(in, cmp.Or(c.Build.Image, b.images.Node), b.dir(in.tree),
		map[string]string{"/root/.npm": "npm"}).
		WithEnvVariable("NPM_CONFIG_UPDATE_NOTIFIER", "false").
		WithEnvVariable("NPM_CONFIG_FUND", "false").
		WithEnvVariable("NPM_CONFIG_AUDIT", "false")
	built := withStep(ctr, script(
		"npm ci",
		"npm run build --if-present",
		"mkdir -p "+outPath,
		"npm pack --pack-destination "+outPath,
	))
	p := &Pipeline{build: action{exec: built}, Files: built.Directory(outPath)}
	p.test = action{base: built, script: testScript(c.Test, "npm test")}
	return p, nil
}
