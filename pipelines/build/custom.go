package build

import (
	"cmp"
	"fmt"
	"path"
	"strings"
)

// custom runs build.commands in build.image (default: the runtime image),
// then copies each of build.outputs (relative to the component's folder)
// into Files by its base name. Test: test.commands, or test.command, run
// after the build.
func (b *Builder) custom(in inputs) (*Pipeline, error) {
	c := in.c
	if len(c.Build.Commands) == 0 {
		return nil, fmt.Errorf("build.commands is required for kind custom")
	}
	lines := append([]string{}, c.Build.Commands...)
	lines = append(lines, "mkdir -p "+outPath)
	for _, o := range c.Build.Outputs {
		if o == "" || path.IsAbs(o) || path.Clean(o) == ".." || strings.HasPrefix(path.Clean(o), "../") {
			return nil, fmt.Errorf("build.outputs: %q must be a path inside the component's folder", o)
		}
		lines = append(lines, "cp -a -- "+shellQuote([]string{path.Clean(o)})+" "+outPath+"/")
	}
	ctr := b.prepare(in, cmp.Or(c.Build.Image, b.images.Runtime), b.dir(in.tree), nil)
	built := withStep(ctr, script(lines...))
	p := &Pipeline{build: action{exec: built}, Files: built.Directory(outPath)}
	switch {
	case len(c.Test.Commands) > 0:
		p.test = action{base: built, script: script(c.Test.Commands...)}
	case len(c.Test.Command) > 0:
		p.test = action{base: built, script: shellQuote(c.Test.Command)}
	default:
		p.testSkip = "no test.commands configured"
	}
	return p, nil
}
