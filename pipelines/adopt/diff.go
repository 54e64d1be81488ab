package adopt

import (
	"fmt"
	"io"
	"strings"
)

// WriteDiff writes the proposal as a unified diff (git apply reads it): a
// new file against /dev/null, an existing one replaced as a whole.
func (p *Proposal) WriteDiff(w io.Writer) error {
	for _, f := range p.Files {
		if err := writeFileDiff(w, f); err != nil {
			return err
		}
	}
	return nil
}

func writeFileDiff(w io.Writer, f File) error {
	old, new := lines(f.Old), lines(f.New)
	from := "a/" + f.Path
	if !f.Exists {
		from = "/dev/null"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s\n+++ b/%s\n@@ -%s +%s @@\n", from, f.Path, hunkRange(len(old)), hunkRange(len(new)))
	for _, l := range old {
		b.WriteString("-" + l + "\n")
	}
	for _, l := range new {
		b.WriteString("+" + l + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func hunkRange(n int) string {
	if n == 0 {
		return "0,0"
	}
	return fmt.Sprintf("1,%d", n)
}

func lines(data []byte) []string {
	if len(data) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}
