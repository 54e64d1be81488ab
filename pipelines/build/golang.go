package build

import (
	"cmp"
	"fmt"
	"path"
	"strings"

	"dagger.io/dagger"
)

// golang builds a go component in the golang image with cache volumes for
// the module and build caches. Build: `go build ./...` for a library (no
// build.main), else a static binary of build.main per platform. Test:
// `go test ./...` (or test.command). Files: the binary at <name> (one
// platform) or <os>_<arch>/<name>. Images: the runtime image (Debian slim
// with CA certificates) per platform with the binary as its entrypoint; a
// binary using aws-lambda-go runs there as an AWS Lambda container image.
//
// The container sees its source tree (package sourcetree): the component's
// folder, its dependencies' folders (for replace directives) and, when the
// component is a package of a module rooted higher up, that module's
// go.mod and go.sum. go.work is left
// out and GOWORK=off, since a workspace lists modules the filtered tree
// does not have: local dependencies go through replace directives.
func (b *Builder) golang(in inputs) (*Pipeline, error) {
	c := in.c
	if in.tree.GoModule == "" {
		return nil, fmt.Errorf("no go.mod in %s or above it", c.Dir)
	}
	ctr := b.prepare(in, cmp.Or(c.Build.Image, b.images.Go), b.dir(in.tree),
		map[string]string{"/go/pkg/mod": "gomod", "/root/.cache/go-build": "gobuild"}).
		WithEnvVariable("GOMODCACHE", "/go/pkg/mod").
		WithEnvVariable("GOCACHE", "/root/.cache/go-build").
		WithEnvVariable("GOWORK", "off").
		WithEnvVariable("GOFLAGS", "-trimpath")

	p := &Pipeline{test: action{base: ctr, script: testScript(c.Test, "go test ./...")}}
	if c.Build.Main == "" {
		built := withStep(ctr, script("mkdir -p "+outPath, "go build ./..."))
		p.build, p.Files = action{exec: built}, built.Directory(outPath)
		return p, nil
	}

	platforms := c.Build.Platforms
	lines := []string{"mkdir -p " + outPath}
	bins := map[string]string{} // platform → binary path
	for _, pl := range platforms {
		goos, goarch, ok := strings.Cut(pl, "/")
		if !ok || goos == "" || goarch == "" || strings.Contains(goarch, "/") {
			return nil, fmt.Errorf("build.platforms: %q is not os/arch", pl)
		}
		bins[pl] = path.Join(outPath, goos+"_"+goarch, c.Name)
		lines = append(lines, fmt.Sprintf("GOOS=%s GOARCH=%s go build -ldflags='-s -w' -o %s %s",
			shellQuote([]string{goos}), shellQuote([]string{goarch}), bins[pl], shellQuote([]string{c.Build.Main})))
	}
	if len(platforms) == 0 {
		platforms = []string{""} // the engine's own
		bins[""] = path.Join(outPath, c.Name)
		lines = append(lines, fmt.Sprintf("go build -ldflags='-s -w' -o %s %s", bins[""], shellQuote([]string{c.Build.Main})))
	}
	built := withStep(ctr.WithEnvVariable("CGO_ENABLED", "0"), script(lines...))
	p.build, p.Files = action{exec: built}, built.Directory(outPath)

	certs := ctr.File("/etc/ssl/certs/ca-certificates.crt")
	bin := "/usr/local/bin/" + c.Name
	for _, pl := range platforms {
		img := b.client.Container(dagger.ContainerOpts{Platform: dagger.Platform(pl)}).From(b.images.Runtime).
			WithFile("/etc/ssl/certs/ca-certificates.crt", certs).
			WithFile(bin, built.File(bins[pl])).
			WithEntrypoint([]string{bin})
		p.Images = append(p.Images, img)
	}
	return p, nil
}
