package build

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"dagger.io/dagger"
	"github.com/dagger/querybuilder"
	"github.com/iancoleman/strcase"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

// daggerModule builds a component that is a Dagger module of its own
// (its folder's dagger.json): the module is loaded from the component's
// source tree and served in this session, and its build.function is
// called (and test.function for the test step) with the component's
// folder as the build.sourceArg argument and build.args (test.args) as
// its other arguments. What the build function returns is the output: a
// Container is the component's image, a Directory its Files, a string
// (the step's output) or nothing a step that passes or fails.
//
// Loading a module runs its SDK's code generation and compiles it on the
// engine, so the pipeline is defined with the engine's help (once per
// component and run). Module names must differ between the components:
// a session serves one module by each name.
func (b *Builder) daggerModule(ctx context.Context, in inputs) (*Pipeline, error) {
	c := in.c
	tree := b.dir(in.tree)
	mod := tree.AsModule(dagger.DirectoryAsModuleOpts{SourceRootPath: c.Dir})
	def, err := b.serveModule(ctx, c, mod)
	if err != nil {
		return nil, err
	}
	folder := tree.Directory(c.Dir)
	if c.Dir == "." {
		folder = tree
	}
	bc, err := def.call(cmp.Or(c.Build.Function, manifest.DefaultDaggerFunction), c.Build.SourceArg, c.Build.Args)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{Files: b.client.Directory()}
	sel := bc.selection(b.client.QueryBuilder(), folder)
	switch bc.returns {
	case returnsContainer:
		img := (*dagger.Container)(nil).WithGraphQLQuery(sel)
		p.Images = []*dagger.Container{img}
		p.build = action{call: func(ctx context.Context) (string, error) {
			_, err := img.Sync(ctx)
			return "built the container " + bc.String() + " returned", err
		}}
	case returnsDirectory:
		p.Files = (*dagger.Directory)(nil).WithGraphQLQuery(sel)
		p.build = action{call: func(ctx context.Context) (string, error) {
			_, err := p.Files.Sync(ctx)
			return "built the directory " + bc.String() + " returned", err
		}}
	default:
		p.build = action{call: bc.run(sel)}
	}
	if c.Test.Function == "" {
		p.testSkip = "no test.function configured"
		return p, nil
	}
	tc, err := def.call(c.Test.Function, c.Build.SourceArg, c.Test.Args)
	if err != nil {
		return nil, err
	}
	tsel := tc.selection(b.client.QueryBuilder(), folder)
	switch tc.returns {
	case returnsContainer:
		ctr := (*dagger.Container)(nil).WithGraphQLQuery(tsel)
		p.test = action{call: func(ctx context.Context) (string, error) {
			_, err := ctr.Sync(ctx)
			return "", err
		}}
	case returnsDirectory:
		dir := (*dagger.Directory)(nil).WithGraphQLQuery(tsel)
		p.test = action{call: func(ctx context.Context) (string, error) {
			_, err := dir.Sync(ctx)
			return "", err
		}}
	default:
		p.test = action{call: tc.run(tsel)}
	}
	return p, nil
}

// serveModule loads mod, serves it in the session (once per module name:
// two components with modules of one name are an error) and reads its
// functions.
func (b *Builder) serveModule(ctx context.Context, c *manifest.Component, mod *dagger.Module) (*moduleDef, error) {
	id, err := mod.ID(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the Dagger module in %s: %w", c.Dir, err)
	}
	var resp struct {
		Module moduleDef `json:"loadModuleFromID"`
	}
	if err := b.client.Do(ctx, &dagger.Request{Query: moduleQuery(string(id))}, &dagger.Response{Data: &resp}); err != nil {
		return nil, fmt.Errorf("read the functions of the Dagger module in %s: %w", c.Dir, err)
	}
	def := &resp.Module
	b.mu.Lock()
	if b.modules == nil {
		b.modules = map[string]string{}
	}
	// Keyed by the field the module is called as: my-mod and my_mod are
	// one name to the session.
	field := strcase.ToLowerCamel(def.Name)
	other, taken := b.modules[field]
	if !taken {
		b.modules[field] = c.Name
	}
	b.mu.Unlock()
	if taken && other != c.Name {
		return nil, fmt.Errorf("the Dagger module in %s is named %q, as %s's is: a session serves one module by each name; rename one in its dagger.json", c.Dir, def.Name, other)
	}
	if err := mod.Serve(ctx); err != nil {
		return nil, fmt.Errorf("serve the Dagger module %s: %w", def.Name, err)
	}
	return def, nil
}

// moduleQuery asks for a module's name and its objects' functions.
func moduleQuery(id string) string {
	const typeRef = `kind optional asObject { name }`
	return `query { loadModuleFromID(id: ` + strconv.Quote(id) + `) { name objects { asObject { name ` +
		`constructor { args { name typeDef { ` + typeRef + ` } } } ` +
		`functions { name returnType { ` + typeRef + ` } args { name typeDef { ` + typeRef + ` } } } } } } }`
}

// moduleDef is a module's name and objects, as moduleQuery answers.
type moduleDef struct {
	Name    string `json:"name"`
	Objects []struct {
		AsObject *objectDef `json:"asObject"`
	} `json:"objects"`
}

type objectDef struct {
	Name        string    `json:"name"`
	Constructor *funcDef  `json:"constructor"`
	Functions   []funcDef `json:"functions"`
}

type funcDef struct {
	Name       string   `json:"name"`
	ReturnType typeRef  `json:"returnType"`
	Args       []argDef `json:"args"`
}

type argDef struct {
	Name    string  `json:"name"`
	TypeDef typeRef `json:"typeDef"`
}

type typeRef struct {
	Kind     dagger.TypeDefKind `json:"kind"`
	Optional bool               `json:"optional"`
	AsObject *struct {
		Name string `json:"name"`
	} `json:"asObject"`
}

func (t typeRef) object() string {
	if t.Kind != dagger.TypeDefKindObjectKind || t.AsObject == nil {
		return ""
	}
	return t.AsObject.Name
}

// What a called function returns.
const (
	returnsContainer = "Container"
	returnsDirectory = "Directory"
	returnsString    = "String"
	returnsVoid      = "Void"
)

// moduleCall is one call of a module's function: the module's
// constructor field, the function's field, its arguments other than the
// source, and what it returns.
type moduleCall struct {
	module, ctor, fn string
	source           string // the argument the component's folder is passed as
	args             []callArg
	returns          string
}

type callArg struct {
	name  string
	value any // string, int, float64 or bool, as the argument's type
}

// String names the call as `dagger call` would: module.function.
func (mc moduleCall) String() string { return mc.module + "." + strcase.ToKebab(mc.fn) }

// call resolves a call of function fn (as `dagger call` spells it or as
// the module declares it), with the component's folder as argument
// source (default "source") and args converted to the arguments' types.
func (m *moduleDef) call(fn, source string, args map[string]string) (moduleCall, error) {
	main := m.mainObject()
	if main == nil {
		return moduleCall{}, fmt.Errorf("the Dagger module %s has no object %s with its functions", m.Name, strcase.ToCamel(m.Name))
	}
	mc := moduleCall{module: m.Name, ctor: strcase.ToLowerCamel(m.Name), fn: strcase.ToLowerCamel(fn), source: strcase.ToLowerCamel(cmp.Or(source, manifest.DefaultSourceArg))}
	if main.Constructor != nil {
		for _, a := range main.Constructor.Args {
			if !a.TypeDef.Optional {
				return moduleCall{}, fmt.Errorf("the Dagger module %s's constructor needs the argument %s; monopipe calls it with none: make it optional", m.Name, strcase.ToKebab(a.Name))
			}
		}
	}
	var f *funcDef
	var names []string
	for i := range main.Functions {
		names = append(names, strcase.ToKebab(main.Functions[i].Name))
		if main.Functions[i].Name == mc.fn {
			f = &main.Functions[i]
		}
	}
	if f == nil {
		slices.Sort(names)
		return moduleCall{}, fmt.Errorf("the Dagger module %s has no function %s (its functions: %s)", m.Name, fn, strings.Join(names, ", "))
	}
	switch k := f.ReturnType.Kind; {
	case f.ReturnType.object() == returnsContainer || f.ReturnType.object() == returnsDirectory:
		mc.returns = f.ReturnType.object()
	case k == dagger.TypeDefKindStringKind:
		mc.returns = returnsString
	case k == dagger.TypeDefKindVoidKind:
		mc.returns = returnsVoid
	default:
		what := cmp.Or(f.ReturnType.object(), strings.TrimSuffix(string(k), "_KIND"))
		return moduleCall{}, fmt.Errorf("%s returns %s; monopipe takes a Container (an image), a Directory (files), a string or nothing", mc, what)
	}
	given := map[string]string{} // field name → as the manifest spells it
	for _, name := range slices.Sorted(maps.Keys(args)) {
		field := strcase.ToLowerCamel(name)
		if other, twice := given[field]; twice {
			return moduleCall{}, fmt.Errorf("%s: args %s and %s name the same argument", mc, other, name)
		}
		if field == mc.source {
			return moduleCall{}, fmt.Errorf("%s: args %s is the component's folder (build.sourceArg): monopipe passes it", mc, name)
		}
		given[field] = name
	}
	var valid []string
	sourceFound := false
	for _, a := range f.Args {
		valid = append(valid, strcase.ToKebab(a.Name))
		if a.Name != mc.source {
			continue
		}
		if a.TypeDef.object() != "Directory" {
			return moduleCall{}, fmt.Errorf("%s takes %s as %s, not a Directory: set build.sourceArg to the argument that takes the component's folder", mc, strcase.ToKebab(a.Name), cmp.Or(a.TypeDef.object(), strings.TrimSuffix(string(a.TypeDef.Kind), "_KIND")))
		}
		sourceFound = true
	}
	if !sourceFound {
		return moduleCall{}, fmt.Errorf("%s has no argument %s to take the component's folder (its arguments: %s): set build.sourceArg", mc, strcase.ToKebab(mc.source), strings.Join(valid, ", "))
	}
	for _, a := range f.Args {
		if a.Name == mc.source {
			continue
		}
		spelled, ok := given[a.Name]
		if !ok {
			if !a.TypeDef.Optional {
				return moduleCall{}, fmt.Errorf("%s needs the argument %s: set it in args", mc, strcase.ToKebab(a.Name))
			}
			continue
		}
		delete(given, a.Name)
		v, err := argValue(a, args[spelled])
		if err != nil {
			return moduleCall{}, fmt.Errorf("%s: argument %s: %w", mc, spelled, err)
		}
		mc.args = append(mc.args, callArg{name: a.Name, value: v})
	}
	if len(given) > 0 {
		unknown := slices.Sorted(maps.Values(given))
		return moduleCall{}, fmt.Errorf("%s has no argument %s (its arguments: %s)", mc, unknown[0], strings.Join(valid, ", "))
	}
	slices.SortFunc(mc.args, func(a, b callArg) int { return strings.Compare(a.name, b.name) })
	return mc, nil
}

// mainObject is the object named after the module, whose functions
// `dagger call` lists.
func (m *moduleDef) mainObject() *objectDef {
	want := strcase.ToCamel(m.Name)
	for _, o := range m.Objects {
		if o.AsObject != nil && o.AsObject.Name == want {
			return o.AsObject
		}
	}
	return nil
}

// argValue converts a manifest's string to the argument's type.
func argValue(a argDef, s string) (any, error) {
	switch a.TypeDef.Kind {
	case dagger.TypeDefKindStringKind:
		return s, nil
	case dagger.TypeDefKindIntegerKind:
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		return n, nil
	case dagger.TypeDefKindFloatKind:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		// The query is written with %f (six decimals): refuse what that
		// would change rather than send another value.
		if back, _ := strconv.ParseFloat(fmt.Sprintf("%f", f), 64); back != f {
			return nil, fmt.Errorf("%q has more than six decimals, which the call cannot carry", s)
		}
		return f, nil
	case dagger.TypeDefKindBooleanKind:
		v, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", s)
		}
		return v, nil
	}
	return nil, fmt.Errorf("takes %s; args gives strings, numbers and booleans only", cmp.Or(a.TypeDef.object(), strings.TrimSuffix(string(a.TypeDef.Kind), "_KIND")))
}

// selection is the call on root (the client's query): the module's
// constructor, then the function with source and the arguments.
func (mc moduleCall) selection(root *querybuilder.Selection, source any) *querybuilder.Selection {
	q := root.Select(mc.ctor).Select(mc.fn).Arg(mc.source, source)
	for _, a := range mc.args {
		q = q.Arg(a.name, a.value)
	}
	return q
}

// run is the step that executes a call returning a string (its output)
// or nothing; the function fails the step by returning an error.
func (mc moduleCall) run(sel *querybuilder.Selection) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if mc.returns == returnsVoid {
			return "", sel.Execute(ctx)
		}
		var out string
		err := sel.Bind(&out).Execute(ctx)
		return out, err
	}
}
