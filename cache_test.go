package binvault

import "testing"

func TestBinCache(t *testing.T) {
	bin := func(rev int64, record string) *Bin { return &Bin{ID: "b", Rev: rev, Record: []byte(record)} }
	t.Run("NewerRevWins", func(t *testing.T) {
		c := newBinCache(1 << 20)
		c.put(bin(2, "new"))
		c.put(bin(1, "old")) // a slower writer's older state
		if b, _ := c.get("b"); string(b.Record) != "new" {
			t.Fatalf("cached %q, want new", b.Record)
		}
	})
	t.Run("StaleFillDropped", func(t *testing.T) {
		c := newBinCache(1 << 20)
		gen := c.generation() // a reader starts reading the store
		c.put(bin(2, "written"))
		c.invalidate("b") // e.g. evicted
		c.fill(bin(1, "read before the write"), gen)
		if b, _ := c.get("b"); b != nil {
			t.Fatalf("stale fill cached %q", b.Record)
		}
	})
	t.Run("FillWithoutWritesKept", func(t *testing.T) {
		c := newBinCache(1 << 20)
		c.fill(bin(1, "x"), c.generation())
		if b, _ := c.get("b"); b == nil {
			t.Fatal("fill dropped")
		}
	})
	t.Run("TombstoneOutranksLateWrite", func(t *testing.T) {
		c := newBinCache(1 << 20)
		c.deleted("b")
		c.put(bin(7, "update that raced the delete"))
		if b, deleted := c.get("b"); b != nil || !deleted {
			t.Fatalf("got %v deleted=%v, want tombstone", b, deleted)
		}
	})
	t.Run("EvictsToLimit", func(t *testing.T) {
		c := newBinCache(4096)
		for i := range 100 {
			c.put(&Bin{ID: string(rune(i)) + "x", Rev: 1, Record: make([]byte, 500)})
		}
		if c.size > 4096 {
			t.Fatalf("size %d over limit", c.size)
		}
	})
	t.Run("Disabled", func(t *testing.T) {
		c := newBinCache(-1)
		c.put(bin(1, "x"))
		if b, _ := c.get("b"); b != nil {
			t.Fatal("disabled cache kept a bin")
		}
	})
}
