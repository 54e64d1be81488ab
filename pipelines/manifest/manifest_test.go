package manifest

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseComponentErrors(t *testing.T) {
	tests := []struct {
		name, yaml, err string
	}{
		{"unclosed flow sequence", "name: a\nkind: [go\n", "c/component.yaml:2: did not find expected ',' or ']'"},
		{"unclosed list two lines down", "name: a\nkind: go\ndependsOn: [a, b\ninputs: []\n", "c/component.yaml:3: did not find expected"},
		{"bad indentation", "name: a\nkind: go\n  bad: x\n", "c/component.yaml:3: mapping values are not allowed"},
		{"tab", "name: a\n\tkind: go\n", "c/component.yaml:2: found a tab character"},
		{"error on the first line", "a: b: c\n", "c/component.yaml:1: mapping values are not allowed"},
		{"unterminated quote", "name: 'x\n", "c/component.yaml:2: found unexpected end of stream"},
		{"unknown key", "name: a\nkind: go\nnmae: b\n", `c/component.yaml:3: unknown key "nmae" (valid keys: build, dependsOn, deploy, environments, ignore, inputs, kind, name, publish, release, test)`},
		{"unknown nested key", "name: a\nkind: go\ntest:\n  skip: true\n  comand: [x]\n", `c/component.yaml:5: unknown key "comand"`},
		{"wrong type", "name: a\nkind: go\ndependsOn: x\n", "c/component.yaml:3: cannot unmarshal !!str `x` into []string"},
		{"not a mapping", "- a\n- b\n", "c/component.yaml:1: expected a mapping of keys"},
		{"section not a mapping", "name: a\nkind: go\nbuild: x\n", "c/component.yaml:3: expected a mapping"},
		{"missing name", "kind: go\n", "c/component.yaml: name is required"},
		{"bad name", "name: My App\nkind: go\n", `c/component.yaml:1: name "My App" must be lower case`},
		{"missing kind", "name: a\n", "c/component.yaml: kind is required (one of docker, go, python, node, custom, dagger)"},
		{"unknown kind", "name: a\nkind: rust\n", `c/component.yaml:2: unknown kind "rust"`},
		{"self dependency", "name: a\nkind: go\ndependsOn:\n  - a\n", "c/component.yaml:4: a depends on itself"},
		{"repeated dependency", "name: a\nkind: go\ndependsOn: [b, b]\n", `c/component.yaml:3: dependsOn lists "b" twice`},
		{"bad deploy value", "name: a\nkind: go\ndeploy:\n  on: [friday]\n", `c/component.yaml:4: deploy.on: "friday" is not one of`},
		{"bad publish value", "name: a\nkind: go\npublish:\n  generic:\n    method: GET\n", `c/component.yaml:4: publish.generic.method: "GET" is not one of PUT, POST`},
		{"bad glob", "name: a\nkind: go\ninputs: [\"[\"]\n", `c/component.yaml:3: inputs: bad glob "["`},
		{"bad glob on its own line", "name: a\nkind: go\nignore:\n  - ok/**\n  - \"{a,b\"\n", `c/component.yaml:5: ignore: bad glob "{a,b"`},
		{"second document", "name: a\nkind: go\n---\nname: b\nkind: go\n", "c/component.yaml:3: a second YAML document"},
		{"null dependency", "name: a\nkind: go\ndependsOn: [~]\n", "c/component.yaml:3: dependsOn has an empty entry"},
		{"null dependency in a block list", "name: a\nkind: go\ndependsOn:\n  - b\n  -\n", "c/component.yaml:5: dependsOn has an empty entry"},
		{"empty dependency", "name: a\nkind: go\ndependsOn: [\"\"]\n", "c/component.yaml:3: dependsOn has an empty entry"},
		{"service without a name", "name: a\nkind: go\ntest:\n  services:\n    - image: postgres:16\n", "c/component.yaml:5: test.services: name is required"},
		{"service name not a hostname", "name: a\nkind: go\ntest:\n  services:\n    - name: my_db\n      image: postgres:16\n", `c/component.yaml:5: test.services: name "my_db" must be a hostname`},
		{"service name ending with a dash", "name: a\nkind: go\ntest:\n  services: [{name: db-, image: x}]\n", `c/component.yaml:4: test.services: name "db-" must be a hostname`},
		{"duplicate service name", "name: a\nkind: go\ntest:\n  services:\n    - {name: db, image: postgres:16}\n    - name: db\n      image: redis:7\n", `c/component.yaml:6: test.services: name "db" is used twice (also line 5)`},
		{"services with the test skipped", "name: a\nkind: go\ntest:\n  skip: true\n  services: [{name: db, image: x}]\n", "c/component.yaml:5: test.services: test.skip is set"},
		{"services without a docker test command", "name: a\nkind: docker\ntest:\n  services: [{name: db, image: x}]\n", "c/component.yaml:4: test.services: a docker component's services serve its test.command"},
		{"services without custom test commands", "name: a\nkind: custom\nbuild: {commands: [make]}\ntest:\n  services: [{name: db, image: x}]\n", "c/component.yaml:5: test.services: a custom component's services serve its test.commands"},
		{"service without an image", "name: a\nkind: go\ntest:\n  services:\n    - name: db\n      ports: [5432]\n", "c/component.yaml:5: test.services: db: image is required"},
		{"service with a blank image", "name: a\nkind: go\ntest:\n  services:\n    - name: db\n      image: \" \"\n", "c/component.yaml:6: test.services: db: image is required"},
		{"service port zero", "name: a\nkind: go\ntest:\n  services:\n    - name: db\n      image: postgres:16\n      ports:\n        - 5432\n        - 0\n", "c/component.yaml:9: test.services: db: port 0 is not a TCP port (1-65535)"},
		{"service port too high", "name: a\nkind: go\ntest:\n  services: [{name: db, image: x, ports: [70000]}]\n", "c/component.yaml:4: test.services: db: port 70000 is not a TCP port"},
		{"service port not a number", "name: a\nkind: go\ntest:\n  services: [{name: db, image: x, ports: [http]}]\n", "c/component.yaml:4: cannot unmarshal !!str `http` into int"},
		{"services with a docker test stage", "name: a\nkind: docker\ntest:\n  stage: test\n  services: [{name: db, image: x}]\n", "c/component.yaml:5: test.services: a Dockerfile's test stage cannot reach services"},
		{"unknown service key", "name: a\nkind: go\ntest:\n  services: [{name: db, image: x, port: 1}]\n", `c/component.yaml:4: unknown key "port"`},
		{"dagger function name", "name: a\nkind: dagger\nbuild:\n  function: build image\n", `c/component.yaml:4: build.function "build image": want a Dagger function`},
		{"dagger test function name", "name: a\nkind: dagger\ntest:\n  function: 1test\n", `c/component.yaml:4: test.function "1test": want a Dagger function`},
		{"dagger source argument name", "name: a\nkind: dagger\nbuild:\n  sourceArg: src.dir\n", `c/component.yaml:4: build.sourceArg "src.dir"`},
		{"dagger argument name", "name: a\nkind: dagger\nbuild:\n  args:\n    \"go version\": \"1.26\"\n", `c/component.yaml:5: build.args: "go version" is not a Dagger argument name`},
		{"dagger test services", "name: a\nkind: dagger\ntest:\n  function: test\n  services: [{name: db, image: x}]\n", "c/component.yaml:5: test.services: kind dagger's test function starts the services it needs itself"},
		{"name too long for an image tag", "name: " + strings.Repeat("a", 129) + "\nkind: go\n", "c/component.yaml:1: name is 129 characters long; at most 128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseComponent("c/component.yaml", []byte(tt.yaml))
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Fatalf("err = %v\nwant prefix %s", err, tt.err)
			}
		})
	}
}

func TestParseServices(t *testing.T) {
	c, err := ParseComponent("c/component.yaml", []byte(`name: a
kind: go
test:
  services:
    - name: db
      image: postgres:16
      env: {POSTGRES_PASSWORD: test}
      ports: [5432]
      command: [postgres, -c, fsync=off]
    - {name: cache, image: redis:7}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Service{
		{Name: "db", Image: "postgres:16", Env: map[string]string{"POSTGRES_PASSWORD": "test"}, Ports: []int{5432}, Command: []string{"postgres", "-c", "fsync=off"}},
		{Name: "cache", Image: "redis:7"},
	}
	if !reflect.DeepEqual(c.Test.Services, want) {
		t.Errorf("services = %+v\nwant %+v", c.Test.Services, want)
	}
}

func TestParseDagger(t *testing.T) {
	c, err := ParseComponent("c/component.yaml", []byte("name: a\nkind: dagger\nbuild:\n  function: build-image\n  sourceArg: src\n  args: {go-version: \"1.26\", race: \"true\"}\ntest: {function: test, args: {verbose: \"true\"}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != KindDagger || c.Build.Function != "build-image" || c.Build.SourceArg != "src" || c.Build.Args["go-version"] != "1.26" || c.Test.Function != "test" || c.Test.Args["verbose"] != "true" {
		t.Errorf("parsed %+v", c)
	}
	// docker's build.args are build arguments: any name goes.
	if _, err := ParseComponent("c/component.yaml", []byte("name: a\nkind: docker\nbuild:\n  args: {\"GO VERSION\": x}\n")); err != nil {
		t.Errorf("docker build.args: %v", err)
	}
}

func TestParseComponent(t *testing.T) {
	c, err := ParseComponent("svc/api/component.yaml", []byte("name: api\nkind: go\ndependsOn:\n  - lib\n  - proto\ninputs: [\"/shared/**\", \"extra/*.txt\"]\nbuild:\n  main: ./cmd/api\n  env: {CGO_ENABLED: \"0\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Dir != "svc/api" || c.Name != "api" || c.Kind != KindGo || c.Build.Main != "./cmd/api" || c.Build.Env["CGO_ENABLED"] != "0" {
		t.Errorf("parsed %+v", c)
	}
	if !reflect.DeepEqual(c.Lines, map[string]int{"lib": 4, "proto": 5}) {
		t.Errorf("lines = %v", c.Lines)
	}
	if got := RepoGlobs(c.Dir, c.Inputs); !reflect.DeepEqual(got, []string{"shared/**", "svc/api/extra/*.txt"}) {
		t.Errorf("RepoGlobs = %v", got)
	}
}

func TestWorkspaceGlobErrors(t *testing.T) {
	_, err := ParseWorkspace("monopipe.yaml", []byte("baseBranch: main\ncomponents:\n  - services/*\n  - \"libs/{a,b\"\n"))
	if err == nil || err.Error() != `monopipe.yaml:4: components: bad glob "libs/{a,b"` {
		t.Fatalf("err = %v", err)
	}
	_, err = ParseWorkspace("monopipe.yaml", []byte("global: [a]\n---\nglobal: [b]\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "monopipe.yaml:2: a second YAML document") {
		t.Fatalf("err = %v", err)
	}
}

// TestReleaseBranches: release.branches is read from monopipe.yaml only,
// and its globs are checked with file and line.
func TestReleaseBranches(t *testing.T) {
	ws, err := ParseWorkspace("monopipe.yaml", []byte("release:\n  branches: [\"release/*\"]\n"))
	if err != nil || !reflect.DeepEqual(ws.Release.Branches, []string{"release/*"}) {
		t.Fatalf("ws = %+v, err = %v", ws, err)
	}
	_, err = ParseWorkspace("monopipe.yaml", []byte("baseBranch: main\nrelease:\n  branches:\n    - \"release/[\"\n"))
	if err == nil || err.Error() != `monopipe.yaml:4: branches: bad glob "release/["` {
		t.Errorf("bad glob: err = %v", err)
	}
	// Which commits may be released changes no component.
	other, err := ParseWorkspace("monopipe.yaml", []byte("release:\n  branches: [\"release/*\", \"hotfix/*\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := ParseComponent("c/component.yaml", []byte("name: a\nkind: go\n"))
	if ch := SettingsChanges(ws, other, c); len(ch) != 0 {
		t.Errorf("release.branches changes a component: %v", ch)
	}
	if !reflect.DeepEqual(Settings(ws, c), Settings(other, c)) {
		t.Errorf("release.branches enters the settings: %v", Settings(other, c))
	}
	_, err = ParseComponent("c/component.yaml", []byte("name: a\nkind: go\nrelease:\n  deploy: true\n  branches: [\"*\"]\n"))
	if err == nil || err.Error() != "c/component.yaml:5: release.branches is a workspace setting: set it in monopipe.yaml" {
		t.Errorf("component: err = %v", err)
	}
}

func TestNameLength(t *testing.T) {
	if _, err := ParseComponent("c/component.yaml", []byte("name: "+strings.Repeat("a", MaxNameLength)+"\nkind: go\n")); err != nil {
		t.Fatalf("a name of %d characters: %v", MaxNameLength, err)
	}
}

func TestWorkspaceDefaults(t *testing.T) {
	ws, err := ParseWorkspace(WorkspaceFile, []byte("components: [\"/services/*/\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ws.BaseBranch != "main" || ws.FullRebuildMarker != "[full rebuild]" || ws.Components[0] != "services/*" {
		t.Errorf("defaults: %+v", ws)
	}
	ws, err = ReadWorkspace(fstest.MapFS{})
	if err != nil || ws.BaseBranch != "main" || ws.Path != "" {
		t.Errorf("absent workspace: %+v %v", ws, err)
	}
	if _, err := ParseWorkspace(WorkspaceFile, []byte("global: [\"a/[\"]\n")); err == nil || !strings.Contains(err.Error(), "monopipe.yaml:1: global: bad glob") {
		t.Errorf("bad glob: %v", err)
	}
}

// tree is a folder layout with component.yaml files where discovery must
// and must not look.
var tree = fstest.MapFS{
	"a/component.yaml":                     {},
	"a/nested/component.yaml":              {},
	"services/x/component.yaml":            {},
	"services/x/deep/y/component.yaml":     {},
	"services/node_modules/component.yaml": {},
	"vendor/v/component.yaml":              {},
	"testdata/t/component.yaml":            {},
	".hidden/h/component.yaml":             {},
	"node_modules/n/component.yaml":        {},
	"docs/component.yaml.md":               {},
	"component.yaml":                       {},
}

func TestFindComponents(t *testing.T) {
	var files []string
	for p := range tree {
		files = append(files, p)
	}
	tests := []struct {
		globs []string
		want  []string
	}{
		{nil, []string{"a/component.yaml", "a/nested/component.yaml", "component.yaml", "services/x/component.yaml", "services/x/deep/y/component.yaml"}},
		{[]string{"services/*"}, []string{"services/x/component.yaml"}},
		{[]string{"services/**"}, []string{"services/x/component.yaml", "services/x/deep/y/component.yaml"}},
		{[]string{"a", "testdata/*"}, []string{"a/component.yaml", "testdata/t/component.yaml"}},
		{[]string{"vendor/*", "services/node_modules"}, []string{"services/node_modules/component.yaml", "vendor/v/component.yaml"}},
		{[]string{"nothing/*"}, nil},
		// Braces prune like every other glob (path.Match knew no braces).
		{[]string{"services/{x,z}"}, []string{"services/x/component.yaml"}},
		{[]string{"{a,services/x}"}, []string{"a/component.yaml", "services/x/component.yaml"}},
		{[]string{"services/x/{deep/y,none}"}, []string{"services/x/deep/y/component.yaml"}},
		{[]string{"{vendor,tools}/*"}, []string{"vendor/v/component.yaml"}},
	}
	for _, tt := range tests {
		got, err := FindComponents(tree, tt.globs)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("FindComponents(%v) = %v, want %v", tt.globs, got, tt.want)
		}
		// Matching a file list must give the same answer as walking.
		if got, err := MatchComponents(files, tt.globs); err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("MatchComponents(%v) = %v, want %v", tt.globs, got, tt.want)
		}
	}
}

func TestLoadDuplicate(t *testing.T) {
	fsys := fstest.MapFS{
		"a/component.yaml": {Data: []byte("name: x\nkind: go\n")},
		"b/component.yaml": {Data: []byte("name: x\nkind: node\n")},
	}
	if _, _, err := Load(fsys); err == nil || err.Error() != `duplicate component name "x": a/component.yaml and b/component.yaml` {
		t.Fatalf("err = %v", err)
	}
}

func TestWorkspaceSubmodules(t *testing.T) {
	ws, err := ParseWorkspace("monopipe.yaml", []byte("submodules: dirty\n"))
	if err != nil || ws.Submodules != "dirty" {
		t.Fatalf("ws = %+v, err = %v", ws, err)
	}
	_, err = ParseWorkspace("monopipe.yaml", []byte("baseBranch: main\nsubmodules: some\n"))
	if err == nil || err.Error() != `monopipe.yaml:2: submodules "some": want one of none, untracked, dirty, all` {
		t.Fatalf("err = %v", err)
	}
}

func TestWorkspaceCache(t *testing.T) {
	ws, err := ParseWorkspace("monopipe.yaml", []byte("cache:\n  registry: ghcr.io/org/repo-cache\n"))
	if err != nil || ws.Cache.Registry != "ghcr.io/org/repo-cache" {
		t.Fatalf("ws = %+v, err = %v", ws, err)
	}
	for _, bad := range []string{"https://ghcr.io/org/cache", "ghcr.io/org/cache:latest", "ghcr.io/Org/Cache", "ghcr.io/org/cache@sha256:" + strings.Repeat("a", 64)} {
		_, err = ParseWorkspace("monopipe.yaml", []byte("baseBranch: main\ncache:\n  registry: "+bad+"\n"))
		if err == nil || !strings.HasPrefix(err.Error(), `monopipe.yaml:3: cache.registry "`+bad+`"`) {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
	if got := WorkspaceChanges(&Workspace{}, &Workspace{Cache: Cache{Registry: "ghcr.io/o/c"}}); len(got) != 0 {
		t.Errorf("a cache change affects %v; want nothing built again", got)
	}
}
