package build

import (
	"cmp"
	"path"
	"strings"
)

// Pinned versions of the tools python components are built and tested with.
const (
	PythonBuildVersion = "1.2.2"
	PytestVersion      = "8.3.4"
)

// python builds a python component in the python image with a pip cache
// volume. Build: an sdist and a wheel with `python3 -m build`. Test: the
// wheel and pytest installed, then `python3 -m pytest` (or test.command).
// Files: the sdist and the wheel. Dependencies' wheels are found through
// PIP_FIND_LINKS. The tools come from the package index that pip is
// configured for (PIP_INDEX_URL in build.env points it at a mirror).
func (b *Builder) python(in inputs) (*Pipeline, error) {
	c := in.c
	ctr := b.prepare(in, cmp.Or(c.Build.Image, b.images.Python), b.dir(in.tree),
		map[string]string{"/root/.cache/pip": "pip"}).
		WithEnvVariable("PIP_DISABLE_PIP_VERSION_CHECK", "1").
		WithEnvVariable("PIP_ROOT_USER_ACTION", "ignore").
		WithEnvVariable("PYTHONDONTWRITEBYTECODE", "1")
	var links []string
	for _, d := range sortedKeys(in.deps) {
		links = append(links, path.Join(depsPath, d))
	}
	if len(links) > 0 {
		ctr = ctr.WithEnvVariable("PIP_FIND_LINKS", strings.Join(links, " "))
	}
	built := withStep(ctr, script(
		"python3 -m pip install build=="+PythonBuildVersion,
		"python3 -m build --sdist --wheel --outdir "+outPath+" .",
	))
	p := &Pipeline{build: action{exec: built}, Files: built.Directory(outPath)}
	p.test = action{base: built, script: script(
		"python3 -m pip install pytest=="+PytestVersion+" "+outPath+"/*.whl",
		testScript(c.Test, "python3 -m pytest"),
	)}
	return p, nil
}
