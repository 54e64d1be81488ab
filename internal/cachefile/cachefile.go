// Package cachefile reads and writes the small binary caches monopipe
// keeps under the git folder between runs: a file is a magic line, a body
// of varints and strings, and a CRC-32C of both; it is written to a
// temporary name and renamed into place, so readers see a whole old file
// or a whole new one. A file that is absent, corrupt or of another format
// reads as nothing: callers then do the work and write a new one.
package cachefile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"time"
	"unsafe"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Read returns a decoder for the body of file when the file exists, starts
// with magic and is whole; nil otherwise.
func Read(file, magic string) *Decoder {
	data, err := os.ReadFile(file)
	if err != nil || len(data) < len(magic)+4 || !bytes.HasPrefix(data, []byte(magic)) {
		return nil
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, castagnoli) != binary.BigEndian.Uint32(data[len(body):]) {
		return nil
	}
	// Str returns slices of one string that shares data's memory, rather
	// than copies: data is never written again.
	return &Decoder{b: body, s: unsafe.String(unsafe.SliceData(body), len(body)), off: len(magic)}
}

// NewDecoder reads fields from b.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b, s: string(b)} }

// Decoder reads a body's fields in order, remembering the first error;
// after an error every read returns zero.
type Decoder struct {
	b   []byte
	s   string // the same bytes as b
	off int
	err error
}

// ErrFormat says that a body does not hold what its reader expects.
var ErrFormat = errors.New("bad cache file")

// Err is the first error met, or nil.
func (d *Decoder) Err() error { return d.err }

// Offset is how far into the body the decoder has read.
func (d *Decoder) Offset() int { return d.off }

// At is a new decoder of the same body from off (an Offset of d's): it
// reads again what d read from there.
func (d *Decoder) At(off int) *Decoder {
	a := &Decoder{b: d.b, s: d.s, off: off}
	if off < 0 || off > len(d.b) {
		a.Fail()
	}
	return a
}

// Left is how many bytes remain.
func (d *Decoder) Left() int { return len(d.b) - d.off }

// Fail records a format error and stops further reads.
func (d *Decoder) Fail() {
	d.err = ErrFormat
	d.off = len(d.b)
}

// Uint reads an unsigned varint.
func (d *Decoder) Uint() uint64 {
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.Fail()
		return 0
	}
	d.off += n
	return v
}

// Int reads a signed varint.
func (d *Decoder) Int() int64 {
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.Fail()
		return 0
	}
	d.off += n
	return v
}

// Byte reads one byte.
func (d *Decoder) Byte() byte {
	if d.off >= len(d.b) {
		d.Fail()
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

// Bytes reads n raw bytes.
func (d *Decoder) Bytes(n int) []byte {
	if n < 0 || n > d.Left() {
		d.Fail()
		return nil
	}
	d.off += n
	return d.b[d.off-n : d.off]
}

// Str reads a length-prefixed string.
func (d *Decoder) Str() string {
	n := d.Uint()
	if n > uint64(d.Left()) {
		d.Fail()
		return ""
	}
	d.off += int(n)
	return d.s[d.off-int(n) : d.off]
}

// Count reads an element count, failing when the rest of the body could
// not hold that many elements of at least one byte each (so corrupt input
// never makes a huge allocation).
func (d *Decoder) Count() int {
	n := d.Uint()
	if n > uint64(d.Left()) {
		d.Fail()
		return 0
	}
	return int(n)
}

// AppendStr appends a length-prefixed string.
func AppendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Program identifies this build of the running program (its path, size
// and modification time), for caches whose entries are worked out by code
// that a new build may change; "" when it cannot be identified: such a
// cache is then not kept.
func Program() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	st, err := os.Stat(exe)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s %d %d", exe, st.Size(), st.ModTime().UnixNano())
}

// Writer is a cache file being written under a temporary name.
type Writer struct {
	f          *os.File
	tmp, final string
	// Start is the file system's time when the writer was made (the
	// temporary file's mtime), in nanoseconds since the epoch.
	Start int64
}

// Create starts writing file (making its folder if need be); nil when it
// cannot, a read-only .git say: the caller then simply keeps no cache.
func Create(file string) *Writer {
	tmp := fmt.Sprintf("%s.%d-%d.tmp", file, os.Getpid(), time.Now().UnixNano())
	const flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	f, err := os.OpenFile(tmp, flags, 0o644)
	if errors.Is(err, fs.ErrNotExist) && os.MkdirAll(filepath.Dir(file), 0o755) == nil {
		f, err = os.OpenFile(tmp, flags, 0o644)
	}
	if err != nil {
		return nil
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return nil
	}
	return &Writer{f: f, tmp: tmp, final: file, Start: st.ModTime().UnixNano()}
}

// Discard removes the temporary file; w may be nil.
func (w *Writer) Discard() {
	if w != nil {
		w.f.Close()
		os.Remove(w.tmp)
	}
}

// Commit writes magic, body and the checksum, and puts the file in place
// of the previous one (os.Rename replaces it on every system, Windows
// included). body must start with magic.
func (w *Writer) Commit(body []byte) error {
	b := binary.BigEndian.AppendUint32(body, crc32.Checksum(body, castagnoli))
	if _, err := w.f.Write(b); err != nil {
		w.Discard()
		return fmt.Errorf("write %s: %w", w.tmp, err)
	}
	if err := w.f.Close(); err != nil {
		os.Remove(w.tmp)
		return fmt.Errorf("write %s: %w", w.tmp, err)
	}
	if err := os.Rename(w.tmp, w.final); err != nil {
		os.Remove(w.tmp)
		return fmt.Errorf("write %s: %w", w.final, err)
	}
	return nil
}
