package gitparity

import (
	"maps"
	"strings"
	"testing"
)

// Replay runs log in a new sandbox under parent and checks only the final
// state, returning the first failure of each check; between steps it runs
// the detector once per work tree with fresh caches, as the full run
// leaves them, so cache-dependent failures replay too.
func Replay(t testing.TB, parent string, cfg Config, log []string) ([]*Failure, error) {
	sb, err := NewSandbox(parent)
	if err != nil {
		return nil, err
	}
	sb.SetProcessEnv(t)
	for i, script := range log {
		sb.Run(script)
		if i == len(log)-1 {
			break
		}
		for _, dir := range sb.WorkTrees() {
			if head := sb.RevParse(dir, "HEAD"); head != "" {
				sb.ClearCaches(dir)
				_, _ = cfg.Detect(dir, head, "")
			}
		}
	}
	cfg.Checks = maps.Clone(cfg.Checks)
	var fs []*Failure
	for {
		f := Check(sb, cfg)
		if f == nil {
			return fs, nil
		}
		f.Step, f.Seed = len(log), cfg.Seed
		fs = append(fs, f)
		cfg.Checks[f.Check] = false
	}
}

// Minimize shrinks the log of f to a shorter one that still fails the
// same check (delta debugging: drop chunks while it still fails), within
// maxReplays replays. Logged exit statuses are dropped from the scripts.
func Minimize(t testing.TB, parent string, cfg Config, f *Failure, maxReplays int) *Failure {
	log := make([]string, len(f.Log))
	for i, l := range f.Log {
		log[i] = stripStatus(l)
	}
	// Check only what failed: faster, and the same failure.
	cfg.Checks = map[string]bool{f.Check: true, "linked": cfg.Checks["linked"]}
	if f.Check == "cold" {
		cfg.Checks["worktree"], cfg.Checks["commit"] = true, true
	}
	best := f
	replays := 0
	fails := func(cand []string) *Failure {
		if replays >= maxReplays {
			return nil
		}
		replays++
		gs, err := Replay(t, parent, cfg, cand)
		if err != nil || len(gs) == 0 || gs[0].Check != f.Check {
			return nil
		}
		return gs[0]
	}
	if g := fails(log); g != nil {
		best = g
	} else {
		return f // does not replay: keep the original
	}
	for chunk := len(log) / 2; chunk >= 1; {
		removed := false
		for start := 0; start < len(log); {
			end := min(start+chunk, len(log))
			cand := append(append([]string(nil), log[:start]...), log[end:]...)
			if len(cand) > 0 {
				if g := fails(cand); g != nil {
					log, best, removed = cand, g, true
					continue
				}
			}
			start = end
		}
		if replays >= maxReplays {
			break
		}
		if !removed {
			chunk /= 2
		}
	}
	return best
}

// stripStatus removes the note Run appends to a failed script.
func stripStatus(l string) string {
	if i := strings.LastIndex(l, statusNote); i >= 0 {
		return l[:i]
	}
	return l
}
