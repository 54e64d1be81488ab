package wanterr

import (
	"errors"
	"testing"
)

// recorder is a testing.TB that records failures instead of stopping.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Fatal(...any)          { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

func TestCheck(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		want      string
		fails     bool
		wantedErr bool
	}{
		{name: "no error wanted, none", wantedErr: false},
		{name: "no error wanted, got one", err: errors.New("boom"), fails: true},
		{name: "error wanted, matches", err: errors.New("open x: not found"), want: "not found", wantedErr: true},
		{name: "error wanted, other", err: errors.New("boom"), want: "not found", fails: true, wantedErr: true},
		{name: "error wanted, none", want: "not found", fails: true, wantedErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{TB: t}
			if got := Check(r, tc.err, tc.want); got != tc.wantedErr || r.failed != tc.fails {
				t.Errorf("Check = %v, failed = %v; want %v, %v", got, r.failed, tc.wantedErr, tc.fails)
			}
		})
	}
}
