package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

// root is the repository root, from this package's folder.
const root = "../../../.."

// TestCurrent fails when the committed schemas or reference are not what
// the types make: run go generate ./pipelines/manifest.
func TestCurrent(t *testing.T) {
	gen, err := Generate("../..")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{ReferenceFile: gen.Reference}
	for name, b := range gen.Schemas {
		files["schema/"+name] = b
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./pipelines/manifest", name)
		}
	}
}

// compiled are the committed schemas, by manifest file name.
func compiled(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	out := map[string]*jsonschema.Schema{}
	for file, name := range map[string]string{manifest.WorkspaceFile: WorkspaceSchema, manifest.ComponentFile: ComponentSchema} {
		f, err := os.Open(filepath.Join(root, "schema", name))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.AddResource(name, doc); err != nil {
			t.Fatal(err)
		}
		if out[file], err = c.Compile(name); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return out
}

// validate checks YAML content against a schema, as an editor would after
// reading the YAML.
func validate(s *jsonschema.Schema, data []byte) error {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return err
	}
	js, err := json.Marshal(v)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

// parse is the parser's verdict on a manifest named file.
func parse(file string, data []byte) error {
	if filepath.Base(file) == manifest.WorkspaceFile {
		_, err := manifest.ParseWorkspace(file, data)
		return err
	}
	_, err := manifest.ParseComponent(file, data)
	return err
}

// TestRepositoryManifests: every manifest in the repository that the
// parser accepts (all of them outside testdata), the schema accepts.
func TestRepositoryManifests(t *testing.T) {
	schemas := compiled(t)
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && p != root {
			return fs.SkipDir
		}
		s := schemas[d.Name()]
		if d.IsDir() || s == nil {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := parse(rel, data); err != nil {
			if !strings.Contains(filepath.ToSlash(rel), "testdata/") {
				t.Errorf("%v", err)
			}
			return nil
		}
		n++
		if !strings.Contains(filepath.ToSlash(rel), "testdata/") {
			checkSchemaLine(t, p, data)
		}
		if err := validate(s, data); err != nil {
			t.Errorf("%s: the parser accepts it, the schema does not: %v", rel, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 7 {
		t.Errorf("found %d manifests; want monopipe.yaml and the components'", n)
	}
}

// checkSchemaLine checks that the manifest at p starts with the line that
// points editors at its schema, by a relative path that exists.
func checkSchemaLine(t *testing.T, p string, data []byte) {
	t.Helper()
	first, _, _ := strings.Cut(string(data), "\n")
	rel, ok := strings.CutPrefix(first, "# yaml-language-server: $schema=")
	if !ok {
		t.Errorf("%s: first line %q; want # yaml-language-server: $schema=<path to schema>", p, first)
		return
	}
	want := ComponentSchema
	if filepath.Base(p) == manifest.WorkspaceFile {
		want = WorkspaceSchema
	}
	got, err1 := filepath.Abs(filepath.Join(filepath.Dir(p), filepath.FromSlash(rel)))
	exp, err2 := filepath.Abs(filepath.Join(root, "schema", want))
	if err1 != nil || err2 != nil || got != exp {
		t.Errorf("%s: $schema=%s is not schema/%s", p, rel, want)
	}
}

// TestParserAgreement: the schema accepts and rejects what the parser
// does, for each class of error that one file shows (a dependency cycle,
// an unknown dependency and a duplicate name need several files, and
// only the parser sees them; so do two test.services of one name and
// test.services beside a docker test.stage, which JSON Schema cannot say).
func TestParserAgreement(t *testing.T) {
	schemas := compiled(t)
	long := strings.Repeat("a", manifest.MaxNameLength)
	tests := []struct {
		name  string
		file  string
		yaml  string
		valid bool
	}{
		{"minimal component", "component.yaml", "name: api\nkind: go\n", true},
		{"every section", "component.yaml", `name: api
kind: docker
dependsOn: [greet, web.ui]
inputs: ["/shared/**"]
ignore: ["docs/**"]
build: {dockerfile: Dockerfile, context: ., target: run, args: {A: b}, platforms: [linux/amd64], env: {X: "1"}}
test: {skip: false, command: [make, test], stage: test}
publish:
  image: {registry: example.com, repository: "{name}", latest: base, semverAliases: true, ecr: {region: eu-west-1, createRepository: true}}
  npm: {registry: "https://registry.npmjs.org/", tag: next}
  pypi: {url: "https://upload.pypi.org/legacy/"}
  generic: {url: "https://x/{file}", method: post, overwrite: true}
  s3: {bucket: b, key: "{name}/{file}"}
deploy: {on: [base, branch], lambda: {function: f, code: zip, publishVersion: true, timeout: 2m}}
release: {tagPrefix: v, versionFile: VERSION, deploy: true, githubRelease: false}
`, true},
		{"empty sections", "component.yaml", "name: api\nkind: go\nbuild:\npublish:\ndependsOn: []\n", true},
		{"longest name", "component.yaml", "name: " + long + "\nkind: go\n", true},
		{"unknown key", "component.yaml", "name: api\nkind: go\ndepends: [greet]\n", false},
		{"unknown nested key", "component.yaml", "name: api\nkind: go\nbuild: {mian: .}\n", false},
		{"bad kind", "component.yaml", "name: api\nkind: rust\n", false},
		{"no kind", "component.yaml", "name: api\n", false},
		{"empty kind", "component.yaml", "name: api\nkind:\n", false},
		{"no name", "component.yaml", "kind: go\n", false},
		{"bad name pattern", "component.yaml", "name: Api\nkind: go\n", false},
		{"name starting with a dash", "component.yaml", "name: -api\nkind: go\n", false},
		{"name too long", "component.yaml", "name: a" + long + "\nkind: go\n", false},
		{"empty dependsOn entry", "component.yaml", "name: api\nkind: go\ndependsOn: [~]\n", false},
		{"blank dependsOn entry", "component.yaml", "name: api\nkind: go\ndependsOn: [\"\"]\n", false},
		{"bad deploy.on", "component.yaml", "name: api\nkind: go\ndeploy: {on: [always]}\n", false},
		{"bad lambda code", "component.yaml", "name: api\nkind: go\ndeploy: {lambda: {code: tar}}\n", false},
		{"bad latest", "component.yaml", "name: api\nkind: go\npublish: {image: {latest: always}}\n", false},
		{"bad generic method", "component.yaml", "name: api\nkind: go\npublish: {generic: {method: PATCH}}\n", false},
		{"a list where a mapping goes", "component.yaml", "name: api\nkind: go\nbuild: [a]\n", false},
		{"test services", "component.yaml", "name: api\nkind: go\ntest:\n  services:\n    - {name: db, image: postgres:16, env: {POSTGRES_PASSWORD: test}, ports: [5432], command: [postgres]}\n    - {name: cache-1, image: redis:7}\n", true},
		{"service without a name", "component.yaml", "name: api\nkind: go\ntest: {services: [{image: postgres:16}]}\n", false},
		{"service name not a hostname", "component.yaml", "name: api\nkind: go\ntest: {services: [{name: Db, image: postgres:16}]}\n", false},
		{"service without an image", "component.yaml", "name: api\nkind: go\ntest: {services: [{name: db}]}\n", false},
		{"service with a blank image", "component.yaml", "name: api\nkind: go\ntest: {services: [{name: db, image: \" \"}]}\n", false},
		{"service port zero", "component.yaml", "name: api\nkind: go\ntest: {services: [{name: db, image: x, ports: [0]}]}\n", false},
		{"service port too high", "component.yaml", "name: api\nkind: go\ntest: {services: [{name: db, image: x, ports: [65536]}]}\n", false},
		{"service port not a number", "component.yaml", "name: api\nkind: go\ntest: {services: [{name: db, image: x, ports: [http]}]}\n", false},
		{"kind dagger", "component.yaml", "name: api\nkind: dagger\nbuild: {function: build-image, sourceArg: src, args: {go-version: \"1.26\"}}\ntest: {function: test, args: {race: \"true\"}}\n", true},
		{"dagger function name", "component.yaml", "name: api\nkind: dagger\nbuild: {function: \"build image\"}\n", false},
		{"dagger test function name", "component.yaml", "name: api\nkind: dagger\ntest: {function: 1test}\n", false},
		{"dagger source argument", "component.yaml", "name: api\nkind: dagger\nbuild: {sourceArg: src.dir}\n", false},
		{"empty workspace", "monopipe.yaml", "", true},
		{"workspace", "monopipe.yaml", `components: ["services/*"]
baseBranch: main
global: [go.work]
ignore: ["**/*.md"]
fullRebuildMarker: "[full rebuild]"
images: {go: golang:1.26-bookworm, runtime: debian:bookworm-slim}
publish: {image: {registry: example.com}}
deploy: {on: [release]}
release: {githubRelease: true}
`, true},
		{"workspace unknown key", "monopipe.yaml", "basebranch: main\n", false},
		{"workspace unknown image kind", "monopipe.yaml", "images: {rust: x}\n", false},
		{"workspace bad latest", "monopipe.yaml", "publish: {image: {latest: sometimes}}\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			perr := parse(tt.file, []byte(tt.yaml))
			if (perr == nil) != tt.valid {
				t.Fatalf("parser: %v, want valid=%v", perr, tt.valid)
			}
			serr := validate(schemas[tt.file], []byte(tt.yaml))
			if (serr == nil) != tt.valid {
				t.Errorf("schema: %v, want valid=%v (parser: %v)", serr, tt.valid, perr)
			}
		})
	}
}
