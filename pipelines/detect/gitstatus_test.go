package detect

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseStatus(t *testing.T) {
	z := func(fields ...string) []byte { return []byte(strings.Join(fields, "\x00") + "\x00") }
	for _, tc := range []struct {
		name    string
		out     []byte
		want    Uncommitted
		wantErr string
	}{
		{name: "clean", out: z(statusMarker), want: Uncommitted{}},
		{name: "every status",
			out: z("M", "b/m.go", "A", "staged.txt", "D", "gone.txt", "T", "a/link", statusMarker, "new/u.txt", "nested/", "a b\nc"),
			want: Uncommitted{
				Added:    []string{"a b\nc", "nested/", "new/u.txt", "staged.txt"},
				Modified: []string{"a/link", "b/m.go"},
				Removed:  []string{"gone.txt"},
			}},
		{name: "a path that looks like a status", out: z("M", "A", statusMarker, "D"), want: Uncommitted{Added: []string{"D"}, Modified: []string{"A"}}},
		{name: "conflict", out: z("U", "x.go", statusMarker), wantErr: `git status "U" for x.go`},
		{name: "cut short", out: z("M", "x.go"), wantErr: "no list of untracked files"},
		{name: "empty", out: nil, wantErr: "no list of untracked files"},
		{name: "no path", out: z("M"), wantErr: `"M" has no path`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseStatus(tc.out)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
