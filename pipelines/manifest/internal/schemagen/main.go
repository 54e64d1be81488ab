// Command schemagen writes the JSON Schemas of monopipe.yaml and
// component.yaml, and their configuration reference in Markdown, made
// from the Go types of package manifest (by reflection, as the parser
// reads them) with their doc comments as descriptions.
// `go generate ./pipelines/manifest` runs it:
//
//	schemagen -src DIR -out DIR [-ref FILE]
//
// -src is the manifest package's source folder, -out the folder the
// schemas are written to (monopipe.schema.json, component.schema.json),
// -ref the reference's file (docs/reference.md).
package main

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

func main() {
	src := flag.String("src", ".", "the source folder of package manifest, for doc comments")
	out := flag.String("out", "", "the folder to write the schemas to")
	ref := flag.String("ref", "", "the file to write the configuration reference to")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: schemagen -src DIR -out DIR [-ref FILE]")
		os.Exit(2)
	}
	gen, err := Generate(*src)
	if err == nil {
		err = write(*out, gen.Schemas)
	}
	if err == nil && *ref != "" {
		err = write(filepath.Dir(*ref), map[string][]byte{filepath.Base(*ref): gen.Reference})
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "schemagen: %v\n", err)
		os.Exit(1)
	}
}

func write(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}
