package build

import (
	"cmp"
	"fmt"
	"path"
	"strings"

	"dagger.io/dagger"
)

// docker builds a component's Dockerfile: context = the component's folder
// joined with build.context, dockerfile relative to it, with build.args,
// build.target and one image per build.platforms entry. The dependencies'
// Files are added to the context under .monopipe/deps/<name>. Test: build
// the test.stage target (its RUN lines run the tests), or run test.command
// in the built image (which needs a shell: sh reports whether it ran).
// Build secrets reach the Dockerfile by name: RUN --mount=type=secret,id=NAME.
func (b *Builder) docker(in inputs) (*Pipeline, error) {
	c := in.c
	dir := in.tree.Root // the context, as sourcetree decided it
	buildCtx := b.dir(in.tree)
	for _, d := range sortedKeys(in.deps) {
		buildCtx = buildCtx.WithDirectory(path.Join(".monopipe/deps", d), in.deps[d])
	}
	var args []dagger.BuildArg
	for _, k := range sortedKeys(c.Build.Args) {
		args = append(args, dagger.BuildArg{Name: k, Value: c.Build.Args[k]})
	}
	secrets := b.dockerSecrets(c)
	build := func(target string, platform string) *dagger.Container {
		return buildCtx.DockerBuild(dagger.DirectoryDockerBuildOpts{
			Dockerfile: c.Build.Dockerfile, Target: target, BuildArgs: args, Platform: dagger.Platform(platform), Secrets: secrets})
	}

	platforms := c.Build.Platforms
	if len(platforms) == 0 {
		platforms = []string{""}
	}
	p := &Pipeline{Files: b.client.Directory()}
	for _, pl := range platforms {
		p.Images = append(p.Images, build(c.Build.Target, pl))
	}
	p.build = action{sync: p.Images, note: fmt.Sprintf("built %s (target %s, platforms %s)",
		path.Join(dir, cmp.Or(c.Build.Dockerfile, "Dockerfile")), cmp.Or(c.Build.Target, "last stage"), strings.Join(or1(c.Build.Platforms, "engine's"), ", "))}
	switch {
	case c.Test.Stage != "":
		p.test = action{sync: []*dagger.Container{build(c.Test.Stage, platforms[0])},
			note: "built test stage " + c.Test.Stage}
	case len(c.Test.Command) > 0:
		p.test = action{base: p.Images[0], script: shellQuote(c.Test.Command)}
	default:
		p.testSkip = "no test.stage or test.command configured"
	}
	return p, nil
}

func or1(list []string, def string) []string {
	if len(list) == 0 {
		return []string{def}
	}
	return list
}
