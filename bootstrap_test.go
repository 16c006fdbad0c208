package binvault_test

import (
	"sync"
	"testing"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/keys"
	"github.com/binvault/binvault/sqlite"
)

// TestBootstrapOnceAcrossNodes: nodes starting together on an empty store
// make one admin account and print one key between them.
func TestBootstrapOnceAcrossNodes(t *testing.T) {
	dir := t.TempDir()
	var secrets []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		s, err := sqlite.Open(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		v := binvault.NewVault(s, keys.Format{}, binvault.Config{})
		t.Cleanup(func() { v.Close() })
		wg.Go(func() {
			secret, err := v.Bootstrap(t.Context())
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			if secret != "" {
				secrets = append(secrets, secret)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(secrets) != 1 {
		t.Fatalf("%d keys printed, want 1", len(secrets))
	}
}
