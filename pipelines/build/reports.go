package build

import (
	"dagger.io/dagger"

	"github.com/monopipe/monopipe/pipelines/report"
)

// Reports returns every report of report.Files (summary.md, results.json,
// junit.xml, logs/<name>.log) as a directory, for a function to return or
// export.
func Reports(client *dagger.Client, r *report.Results) (*dagger.Directory, error) {
	files, err := report.Files(r)
	if err != nil {
		return nil, err
	}
	dir := client.Directory()
	for _, name := range sortedKeys(files) {
		dir = dir.WithNewFile(name, string(files[name]))
	}
	return dir, nil
}
