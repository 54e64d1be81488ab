package detect

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monopipe/monopipe/internal/gittest"
)

// indexFile returns the index git wrote for a small repository, in the
// given version.
func indexFile(t testing.TB, version string) []byte {
	r := gittest.New(t)
	r.Commit("base", map[string]string{"a/x.go": "x\n", "b/y.txt": "y\n", "readme": "r\n"})
	r.Write(map[string]string{"new.txt": "n\n"})
	r.Git("add", "-N", "new.txt")
	r.Git("update-index", "--index-version", version)
	data, err := os.ReadFile(filepath.Join(r.Dir, ".git", "index"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// corruptIndexes are broken versions of a good index, by what is wrong.
func corruptIndexes(good []byte) map[string][]byte {
	huge := append([]byte(nil), good...)
	binary.BigEndian.PutUint32(huge[8:], 0xFFFFFFF0)
	badExt := append([]byte(nil), good...)
	// The last extension's size, made larger than the file.
	if i := strings.LastIndex(string(badExt), "TREE"); i > 0 {
		binary.BigEndian.PutUint32(badExt[i+4:], 0xFFFFFFFF)
	}
	return map[string][]byte{
		"entry count larger than the file": huge,
		"truncated in an entry":            good[:40],
		"truncated in the middle":          good[:len(good)/2],
		"extension larger than the file":   badExt,
		"not an index":                     []byte("not an index at all, but long enough to have a header"),
		"empty":                            {},
	}
}

// TestCorruptIndex checks that a broken index gives an error naming the
// index file, not a crash or a huge allocation.
func TestCorruptIndex(t *testing.T) {
	good := indexFile(t, "2")
	for name, data := range corruptIndexes(good) {
		t.Run(name, func(t *testing.T) {
			r := newBase(t)
			file := filepath.Join(r.Dir, ".git", "index")
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			repo, err := Open(r.Dir)
			if err != nil {
				t.Fatal(err)
			}
			defer repo.Close()
			_, err = repo.Changes(context.Background(), Range{BaseBranch: "main"})
			if err == nil || !strings.Contains(err.Error(), file) {
				t.Fatalf("err = %v, want an error naming %s", err, file)
			}
		})
	}
}

// FuzzParseIndex feeds the index reader arbitrary bytes: it must return
// an index or an error, never panic or allocate beyond the input's size.
// The seeds (run by every go test) are real indexes of each version and
// broken ones.
func FuzzParseIndex(f *testing.F) {
	for _, v := range []string{"2", "3", "4"} {
		good := indexFile(f, v)
		f.Add(good)
		for _, bad := range corruptIndexes(good) {
			f.Add(bad)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, err := parseIndex(data)
		if err != nil {
			return
		}
		if len(idx.entries) > len(data)/minEntrySize {
			t.Fatalf("%d entries from %d bytes", len(idx.entries), len(data))
		}
		idx.rootTree()
		_, _ = idx.cacheTrees()
	})
}
