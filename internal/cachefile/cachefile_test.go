package cachefile

import (
	"bytes"
	"maps"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/quick"

	"github.com/monopipe/monopipe/pipelines/manifest"
)

// TestValueRoundTrip checks that every manifest.Component, including nil
// against empty slices and maps and pointers to false, reads back exactly
// as written.
func TestValueRoundTrip(t *testing.T) {
	f := false
	values := []manifest.Component{
		{},
		{Name: "a", DependsOn: []string{}, Lines: map[string]int{}, Release: manifest.Release{Deploy: &f}},
		{Name: "b", DependsOn: []string{"x", ""}, Build: manifest.Build{Args: map[string]string{"k": "", "": "v"}}},
	}
	rnd := rand.New(rand.NewSource(1))
	for i := 0; i < 300; i++ {
		v, ok := quick.Value(reflect.TypeFor[manifest.Component](), rnd)
		if !ok {
			t.Fatal("cannot generate a manifest.Component")
		}
		values = append(values, v.Interface().(manifest.Component))
	}
	for i, want := range values {
		b, err := AppendValue(nil, reflect.ValueOf(want))
		if err != nil {
			t.Fatalf("value %d: %v", i, err)
		}
		var got manifest.Component
		d := NewDecoder(b)
		if d.Value(reflect.ValueOf(&got).Elem()); d.Err() != nil || d.Left() != 0 {
			t.Fatalf("value %d: err %v, %d bytes left", i, d.Err(), d.Left())
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("value %d changed:\n got %#v\nwant %#v", i, got, want)
		}
	}
}

func TestValueRefusesWhatItCannotKeep(t *testing.T) {
	type unexported struct{ a int }
	type withFloat struct{ F float64 }
	type withAny struct{ A any }
	for _, v := range []any{unexported{}, withFloat{F: 1}, withAny{A: 1}} {
		if _, err := AppendValue(nil, reflect.ValueOf(v)); err == nil {
			t.Errorf("%T: no error", v)
		}
	}
}

func TestTypeKeyChangesWithLayout(t *testing.T) {
	type a struct{ X, Y string }
	type b struct{ X, Z string }
	type c struct {
		X string
		Y int
	}
	ka, kb, kc := TypeKey(reflect.TypeFor[a]()), TypeKey(reflect.TypeFor[b]()), TypeKey(reflect.TypeFor[c]())
	if ka == kb || ka == kc || kb == kc {
		t.Errorf("keys collide: %q %q %q", ka, kb, kc)
	}
}

func TestFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sub", "cache")
	const magic = "test cache 1\n"
	w := Create(file)
	if w == nil {
		t.Fatal("Create failed")
	}
	if w.Start == 0 {
		t.Error("no start time")
	}
	body := AppendStr([]byte(magic), "hello")
	if err := w.Commit(body); err != nil {
		t.Fatal(err)
	}
	if d := Read(file, magic); d == nil || d.Str() != "hello" || d.Left() != 0 {
		t.Fatal("cannot read back")
	}
	if Read(file, "other cache 1\n") != nil {
		t.Error("read with another magic")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0x10
		if err := os.WriteFile(file, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		if Read(file, magic) != nil {
			t.Errorf("byte %d flipped: still read", i)
		}
	}
	if err := os.WriteFile(file, data[:len(data)-1], 0o644); err != nil {
		t.Fatal(err)
	}
	if Read(file, magic) != nil {
		t.Error("truncated file read")
	}
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	// A writer that is discarded leaves nothing behind.
	Create(file).Discard()
	if entries, _ := os.ReadDir(filepath.Dir(file)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	// No folder can be made: no writer, no panic.
	if Create(filepath.Join(file, "under-a-file", "cache")) != nil {
		t.Error("writer made under a file")
	}
}

// TestDecoderAt: a decoder made At an offset reads again what was read
// from there; an offset outside the body fails.
func TestDecoderAt(t *testing.T) {
	d := NewDecoder(AppendStr(AppendStr(nil, "first"), "second"))
	d.Str()
	off := d.Offset()
	if got := d.Str(); got != "second" || d.Left() != 0 {
		t.Fatalf("read %q, %d left", got, d.Left())
	}
	if got := d.At(off).Str(); got != "second" {
		t.Errorf("At(%d) reads %q, want second", off, got)
	}
	if got := d.At(0).Str(); got != "first" {
		t.Errorf("At(0) reads %q, want first", got)
	}
	for _, bad := range []int{-1, 100} {
		if a := d.At(bad); a.Str() != "" || a.Err() == nil {
			t.Errorf("At(%d): no error", bad)
		}
	}
}

// TestValueOneEncoding: a value has one encoding whatever its maps'
// order, since encodings are cache keys (the digest memo's).
func TestValueOneEncoding(t *testing.T) {
	env := map[string]string{}
	for _, k := range []string{"A", "B", "C", "D", "E", "F", "G", "H"} {
		env[k] = k + "v"
	}
	c := manifest.Component{Name: "a", Build: manifest.Build{Env: env}}
	first, err := AppendValue(nil, reflect.ValueOf(c))
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		again, _ := AppendValue(nil, reflect.ValueOf(manifest.Component{Name: "a", Build: manifest.Build{Env: maps.Clone(env)}}))
		if !bytes.Equal(again, first) {
			t.Fatal("the same value encoded two ways")
		}
	}
}
