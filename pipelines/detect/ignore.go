package detect

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// rootPatterns are the ignore rules that apply everywhere: the user's
// global excludes file and .git/info/exclude.
func rootPatterns(gitDir string) ([]gitignore.Pattern, error) {
	ps, _ := gitignore.LoadGlobalPatterns(osfs.New("/"))
	data, err := os.ReadFile(filepath.Join(gitDir, "info", "exclude"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(gitDir, "info", "exclude"), err)
	}
	return append(ps, parsePatterns(data, nil)...), nil
}

// parsePatterns parses the lines of an ignore file found in the folder
// domain.
func parsePatterns(data []byte, domain []string) []gitignore.Pattern {
	var ps []gitignore.Pattern
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(line, domain))
	}
	return ps
}
