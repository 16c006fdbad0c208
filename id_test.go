package binvault

import (
	"testing"
	"time"
)

func TestNewID(t *testing.T) {
	base := time.Date(2026, 11, 25, 1, 2, 3, 0, time.UTC)
	prev := ""
	for i := range 2000 {
		id := NewID(base.Add(time.Duration(i) * 7 * time.Microsecond))
		if !ValidID(id) {
			t.Fatalf("NewID = %q, not 24 lowercase hex", id)
		}
		if id <= prev {
			t.Fatalf("ids do not sort by creation time: %s after %s", id, prev)
		}
		prev = id
	}
	if a, b := NewID(base), NewID(base); a == b {
		t.Fatal("two ids of the same instant are equal")
	}
	if got := NewID(base)[:8]; got != "6b06338b" {
		t.Errorf("seconds prefix %s, want the big-endian Unix time 6b06338b", got)
	}
}
