//go:build !unix

package sqlite

import (
	"fmt"
	"os"
)

// keysEpoch, where shared memory maps are unavailable, is the size of a
// file that each revocation appends a byte to: one stat per read.
type keysEpoch struct{ path string }

func openKeysEpoch(path string) (*keysEpoch, error) { return &keysEpoch{path}, nil }

func (e *keysEpoch) load() int64 {
	fi, err := os.Stat(e.path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func (e *keysEpoch) bump() error {
	f, err := os.OpenFile(e.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("record revocation: %w", err)
	}
	_, err = f.Write([]byte{'\n'})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (e *keysEpoch) close() error { return nil }
