// Banner is the example monorepo's component that is a Dagger module of
// its own (kind: dagger): monopipe calls its build and test functions
// with the component's folder as source.
package main

import (
	"context"
	"fmt"
	"strings"

	"dagger/banner/internal/dagger"
)

type Banner struct{}

// Build returns the banner: banner.txt in capitals, framed, as
// banner/banner.txt (the component's files).
func (m *Banner) Build(source *dagger.Directory) *dagger.Directory {
	return m.ctr(source).
		WithExec([]string{"sh", "-c", `mkdir -p /out && text=$(tr a-z A-Z < banner.txt) && line=$(printf '%s' "$text" | tr -c '' '=') && printf '%s\n%s\n%s\n' "$line" "$text" "$line" > /out/banner.txt`}).
		Directory("/out")
}

// Test checks that banner.txt has one line of printable text, and that
// the built banner frames it in capitals.
func (m *Banner) Test(ctx context.Context, source *dagger.Directory) (string, error) {
	text, err := source.File("banner.txt").Contents(ctx)
	if err != nil {
		return "", err
	}
	text = strings.TrimSuffix(text, "\n")
	if text == "" || strings.Contains(text, "\n") {
		return "", fmt.Errorf("banner.txt must hold one line of text, not %q", text)
	}
	built, err := m.Build(source).File("banner.txt").Contents(ctx)
	if err != nil {
		return "", err
	}
	line := strings.Repeat("=", len(text))
	if want := line + "\n" + strings.ToUpper(text) + "\n" + line + "\n"; built != want {
		return "", fmt.Errorf("banner = %q, want %q", built, want)
	}
	return "banner ok:\n" + built, nil
}

func (m *Banner) ctr(source *dagger.Directory) *dagger.Container {
	return dag.Container().From("debian:bookworm-slim").
		WithDirectory("/src", source).
		WithWorkdir("/src")
}
