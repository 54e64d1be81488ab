package manifest

import (
	"slices"
	"testing"
)

// TestSettingsAgreeWithSettingsChanges: Settings differ between two
// workspaces exactly when SettingsChanges lists a key, so the digest and
// plan apply one rule.
func TestSettingsAgreeWithSettingsChanges(t *testing.T) {
	base := "images:\n  node: n:1\n"
	goComp := "name: api\nkind: go\n"
	ownImage := "name: api\nkind: go\nbuild:\n  image: g:1\n"
	ownRegistry := "name: api\nkind: go\npublish:\n  image:\n    registry: own.example\n"
	for _, tc := range []struct {
		name, head, comp string
		applies          bool
	}{
		{"same", base, goComp, false},
		{"go image", base + "  go: g:2\n", goComp, true},
		{"runtime image", base + "  runtime: r:2\n", goComp, true},
		{"another kind's image", "images:\n  node: n:2\n  python: p:1\n", goComp, false},
		{"go image replaced by build.image", base + "  go: g:2\n", ownImage, false},
		{"publish default", base + "publish:\n  image:\n    registry: ws.example\n", goComp, true},
		{"publish default overridden", base + "publish:\n  image:\n    registry: ws.example\n", ownRegistry, false},
		{"selection only", base + "baseBranch: trunk\nfullRebuildMarker: '[all]'\n", goComp, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ParseWorkspace("monopipe.yaml", []byte(base))
			if err != nil {
				t.Fatal(err)
			}
			h, err := ParseWorkspace("monopipe.yaml", []byte(tc.head))
			if err != nil {
				t.Fatal(err)
			}
			c, err := ParseComponent("api/component.yaml", []byte(tc.comp))
			if err != nil {
				t.Fatal(err)
			}
			changes := SettingsChanges(b, h, c)
			differ := !slices.Equal(Settings(b, c), Settings(h, c))
			if differ != tc.applies || (len(changes) > 0) != tc.applies {
				t.Errorf("Settings differ = %v, SettingsChanges = %v; want applies = %v\nbase %q\nhead %q", differ, changes, tc.applies, Settings(b, c), Settings(h, c))
			}
		})
	}
}
