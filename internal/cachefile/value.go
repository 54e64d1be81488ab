package cachefile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// AppendValue appends an exact encoding of v: strings, booleans, integers,
// pointers, slices, maps and structs of those, keeping nil apart from
// empty and a pointer to a zero value apart from nil (which gob and JSON
// without tags do not all do, and JSON is slower to read than parsing
// YAML). A struct's zero fields take no room. Any other kind, or an
// unexported struct field, is an error: the value then cannot be cached.
func AppendValue(b []byte, v reflect.Value) ([]byte, error) {
	var err error
	switch v.Kind() {
	case reflect.String:
		return AppendStr(b, v.String()), nil
	case reflect.Bool:
		if v.Bool() {
			return append(b, 1), nil
		}
		return append(b, 0), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(b, v.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return binary.AppendUvarint(b, v.Uint()), nil
	case reflect.Pointer:
		if v.IsNil() {
			return append(b, 0), nil
		}
		return AppendValue(append(b, 1), v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return append(b, 0), nil
		}
		b = binary.AppendUvarint(b, uint64(v.Len())+1)
		for i := 0; i < v.Len() && err == nil; i++ {
			b, err = AppendValue(b, v.Index(i))
		}
		return b, err
	case reflect.Map:
		if v.IsNil() {
			return append(b, 0), nil
		}
		b = binary.AppendUvarint(b, uint64(v.Len())+1)
		// In the order of the keys' encodings: one value, one encoding
		// (the bytes are a cache key too), whatever the map's order.
		type entry struct {
			key []byte
			val reflect.Value
		}
		entries := make([]entry, 0, v.Len())
		for it := v.MapRange(); it.Next(); {
			k, err := AppendValue(nil, it.Key())
			if err != nil {
				return nil, err
			}
			entries = append(entries, entry{k, it.Value()})
		}
		slices.SortFunc(entries, func(x, y entry) int { return bytes.Compare(x.key, y.key) })
		for _, e := range entries {
			if b, err = AppendValue(append(b, e.key...), e.val); err != nil {
				return nil, err
			}
		}
		return b, nil
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField() && err == nil; i++ {
			if !t.Field(i).IsExported() {
				return nil, fmt.Errorf("cannot cache %s: field %s is not exported", t, t.Field(i).Name)
			}
			if f := v.Field(i); !f.IsZero() {
				b, err = AppendValue(binary.AppendUvarint(b, uint64(i)+1), f)
			}
		}
		return append(b, 0), err
	}
	return nil, fmt.Errorf("cannot cache a %s", v.Type())
}

// Value reads into v (settable, holding its zero value) what AppendValue
// wrote for a value of v's type.
func (d *Decoder) Value(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(d.Str())
	case reflect.Bool:
		v.SetBool(d.Byte() == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(d.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(d.Uint())
	case reflect.Pointer:
		if d.Byte() == 1 {
			p := reflect.New(v.Type().Elem())
			d.Value(p.Elem())
			v.Set(p)
		}
	case reflect.Slice:
		if n := d.Count(); n > 0 {
			s := reflect.MakeSlice(v.Type(), n-1, n-1)
			for i := 0; i < n-1 && d.err == nil; i++ {
				d.Value(s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Map:
		if n := d.Count(); n > 0 {
			t := v.Type()
			m := reflect.MakeMapWithSize(t, n-1)
			for i := 0; i < n-1 && d.err == nil; i++ {
				k, e := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
				d.Value(k)
				d.Value(e)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	case reflect.Struct:
		for i := d.Uint(); i > 0 && d.err == nil; i = d.Uint() {
			if i > uint64(v.NumField()) {
				d.Fail()
				return
			}
			d.Value(v.Field(int(i - 1)))
		}
	default:
		d.Fail()
	}
}

// TypeKey describes t's layout (field names and kinds, recursively), so
// that a cache written for another layout is not read.
func TypeKey(t reflect.Type) string {
	var sb strings.Builder
	var walk func(t reflect.Type, depth int)
	walk = func(t reflect.Type, depth int) {
		sb.WriteString(t.Kind().String())
		if depth > 32 {
			return
		}
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice:
			sb.WriteByte('<')
			walk(t.Elem(), depth+1)
			sb.WriteByte('>')
		case reflect.Map:
			sb.WriteByte('<')
			walk(t.Key(), depth+1)
			sb.WriteByte(',')
			walk(t.Elem(), depth+1)
			sb.WriteByte('>')
		case reflect.Struct:
			sb.WriteByte('{')
			for i := 0; i < t.NumField(); i++ {
				sb.WriteString(t.Field(i).Name)
				sb.WriteByte(' ')
				walk(t.Field(i).Type, depth+1)
				sb.WriteByte(';')
			}
			sb.WriteByte('}')
		}
	}
	walk(t, 0)
	return sb.String()
}
