package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// decodeStrict parses data once into a node tree, rejects keys that v's type
// does not declare, then decodes into v. Every error names file and line.
func decodeStrict(name string, data []byte, v any) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s:%s", name, yamlMessage(err))
	}
	var next yaml.Node
	if err := dec.Decode(&next); err != io.EOF {
		if err != nil {
			return nil, fmt.Errorf("%s:%s", name, yamlMessage(err))
		}
		return nil, fmt.Errorf("%s:%d: a second YAML document; a manifest holds one", name, next.Line)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode}, nil // empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: expected a mapping of keys, found %s", name, root.Line, nodeKind(root))
	}
	if err := checkKeys(name, root, reflect.TypeOf(v).Elem()); err != nil {
		return nil, err
	}
	if err := root.Decode(v); err != nil {
		return nil, fmt.Errorf("%s:%s", name, yamlMessage(err))
	}
	return root, nil
}

// yamlMessage turns yaml.v3's "yaml: line 3: msg" into "3: msg", with a
// correct line: yaml.v3 prints parser errors ("did not find expected ...")
// with the 0-based line of their context, and no line at all for index 0,
// while its scanner and decoder errors are already 1-based.
func yamlMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs := make([]string, len(te.Errors))
		for i, m := range te.Errors {
			msgs[i] = strings.TrimPrefix(yamlLineRE.ReplaceAllString(m, "$1: $2"), "yaml: ")
		}
		return strings.Join(msgs, "; ")
	}
	m := err.Error()
	sm := yamlLineRE.FindStringSubmatch(m)
	if sm == nil {
		return "1: " + strings.TrimPrefix(m, "yaml: ")
	}
	line, _ := strconv.Atoi(sm[1])
	if strings.HasPrefix(sm[2], "did not find expected") {
		line++
	}
	return fmt.Sprintf("%d: %s", line, sm[2])
}

// checkKeys walks a mapping node against a struct type and reports the first
// key the struct does not declare (with the valid keys for that place).
func checkKeys(file string, n *yaml.Node, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if n.Tag == "!!null" {
				return nil
			}
			return fmt.Errorf("%s:%d: expected a mapping, found %s", file, n.Line, nodeKind(n))
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				return fmt.Errorf("%s:%d: unknown key %q (valid keys: %s)", file, k.Line, k.Value, validKeys(fields))
			}
			if err := checkKeys(file, val, ft); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for _, item := range n.Content {
				if err := checkKeys(file, item, t.Elem()); err != nil {
					return err
				}
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 1; i < len(n.Content); i += 2 {
				if err := checkKeys(file, n.Content[i], t.Elem()); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

func yamlFields(t reflect.Type) map[string]reflect.Type {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	f := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := strings.Split(sf.Tag.Get("yaml"), ",")
		switch {
		case tag[0] == "-" || !sf.IsExported():
		case len(tag) > 1 && tag[1] == "inline":
			for k, v := range yamlFields(sf.Type) {
				f[k] = v
			}
		case tag[0] != "":
			f[tag[0]] = sf.Type
		default:
			f[strings.ToLower(sf.Name)] = sf.Type
		}
	}
	fieldCache.Store(t, f)
	return f
}

func validKeys(fields map[string]reflect.Type) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}

func lineOf(root *yaml.Node, key string) int {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key {
			return root.Content[i+1].Line
		}
	}
	return 0
}

// seqItems are the items of the list under key (none when key is absent
// or not a list).
func seqItems(root *yaml.Node, key string) []*yaml.Node {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key && root.Content[i+1].Kind == yaml.SequenceNode {
			return root.Content[i+1].Content
		}
	}
	return nil
}

func dependsOnLines(root *yaml.Node) map[string]int {
	lines := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "dependsOn" {
			for _, item := range root.Content[i+1].Content {
				lines[item.Value] = item.Line
			}
		}
	}
	return lines
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
