package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

// The schema files Generate makes.
const (
	WorkspaceSchema = "monopipe.schema.json"
	ComponentSchema = "component.schema.json"
)

// draft is the JSON Schema dialect: draft-07, which editors' YAML
// language servers support best.
const draft = "http://json-schema.org/draft-07/schema#"

// schema is one JSON Schema node; fields marshal in this order.
type schema struct {
	Schema               string   `json:"$schema,omitempty"`
	Title                string   `json:"title,omitempty"`
	Description          string   `json:"description,omitempty"`
	Type                 any      `json:"type,omitempty"` // a name, or a list of names
	Default              any      `json:"default,omitempty"`
	Enum                 []any    `json:"enum,omitempty"`
	Pattern              string   `json:"pattern,omitempty"`
	MaxLength            *int     `json:"maxLength,omitempty"`
	Minimum              *int     `json:"minimum,omitempty"`
	Maximum              *int     `json:"maximum,omitempty"`
	Required             []string `json:"required,omitempty"`
	Properties           *props   `json:"properties,omitempty"`
	AdditionalProperties any      `json:"additionalProperties,omitempty"` // false, or a schema
	Items                *schema  `json:"items,omitempty"`

	// For the reference only (not marshalled):
	goName   string   // the Go field the key is read into
	def      string   // the default, as the doc comment or a rule gives it
	defCode  bool     // def is a literal value (from a rule), not prose
	required bool     // the parser requires the key
	anyCase  []string // allowed values, matched in any case
}

// props are an object's properties, in the Go type's field order.
type props struct {
	keys []string
	vals map[string]*schema
}

// MarshalJSON writes the properties in order.
func (p *props) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range p.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, err := marshal(p.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// rule is what the parser checks of one key beyond its type.
type rule struct {
	enum      []string // the value (each item, for a list) is one of these
	pattern   string   // the value (each item, for a list) matches this
	maxLength int
	min, max  *int // an integer's bounds
	required  bool
	nonNull   bool     // null is not accepted (the parser requires a value)
	anyCase   []string // the value is one of these, in any case
	def       string   // the default value, a constant of package manifest
}

// caseInsensitive turns values into a pattern that matches them in any
// case, as the parser compares them.
func caseInsensitive(values []string) string {
	var alts []string
	for _, v := range values {
		var b strings.Builder
		for _, r := range strings.ToLower(v) {
			if u := strings.ToUpper(string(r)); u != string(r) {
				fmt.Fprintf(&b, "[%s%s]", u, string(r))
			} else {
				b.WriteRune(r)
			}
		}
		alts = append(alts, b.String())
	}
	return "^(" + strings.Join(alts, "|") + ")$"
}

// rules are keyed by Go type name and yaml key. Every value listed here
// comes from package manifest, which validates with the same lists.
func rules() map[string]rule {
	kinds := make([]string, len(manifest.Kinds))
	for i, k := range manifest.Kinds {
		kinds[i] = string(k)
	}
	name := rule{pattern: manifest.NamePattern, maxLength: manifest.MaxNameLength}
	return map[string]rule{
		"Component.name":        {pattern: name.pattern, maxLength: name.maxLength, required: true, nonNull: true},
		"Component.kind":        {enum: kinds, required: true, nonNull: true},
		"Component.dependsOn":   name,
		"Deploy.on":             {enum: manifest.DeployOnValues},
		"Lambda.code":           {enum: manifest.LambdaCodes},
		"ImagePublish.latest":   {enum: manifest.LatestValues},
		"GenericPublish.method": {anyCase: manifest.GenericMethods},
		"Workspace.submodules":  {enum: manifest.SubmoduleModes},

		"Workspace.baseBranch":        {def: manifest.DefaultBaseBranch},
		"Workspace.fullRebuildMarker": {def: manifest.DefaultFullRebuildMarker},
		"Images.go":                   {def: manifest.DefaultGoImage},
		"Images.python":               {def: manifest.DefaultPythonImage},
		"Images.node":                 {def: manifest.DefaultNodeImage},
		"Images.runtime":              {def: manifest.DefaultRuntimeImage},
		"Service.name":                {pattern: manifest.ServiceNamePattern, required: true, nonNull: true},
		"Service.image":               {pattern: `\S`, required: true, nonNull: true},
		"Service.ports":               {min: ptr(1), max: ptr(manifest.MaxPort)},
		"Build.function":              {pattern: manifest.DaggerNamePattern},
		"Build.sourceArg":             {pattern: manifest.DaggerNamePattern},
		"Test.function":               {pattern: manifest.DaggerNamePattern},
	}
}

// docs are the doc comments of package manifest's types ("Type") and
// struct fields ("Type.Field").
type docs map[string]string

// readDocs parses the non-test Go files in dir for doc comments.
func readDocs(dir string) (docs, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	d := docs{}
	fset := token.NewFileSet()
	for _, file := range matches {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				d[ts.Name.Name] = text(doc)
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, field := range st.Fields.List {
					for _, n := range field.Names {
						d[ts.Name.Name+"."+n.Name] = text(field.Doc)
					}
				}
			}
		}
	}
	if len(d) == 0 {
		return nil, fmt.Errorf("no Go types in %s", dir)
	}
	return d, nil
}

// text is a doc comment as one paragraph per blank-line-separated block.
func text(cg *ast.CommentGroup) string {
	if cg == nil {
		return ""
	}
	var paras []string
	for _, p := range strings.Split(strings.TrimSpace(cg.Text()), "\n\n") {
		paras = append(paras, strings.Join(strings.Fields(p), " "))
	}
	return strings.Join(paras, "\n\n")
}

// Output is what Generate makes from one walk of the types.
type Output struct {
	// Schemas are the JSON Schemas, by file name.
	Schemas map[string][]byte
	// Reference is the configuration reference (docs/reference.md): every
	// key of both files as Markdown.
	Reference []byte
}

// Generate makes the schemas and the reference, reading doc comments from
// the manifest package's source folder src.
func Generate(src string) (*Output, error) {
	d, err := readDocs(src)
	if err != nil {
		return nil, err
	}
	g := &gen{docs: d, rules: rules()}
	ws := g.object(reflect.TypeFor[manifest.Workspace]())
	ws.Schema, ws.Title = draft, manifest.WorkspaceFile // an empty file is valid
	comp := g.object(reflect.TypeFor[manifest.Component]())
	comp.Schema, comp.Title, comp.Type = draft, manifest.ComponentFile, "object"
	if g.err != nil {
		return nil, g.err
	}
	out := &Output{Schemas: map[string][]byte{}, Reference: reference(ws, comp)}
	for name, s := range map[string]*schema{WorkspaceSchema: ws, ComponentSchema: comp} {
		b, err := marshal(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		var ind bytes.Buffer
		if err := json.Indent(&ind, b, "", "  "); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		ind.WriteByte('\n')
		out.Schemas[name] = ind.Bytes()
	}
	return out, nil
}

type gen struct {
	docs  docs
	rules map[string]rule
	err   error
}

// object is the schema of a struct type: its yaml keys, no others (the
// parser rejects unknown keys), or null (an empty section).
func (g *gen) object(t reflect.Type) *schema {
	s := &schema{Description: g.docs[t.Name()], Type: []string{"object", "null"}, AdditionalProperties: false,
		Properties: &props{vals: map[string]*schema{}}}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if key == "-" || !f.IsExported() {
			continue
		}
		if key == "" {
			g.fail(fmt.Errorf("%s.%s: no yaml key", t.Name(), f.Name))
			continue
		}
		fs := g.value(f.Type)
		fs.goName = f.Name
		if doc := g.docs[t.Name()+"."+f.Name]; doc != "" {
			fs.Description = doc
			fs.def = docDefault(doc)
		}
		if r, ok := g.rules[t.Name()+"."+key]; ok {
			g.apply(fs, r)
			if r.required {
				s.Required = append(s.Required, key)
				fs.required = true
			}
		}
		s.Properties.keys = append(s.Properties.keys, key)
		s.Properties.vals[key] = fs
	}
	sort.Strings(s.Required)
	return s
}

// apply adds a rule's checks to a value's schema (to its items, for a list).
func (g *gen) apply(s *schema, r rule) {
	target := s
	if s.Items != nil {
		target = s.Items
	}
	for _, v := range r.enum {
		target.Enum = append(target.Enum, v)
	}
	target.Pattern = r.pattern
	if len(r.anyCase) > 0 {
		target.Pattern = caseInsensitive(r.anyCase)
		target.anyCase = r.anyCase
	}
	if r.def != "" {
		s.Default, s.def, s.defCode = r.def, r.def, true
	}
	if r.maxLength > 0 {
		n := r.maxLength
		target.MaxLength = &n
	}
	target.Minimum, target.Maximum = r.min, r.max
	if r.nonNull {
		s.Type = "string"
	}
}

// value is the schema of a field's type. Every value may be null, as
// yaml.v3 decodes an empty value to the zero value, except list items.
func (g *gen) value(t reflect.Type) *schema {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		return g.object(t)
	case reflect.String:
		return &schema{Type: []string{"string", "null"}}
	case reflect.Bool:
		return &schema{Type: []string{"boolean", "null"}}
	case reflect.Int:
		return &schema{Type: []string{"integer", "null"}}
	case reflect.Slice:
		items := g.value(t.Elem())
		items.Type = nonNull(items.Type)
		return &schema{Type: []string{"array", "null"}, Items: items}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			break
		}
		vals := g.value(t.Elem())
		return &schema{Type: []string{"object", "null"}, AdditionalProperties: vals}
	}
	g.fail(fmt.Errorf("type %s has no schema", t))
	return &schema{}
}

// nonNull drops "null" from a type list.
func nonNull(t any) any {
	if l, ok := t.([]string); ok && len(l) == 2 && l[1] == "null" {
		return l[0]
	}
	return t
}

func ptr(n int) *int { return &n }

func (g *gen) fail(err error) {
	if g.err == nil {
		g.err = err
	}
}
