// A tiny Dagger module that a kind: dagger component builds and tests
// with (pipelines/build's TestEngineDaggerModule). Its generated code is
// made by the engine when monopipe loads it.
package main

import (
	"context"
	"fmt"
	"strings"

	"dagger/hello-mod/internal/dagger"
)

type HelloMod struct{}

// Build returns an image with the component's folder at /app and the
// greeting in /greeting.
func (m *HelloMod) Build(
	source *dagger.Directory,
	// +optional
	// +default="hello"
	greeting string,
	// +optional
	// +default=1
	times int,
) *dagger.Container {
	return dag.Container().From("debian:bookworm-slim").
		WithDirectory("/app", source).
		WithNewFile("/greeting", strings.Repeat(greeting+"\n", times))
}

// Test checks that the folder's greeting.txt says hello.
func (m *HelloMod) Test(ctx context.Context, source *dagger.Directory) (string, error) {
	txt, err := source.File("greeting.txt").Contents(ctx)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(txt) != "hello" {
		return "", fmt.Errorf("greeting.txt says %q, not hello", strings.TrimSpace(txt))
	}
	return "greeting.txt says hello", nil
}

// Docs returns the folder's text files.
func (m *HelloMod) Docs(source *dagger.Directory) *dagger.Directory {
	return dag.Directory().WithDirectory("/", source, dagger.DirectoryWithDirectoryOpts{Include: []string{"*.txt"}})
}
