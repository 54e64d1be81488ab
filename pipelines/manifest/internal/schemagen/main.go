// Command schemagen writes the JSON Schemas of monopipe.yaml and
// component.yaml, made from the Go types of package manifest (by
// reflection, as the parser reads them) with their doc comments as
// descriptions. `go generate ./pipelines/manifest` runs it:
//
//	schemagen -src DIR -out DIR
//
// -src is the manifest package's source folder, -out the folder the
// schemas are written to (monopipe.schema.json, component.schema.json).
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
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: schemagen -src DIR -out DIR")
		os.Exit(2)
	}
	files, err := Generate(*src)
	if err == nil {
		err = write(*out, files)
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
