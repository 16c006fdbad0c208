package patch_test

import (
	"strings"
	"testing"

	"github.com/binvault/binvault/patch"
)

// bigRecord is a 100 KiB record of the shape the load test patches.
func bigRecord() []byte {
	return []byte(`{"kind":"bench","seq":0,"tags":["a","b"],"nested":{"ok":true},"pad":"` + strings.Repeat("abcdefghij", 10<<10) + `"}`)
}

// BenchmarkMerge100KiB patches one field of a 100 KiB record.
func BenchmarkMerge100KiB(b *testing.B) {
	p, _ := patch.Merge([]byte(`{"seq":1}`))
	rec := bigRecord()
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		if _, err := p.Apply(rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONPatch100KiB replaces one field of a 100 KiB record.
func BenchmarkJSONPatch100KiB(b *testing.B) {
	p, _ := patch.JSON([]byte(`[{"op":"replace","path":"/seq","value":1}]`), 1<<20)
	rec := bigRecord()
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		if _, err := p.Apply(rec); err != nil {
			b.Fatal(err)
		}
	}
}
