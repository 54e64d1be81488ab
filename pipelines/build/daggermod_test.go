package build

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/Khan/genqlient/graphql"
	"github.com/dagger/querybuilder"
)

// answer is what the engine answers moduleQuery for a module named
// pg-tools: a main object with functions of each kind of result and
// argument, and an object of its own that is not the main one.
const answer = `{"loadModuleFromID": {"name": "pg-tools", "objects": [
 {"asObject": {"name": "PgToolsReport", "constructor": null, "functions": [
   {"name": "build", "returnType": {"kind": "STRING_KIND", "optional": false, "asObject": null}, "args": []}]}},
 {"asObject": {"name": "PgTools", "constructor": {"args": [{"name": "verbose", "typeDef": {"kind": "BOOLEAN_KIND", "optional": true, "asObject": null}}]},
  "functions": [
   {"name": "build", "returnType": {"kind": "OBJECT_KIND", "optional": false, "asObject": {"name": "Container"}},
    "args": [{"name": "source", "typeDef": {"kind": "OBJECT_KIND", "optional": false, "asObject": {"name": "Directory"}}},
             {"name": "goVersion", "typeDef": {"kind": "STRING_KIND", "optional": true, "asObject": null}},
             {"name": "jobs", "typeDef": {"kind": "INTEGER_KIND", "optional": true, "asObject": null}},
             {"name": "race", "typeDef": {"kind": "BOOLEAN_KIND", "optional": true, "asObject": null}},
             {"name": "ratio", "typeDef": {"kind": "FLOAT_KIND", "optional": true, "asObject": null}},
             {"name": "cache", "typeDef": {"kind": "OBJECT_KIND", "optional": true, "asObject": {"name": "CacheVolume"}}}]},
   {"name": "buildDocs", "returnType": {"kind": "OBJECT_KIND", "optional": false, "asObject": {"name": "Directory"}},
    "args": [{"name": "src", "typeDef": {"kind": "OBJECT_KIND", "optional": false, "asObject": {"name": "Directory"}}}]},
   {"name": "test", "returnType": {"kind": "STRING_KIND", "optional": false, "asObject": null},
    "args": [{"name": "source", "typeDef": {"kind": "OBJECT_KIND", "optional": false, "asObject": {"name": "Directory"}}},
             {"name": "pattern", "typeDef": {"kind": "STRING_KIND", "optional": false, "asObject": null}}]},
   {"name": "lint", "returnType": {"kind": "VOID_KIND", "optional": true, "asObject": null},
    "args": [{"name": "source", "typeDef": {"kind": "OBJECT_KIND", "optional": false, "asObject": {"name": "Directory"}}}]},
   {"name": "binary", "returnType": {"kind": "OBJECT_KIND", "optional": false, "asObject": {"name": "File"}},
    "args": [{"name": "source", "typeDef": {"kind": "OBJECT_KIND", "optional": false, "asObject": {"name": "Directory"}}}]},
   {"name": "badSource", "returnType": {"kind": "STRING_KIND", "optional": false, "asObject": null},
    "args": [{"name": "source", "typeDef": {"kind": "STRING_KIND", "optional": false, "asObject": null}}]}]}}]}}`

func parseAnswer(t *testing.T, data string) *moduleDef {
	t.Helper()
	var resp struct {
		Module moduleDef `json:"loadModuleFromID"`
	}
	if err := json.Unmarshal([]byte(data), &resp); err != nil {
		t.Fatal(err)
	}
	return &resp.Module
}

func TestModuleCall(t *testing.T) {
	m := parseAnswer(t, answer)
	tests := []struct {
		name, fn, source string
		args             map[string]string
		want             moduleCall
		err              string
	}{
		{name: "container with typed arguments", fn: "build", args: map[string]string{"go-version": "1.26", "jobs": "4", "race": "true", "ratio": "0.5"},
			want: moduleCall{module: "pg-tools", ctor: "pgTools", fn: "build", source: "source", returns: returnsContainer,
				args: []callArg{{"goVersion", "1.26"}, {"jobs", 4}, {"race", true}, {"ratio", 0.5}}}},
		{name: "as the module declares it", fn: "build", args: map[string]string{"goVersion": "1.26"},
			want: moduleCall{module: "pg-tools", ctor: "pgTools", fn: "build", source: "source", returns: returnsContainer, args: []callArg{{"goVersion", "1.26"}}}},
		{name: "directory, kebab name, other source argument", fn: "build-docs", source: "src",
			want: moduleCall{module: "pg-tools", ctor: "pgTools", fn: "buildDocs", source: "src", returns: returnsDirectory}},
		{name: "string", fn: "test", args: map[string]string{"pattern": "Test.*"},
			want: moduleCall{module: "pg-tools", ctor: "pgTools", fn: "test", source: "source", returns: returnsString, args: []callArg{{"pattern", "Test.*"}}}},
		{name: "void", fn: "lint", want: moduleCall{module: "pg-tools", ctor: "pgTools", fn: "lint", source: "source", returns: returnsVoid}},
		{name: "unknown function", fn: "buidl", err: "the Dagger module pg-tools has no function buidl (its functions: bad-source, binary, build, build-docs, lint, test)"},
		{name: "unsupported result", fn: "binary", err: "pg-tools.binary returns File; monopipe takes a Container (an image), a Directory (files), a string or nothing"},
		{name: "no source argument", fn: "build-docs", err: "pg-tools.build-docs has no argument source to take the component's folder (its arguments: src): set build.sourceArg"},
		{name: "source not a directory", fn: "bad-source", err: "pg-tools.bad-source takes source as STRING, not a Directory"},
		{name: "required argument missing", fn: "test", err: "pg-tools.test needs the argument pattern: set it in args"},
		{name: "unknown argument", fn: "lint", args: map[string]string{"fix": "true"}, err: "pg-tools.lint has no argument fix (its arguments: source)"},
		{name: "not an integer", fn: "build", args: map[string]string{"jobs": "many"}, err: `pg-tools.build: argument jobs: "many" is not an integer`},
		{name: "not a boolean", fn: "build", args: map[string]string{"race": "yes please"}, err: `pg-tools.build: argument race: "yes please" is not true or false`},
		{name: "two spellings of one argument", fn: "build", args: map[string]string{"go-version": "1.25", "goVersion": "1.26"}, err: "pg-tools.build: args go-version and goVersion name the same argument"},
		{name: "the source in args", fn: "build", args: map[string]string{"source": "x"}, err: "pg-tools.build: args source is the component's folder (build.sourceArg): monopipe passes it"},
		{name: "not a number", fn: "build", args: map[string]string{"ratio": "NaN"}, err: `pg-tools.build: argument ratio: "NaN" is not a number`},
		{name: "more decimals than the call carries", fn: "build", args: map[string]string{"ratio": "0.0000001"}, err: `argument ratio: "0.0000001" has more than six decimals`},
		{name: "an object argument", fn: "build", args: map[string]string{"cache": "x"}, err: "pg-tools.build: argument cache: takes CacheVolume; args gives strings, numbers and booleans only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.call(tt.fn, tt.source, tt.args)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v\nwant %s", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("call = %+v, %v\nwant %+v", got, err, tt.want)
			}
		})
	}
}

func TestModuleCallModuleErrors(t *testing.T) {
	required := strings.Replace(answer, `"name": "verbose", "typeDef": {"kind": "BOOLEAN_KIND", "optional": true`, `"name": "verbose", "typeDef": {"kind": "BOOLEAN_KIND", "optional": false`, 1)
	renamed := strings.Replace(answer, `"name": "pg-tools"`, `"name": "other"`, 1)
	for _, tt := range []struct{ answer, err string }{
		{required, "the Dagger module pg-tools's constructor needs the argument verbose; monopipe calls it with none"},
		{renamed, "the Dagger module other has no object Other with its functions"},
	} {
		if _, err := parseAnswer(t, tt.answer).call("build", "", nil); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("err = %v, want %s", err, tt.err)
		}
	}
}

// dirID stands for a Directory: what the query carries for the source.
type dirID string

func (d dirID) XXX_GraphQLType() string                           { return "Directory" }
func (d dirID) XXX_GraphQLIDType() string                         { return "DirectoryID" }
func (d dirID) XXX_GraphQLID(ctx context.Context) (string, error) { return string(d), nil }

// fakeClient answers every request with data or an error, and keeps the
// query it was sent.
type fakeClient struct {
	data  string
	err   error
	query string
}

func (f *fakeClient) MakeRequest(ctx context.Context, req *graphql.Request, resp *graphql.Response) error {
	f.query = req.Query
	if f.err != nil {
		return f.err
	}
	return json.Unmarshal([]byte(f.data), resp.Data)
}

func TestModuleSelection(t *testing.T) {
	mc := moduleCall{module: "pg-tools", ctor: "pgTools", fn: "test", source: "source", returns: returnsString,
		args: []callArg{{"pattern", `Test"Quoted\`}, {"jobs", 4}}}
	q, err := mc.selection(querybuilder.Query(), dirID("dir-123")).Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`{pgTools{test(`, `source:"dir-123"`, `pattern:"Test\"Quoted\\"`, `jobs:4`, `)}}`} {
		if !strings.Contains(q, want) {
			t.Errorf("query %s lacks %s", q, want)
		}
	}
}

func TestModuleRun(t *testing.T) {
	str := moduleCall{module: "pg-tools", ctor: "pgTools", fn: "test", source: "source", returns: returnsString}
	void := moduleCall{module: "pg-tools", ctor: "pgTools", fn: "lint", source: "source", returns: returnsVoid}
	failed := errors.New("input: pgTools.test: exit code 1")
	tests := []struct {
		mc   moduleCall
		data string
		err  error
		out  string
	}{
		{str, `{"pgTools": {"test": "ok  \tpgcount\t0.1s\n"}}`, nil, "ok  \tpgcount\t0.1s\n"},
		{void, `{"pgTools": {"lint": null}}`, nil, ""},
		{str, "", failed, ""},
	}
	for _, tt := range tests {
		client := &fakeClient{data: tt.data, err: tt.err}
		out, err := tt.mc.run(tt.mc.selection(querybuilder.Query().Client(client), dirID("d")))(context.Background())
		if out != tt.out || !errors.Is(err, tt.err) {
			t.Errorf("%s: run = %q, %v; want %q, %v", tt.mc, out, err, tt.out, tt.err)
		}
		if !strings.Contains(client.query, "{"+tt.mc.ctor+"{"+tt.mc.fn+"(source:\"d\")}}") {
			t.Errorf("%s: sent %s", tt.mc, client.query)
		}
	}
}

func TestModuleQuery(t *testing.T) {
	q := moduleQuery(`mod"id\`)
	if !strings.HasPrefix(q, `query { loadModuleFromID(id: "mod\"id\\") { name objects { asObject { name constructor`) {
		t.Errorf("query = %s", q)
	}
	if strings.Count(q, "{") != strings.Count(q, "}") {
		t.Errorf("unbalanced query %s", q)
	}
}
