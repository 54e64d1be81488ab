package detect

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// entry is one index entry, with the stat data that status compares.
type entry struct {
	name         string
	hash         plumbing.Hash
	mode         filemode.FileMode
	mtimeSec     uint32
	mtimeNsec    uint32
	ino, size    uint32
	stage        uint8
	skipWorktree bool
	intentToAdd  bool
}

// gitIndex is the parts of .git/index that status needs.
type gitIndex struct {
	entries []entry
	// trees maps folder paths ("" for the root) to the tree hash the index
	// recorded for them (the cache-tree), where that record is valid.
	trees map[string]plumbing.Hash
}

var (
	errIndexFormat = errors.New("unsupported index format")
	errSplitIndex  = errors.New("split or sparse index")
)

// readIndex reads the index file. It reads versions 2 to 4 with SHA-1 and
// the cache-tree extension directly (go-git's decoder reads each field with
// reflection, ten times slower on large trees), hands other versions to
// go-git's decoder, and refuses split and sparse indexes, which neither
// reads, rather than guess.
func readIndex(file string) (*gitIndex, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return &gitIndex{trees: map[string]plumbing.Hash{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read git index: %w", err)
	}
	idx, err := parseIndex(data)
	if errors.Is(err, errSplitIndex) {
		return nil, fmt.Errorf("read git index %s: split or sparse indexes are not supported; run `git update-index --no-split-index` or `git sparse-checkout set --no-sparse-index`", file)
	}
	if errors.Is(err, errIndexFormat) {
		return decodeWithGoGit(data)
	}
	if err != nil {
		return nil, fmt.Errorf("read git index %s: %w", file, err)
	}
	return idx, nil
}

func parseIndex(data []byte) (*gitIndex, error) {
	const hashLen = 20
	if len(data) < 12+hashLen || string(data[:4]) != "DIRC" {
		return nil, errors.New("not a git index")
	}
	version := binary.BigEndian.Uint32(data[4:])
	if version < 2 || version > 4 {
		return nil, errIndexFormat
	}
	n := int(binary.BigEndian.Uint32(data[8:]))
	body := data[:len(data)-hashLen]
	idx := &gitIndex{entries: make([]entry, n), trees: map[string]plumbing.Hash{}}
	off := 12
	prev := ""
	for i := 0; i < n; i++ {
		start := off
		if off+62 > len(body) {
			return nil, errors.New("truncated entry")
		}
		b := body[off:]
		e := &idx.entries[i]
		e.mtimeSec = binary.BigEndian.Uint32(b[8:])
		e.mtimeNsec = binary.BigEndian.Uint32(b[12:])
		e.ino = binary.BigEndian.Uint32(b[20:])
		e.mode = filemode.FileMode(binary.BigEndian.Uint32(b[24:]))
		e.size = binary.BigEndian.Uint32(b[36:])
		copy(e.hash[:], b[40:60])
		flags := binary.BigEndian.Uint16(b[60:])
		e.stage = uint8(flags>>12) & 3
		off += 62
		if flags&0x4000 != 0 { // extended flags
			if version < 3 || off+2 > len(body) {
				return nil, errors.New("bad extended flags")
			}
			ext := binary.BigEndian.Uint16(body[off:])
			e.skipWorktree = ext&0x4000 != 0
			e.intentToAdd = ext&0x2000 != 0
			off += 2
		}
		if version == 4 {
			strip, k := varint(body[off:])
			if k == 0 || strip > uint64(len(prev)) {
				return nil, errors.New("bad path prefix")
			}
			off += k
			end := bytes.IndexByte(body[off:], 0)
			if end < 0 {
				return nil, errors.New("unterminated path")
			}
			e.name = prev[:len(prev)-int(strip)] + string(body[off:off+end])
			off += end + 1
		} else {
			end := bytes.IndexByte(body[off:], 0)
			if end < 0 {
				return nil, errors.New("unterminated path")
			}
			e.name = string(body[off : off+end])
			off = start + (off+end-start+8)/8*8 // NUL padding to 8 bytes
		}
		prev = e.name
	}
	for off+8 <= len(body) {
		sig, size := string(body[off:off+4]), int(binary.BigEndian.Uint32(body[off+4:]))
		off += 8
		if off+size > len(body) {
			return nil, errors.New("truncated extension")
		}
		switch sig {
		case "TREE":
			if err := parseCacheTree(body[off:off+size], idx.trees); err != nil {
				return nil, err
			}
		case "link", "sdir": // neither go-git nor this reader reads them
			return nil, errSplitIndex
		}
		off += size
	}
	return idx, nil
}

// varint decodes git's offset varint (index v4 path prefixes).
func varint(b []byte) (uint64, int) {
	if len(b) == 0 {
		return 0, 0
	}
	v := uint64(b[0] & 127)
	i := 1
	for b[i-1]&128 != 0 {
		if i >= len(b) {
			return 0, 0
		}
		v = (v+1)<<7 | uint64(b[i]&127)
		i++
	}
	return v, i
}

// parseCacheTree reads the TREE extension: entries in pre-order, each
// "path\0count subtrees\n" then, when count >= 0, the tree hash.
func parseCacheTree(b []byte, out map[string]plumbing.Hash) error {
	var walk func(prefix string) error
	walk = func(prefix string) error {
		nul := bytes.IndexByte(b, 0)
		nl := bytes.IndexByte(b, '\n')
		if nul < 0 || nl < nul {
			return errors.New("bad cache tree")
		}
		name := string(b[:nul])
		nums := bytes.Fields(b[nul+1 : nl])
		if len(nums) != 2 {
			return errors.New("bad cache tree counts")
		}
		count, err1 := strconv.Atoi(string(nums[0]))
		subtrees, err2 := strconv.Atoi(string(nums[1]))
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("bad cache tree: %w", err)
		}
		b = b[nl+1:]
		p := name
		if prefix != "" {
			p = prefix + "/" + name
		}
		if count >= 0 {
			if len(b) < 20 {
				return errors.New("bad cache tree hash")
			}
			var h plumbing.Hash
			copy(h[:], b[:20])
			out[p] = h
			b = b[20:]
		}
		for k := 0; k < subtrees; k++ {
			if err := walk(p); err != nil {
				return err
			}
		}
		return nil
	}
	if len(b) == 0 {
		return nil
	}
	return walk("")
}

// decodeWithGoGit reads index formats that parseIndex leaves alone.
func decodeWithGoGit(data []byte) (*gitIndex, error) {
	var gi index.Index
	if err := index.NewDecoder(bytes.NewReader(data)).Decode(&gi); err != nil {
		return nil, fmt.Errorf("read git index: %w", err)
	}
	idx := &gitIndex{entries: make([]entry, len(gi.Entries)), trees: map[string]plumbing.Hash{}}
	for i, e := range gi.Entries {
		idx.entries[i] = entry{
			name: e.Name, hash: e.Hash, mode: e.Mode,
			ino: e.Inode, size: e.Size, stage: uint8(e.Stage),
			skipWorktree: e.SkipWorktree, intentToAdd: e.IntentToAdd,
		}
		if !e.ModifiedAt.IsZero() { // go-git decodes 0 as the zero time
			idx.entries[i].mtimeSec, idx.entries[i].mtimeNsec = uint32(e.ModifiedAt.Unix()), uint32(e.ModifiedAt.Nanosecond())
		}
	}
	if gi.Cache != nil {
		var walk func(i int, prefix string) int
		walk = func(i int, prefix string) int {
			e := gi.Cache.Entries[i]
			p := e.Path
			if prefix != "" {
				p = prefix + "/" + e.Path
			}
			if e.Entries >= 0 {
				idx.trees[p] = e.Hash
			}
			i++
			for k := 0; k < e.Trees && i < len(gi.Cache.Entries); k++ {
				i = walk(i, p)
			}
			return i
		}
		if len(gi.Cache.Entries) > 0 {
			walk(0, "")
		}
	}
	return idx, nil
}
