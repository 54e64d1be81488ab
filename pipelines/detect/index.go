package detect

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"unsafe"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// entry is one index entry, with the stat data that status compares
// (git's struct stat_data: every field truncated to 32 bits).
type entry struct {
	name                string
	hash                plumbing.Hash
	mode                filemode.FileMode
	ctimeSec, ctimeNsec uint32
	mtimeSec, mtimeNsec uint32
	dev, ino            uint32
	uid, gid            uint32
	size                uint32
	stage               uint8
	assumeValid         bool // CE_VALID: "git update-index --assume-unchanged"
	skipWorktree        bool
	intentToAdd         bool
}

// minEntrySize is the smallest an index entry can be on disk: 62 bytes of
// stat data, id and flags (the name's NUL and padding come on top).
const minEntrySize = 62

// gitIndex is the parts of .git/index that status needs.
type gitIndex struct {
	entries []entry
	// treeExt is the cache-tree extension, parsed into trees on demand:
	// a clean tree needs only its first record (see rootTree).
	treeExt []byte
	trees   map[string]plumbing.Hash
	link    []byte // the split index's "link" extension, nil if none
}

// cacheTrees maps folder paths ("" for the root) to the tree hash the
// index recorded for them (the cache-tree), where that record is valid.
func (idx *gitIndex) cacheTrees() (map[string]plumbing.Hash, error) {
	if idx.trees == nil {
		idx.trees = map[string]plumbing.Hash{}
		if err := parseCacheTree(idx.treeExt, idx.trees); err != nil {
			return nil, fmt.Errorf("read git index: %w", err)
		}
	}
	return idx.trees, nil
}

// rootTree is the cache-tree's hash of the whole tree, when valid, read
// without parsing the rest.
func (idx *gitIndex) rootTree() (plumbing.Hash, bool) {
	if idx.trees != nil {
		h, ok := idx.trees[""]
		return h, ok
	}
	r, err := cacheTreeRecord(idx.treeExt)
	return r.hash, err == nil && r.count >= 0
}

var (
	errIndexFormat = errors.New("unsupported index format")
)

// readIndex reads the index file. It reads versions 2 to 4 with SHA-1 and
// the cache-tree extension directly (go-git's decoder reads each field with
// reflection, ten times slower on large trees), hands other versions to
// go-git's decoder, and merges a split index with its shared index (see
// mergeShared). A sparse index's sparse-directory entries are read as
// entries named "dir/" (see isSparseDir).
func readIndex(file string) (*gitIndex, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return &gitIndex{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read git index: %w", err)
	}
	idx, err := parseIndex(data)
	if errors.Is(err, errIndexFormat) {
		return decodeWithGoGit(data)
	}
	if err == nil && idx.link != nil {
		err = idx.mergeShared(filepath.Dir(file))
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
	count := binary.BigEndian.Uint32(data[8:])
	body := data[:len(data)-hashLen]
	// Bound the allocation by what the file can hold: a corrupt header
	// must give an error, not exhaust memory.
	if uint64(count) > uint64(len(body)-12)/minEntrySize {
		return nil, fmt.Errorf("header claims %d entries, more than its %d bytes can hold", count, len(data))
	}
	n := int(count)
	// Names (versions 2 and 3) are slices of one string that shares data's
	// memory, rather than 48,000 copies: data is never written again.
	var all string
	if version < 4 {
		all = unsafe.String(unsafe.SliceData(body), len(body))
	}
	idx := &gitIndex{entries: make([]entry, n)}
	off := 12
	prev := ""
	for i := 0; i < n; i++ {
		start := off
		if off+minEntrySize > len(body) {
			return nil, fmt.Errorf("entry %d of %d truncated", i+1, n)
		}
		b := body[off:]
		e := &idx.entries[i]
		e.ctimeSec = binary.BigEndian.Uint32(b[0:])
		e.ctimeNsec = binary.BigEndian.Uint32(b[4:])
		e.mtimeSec = binary.BigEndian.Uint32(b[8:])
		e.mtimeNsec = binary.BigEndian.Uint32(b[12:])
		e.dev = binary.BigEndian.Uint32(b[16:])
		e.ino = binary.BigEndian.Uint32(b[20:])
		e.mode = filemode.FileMode(binary.BigEndian.Uint32(b[24:]))
		e.uid = binary.BigEndian.Uint32(b[28:])
		e.gid = binary.BigEndian.Uint32(b[32:])
		e.size = binary.BigEndian.Uint32(b[36:])
		copy(e.hash[:], b[40:60])
		flags := binary.BigEndian.Uint16(b[60:])
		e.stage = uint8(flags>>12) & 3
		e.assumeValid = flags&0x8000 != 0
		off += minEntrySize
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
			e.name = all[off : off+end]
			off = start + (off+end-start+8)/8*8 // NUL padding to 8 bytes
		}
		prev = e.name
	}
	for off+8 <= len(body) {
		sig, size32 := string(body[off:off+4]), binary.BigEndian.Uint32(body[off+4:])
		off += 8
		if uint64(size32) > uint64(len(body)-off) {
			return nil, fmt.Errorf("extension %q truncated", sig)
		}
		size := int(size32)
		switch sig {
		case "TREE":
			idx.treeExt = body[off : off+size]
		case "link": // a split index: see readSplitIndex
			idx.link = body[off : off+size]
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

// treeRecord is one entry of the TREE extension.
type treeRecord struct {
	name            string
	count, subtrees int // count < 0: the record is invalid, with no hash
	hash            plumbing.Hash
	rest            []byte // the records after this one
}

// cacheTreeRecord reads the record at the start of b:
// "path\0count subtrees\n" then, when count >= 0, the tree hash.
func cacheTreeRecord(b []byte) (treeRecord, error) {
	nul := bytes.IndexByte(b, 0)
	nl := bytes.IndexByte(b, '\n')
	if nul < 0 || nl < nul {
		return treeRecord{}, errors.New("bad cache tree")
	}
	r := treeRecord{name: string(b[:nul])}
	nums := bytes.Fields(b[nul+1 : nl])
	if len(nums) != 2 {
		return treeRecord{}, errors.New("bad cache tree counts")
	}
	var err1, err2 error
	r.count, err1 = strconv.Atoi(string(nums[0]))
	r.subtrees, err2 = strconv.Atoi(string(nums[1]))
	if err := errors.Join(err1, err2); err != nil {
		return treeRecord{}, fmt.Errorf("bad cache tree: %w", err)
	}
	r.rest = b[nl+1:]
	if r.count >= 0 {
		if len(r.rest) < len(r.hash) {
			return treeRecord{}, errors.New("bad cache tree hash")
		}
		copy(r.hash[:], r.rest)
		r.rest = r.rest[len(r.hash):]
	}
	return r, nil
}

// parseCacheTree reads the TREE extension: records in pre-order.
func parseCacheTree(b []byte, out map[string]plumbing.Hash) error {
	var walk func(prefix string, depth int) error
	walk = func(prefix string, depth int) error {
		if depth > maxTreeDepth {
			return errors.New("cache tree nested too deep")
		}
		r, err := cacheTreeRecord(b)
		if err != nil {
			return err
		}
		b = r.rest
		p := r.name
		if prefix != "" {
			p = prefix + "/" + r.name
		}
		if r.count >= 0 {
			out[p] = r.hash
		}
		for k := 0; k < r.subtrees; k++ {
			if err := walk(p, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if len(b) == 0 {
		return nil
	}
	return walk("", 0)
}

// maxTreeDepth bounds the cache tree's nesting (a path of 4096 bytes has
// at most 2048 folders), so that a corrupt one cannot exhaust the stack.
const maxTreeDepth = 4096

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
			dev: e.Dev, ino: e.Inode, uid: e.UID, gid: e.GID, size: e.Size, stage: uint8(e.Stage),
			skipWorktree: e.SkipWorktree, intentToAdd: e.IntentToAdd,
		}
		if !e.ModifiedAt.IsZero() { // go-git decodes 0 as the zero time
			idx.entries[i].mtimeSec, idx.entries[i].mtimeNsec = uint32(e.ModifiedAt.Unix()), uint32(e.ModifiedAt.Nanosecond())
		}
		if !e.CreatedAt.IsZero() {
			idx.entries[i].ctimeSec, idx.entries[i].ctimeNsec = uint32(e.CreatedAt.Unix()), uint32(e.CreatedAt.Nanosecond())
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
