package gitparity

import (
	"fmt"
	"strings"
)

// Mismatch is how a detector's paths differ from git's.
type Mismatch struct {
	// Missing are paths git reports and the detector does not: the
	// detector would skip work it must do.
	Missing []string
	// Extra are paths the detector reports and git does not.
	Extra []string
}

// Compare compares the detector's paths (got) with git's (want) as sets:
// both must hold exactly the same paths. Nil means they agree.
func Compare(want, got []string) *Mismatch {
	w := map[string]bool{}
	for _, p := range want {
		w[p] = true
	}
	g := map[string]bool{}
	var m Mismatch
	for _, p := range got {
		if g[p] {
			continue
		}
		g[p] = true
		if !w[p] {
			m.Extra = append(m.Extra, p)
		}
	}
	for _, p := range want {
		if !g[p] {
			m.Missing = append(m.Missing, p)
			g[p] = true // once, if want repeats it
		}
	}
	if m.Missing == nil && m.Extra == nil {
		return nil
	}
	m.Missing, m.Extra = sortUnique(m.Missing), sortUnique(m.Extra)
	return &m
}

// String shows the mismatch with quoted paths.
func (m *Mismatch) String() string {
	var parts []string
	if len(m.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("missing (git reports, detector does not): %q", m.Missing))
	}
	if len(m.Extra) > 0 {
		parts = append(parts, fmt.Sprintf("extra (detector reports, git does not): %q", m.Extra))
	}
	return strings.Join(parts, "; ")
}
