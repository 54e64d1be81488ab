package detect

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
)

// mergeShared completes a split index (core.splitIndex): its "link"
// extension names a shared index, <git dir>/sharedindex.<hash>, and two
// bitmaps over the shared index's entries: those deleted, and those
// replaced by this index's first entries (stored with empty names). The
// rest of this index's entries are added. The cache tree is this
// index's own. This is git's merge_base_index.
func (idx *gitIndex) mergeShared(gitDir string) error {
	link := idx.link
	if len(link) < 20 {
		return errors.New("bad link extension")
	}
	var h plumbing.Hash
	copy(h[:], link[:20])
	if h.IsZero() {
		return nil // no shared index: this one holds every entry
	}
	file := filepath.Join(gitDir, "sharedindex."+h.String())
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read shared index: %w", err)
	}
	shared, err := parseIndex(data)
	if err != nil {
		return fmt.Errorf("read shared index %s: %w", file, err)
	}
	if shared.link != nil {
		return fmt.Errorf("shared index %s is itself split", file)
	}
	deleted, rest, err := ewahBits(link[20:])
	if err != nil {
		return fmt.Errorf("link extension: delete bitmap: %w", err)
	}
	replaced, _, err := ewahBits(rest)
	if err != nil {
		return fmt.Errorf("link extension: replace bitmap: %w", err)
	}
	base := shared.entries
	drop := make([]bool, len(base))
	for _, pos := range deleted {
		if pos >= len(base) {
			return fmt.Errorf("link extension: deletes entry %d of %d", pos, len(base))
		}
		drop[pos] = true
	}
	own := idx.entries
	if len(replaced) > len(own) {
		return errors.New("link extension: more replacements than entries")
	}
	for k, pos := range replaced {
		if pos >= len(base) {
			return fmt.Errorf("link extension: replaces entry %d of %d", pos, len(base))
		}
		if own[k].name != "" {
			return fmt.Errorf("link extension: replacing entry %d has a name", k)
		}
		e := own[k]
		e.name = base[pos].name
		base[pos] = e
	}
	out := make([]entry, 0, len(base)+len(own)-len(replaced))
	for i, e := range base {
		if !drop[i] {
			out = append(out, e)
		}
	}
	// The added entries replace shared ones of the same name and stage.
	for _, e := range own[len(replaced):] {
		i := sort.Search(len(out), func(i int) bool {
			return out[i].name > e.name || out[i].name == e.name && out[i].stage >= e.stage
		})
		if i < len(out) && out[i].name == e.name && out[i].stage == e.stage {
			out[i] = e
			continue
		}
		out = append(out, entry{})
		copy(out[i+1:], out[i:])
		out[i] = e
	}
	idx.entries = out
	return nil
}

// ewahBits decodes a bitmap in git's EWAH format (32-bit bit count and
// word count, 64-bit words, 32-bit position of the last marker word; all
// big-endian) into the positions of its set bits, and returns the bytes
// after it.
func ewahBits(b []byte) ([]int, []byte, error) {
	if len(b) < 8 {
		return nil, nil, errors.New("truncated")
	}
	nbits := int(binary.BigEndian.Uint32(b))
	nwords := int(binary.BigEndian.Uint32(b[4:]))
	b = b[8:]
	if nwords < 0 || nwords > len(b)/8 || len(b) < nwords*8+4 {
		return nil, nil, errors.New("truncated")
	}
	words := b[:nwords*8]
	rest := b[nwords*8+4:]
	var bits []int
	pos := 0
	for i := 0; i < nwords; {
		rlw := binary.BigEndian.Uint64(words[i*8:])
		i++
		run := int(rlw >> 1 & 0xffffffff)
		literals := int(rlw >> 33)
		if rlw&1 != 0 {
			if run*64 > nbits+64 { // every bit of the run is set: bound it
				return nil, nil, errors.New("run past the end")
			}
			for k := 0; k < run*64; k++ {
				bits = append(bits, pos+k)
			}
		}
		pos += run * 64
		for k := 0; k < literals; k++ {
			if i >= nwords {
				return nil, nil, errors.New("truncated literal words")
			}
			w := binary.BigEndian.Uint64(words[i*8:])
			i++
			for bit := 0; bit < 64; bit++ {
				if w&(1<<bit) != 0 {
					bits = append(bits, pos+bit)
				}
			}
			pos += 64
		}
	}
	for len(bits) > 0 && bits[len(bits)-1] >= nbits {
		bits = bits[:len(bits)-1]
	}
	return bits, rest, nil
}
