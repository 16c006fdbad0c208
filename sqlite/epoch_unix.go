//go:build unix

package sqlite

import (
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// keysEpoch is a counter that every process using the store maps into
// memory from one small file. A revocation adds one with an atomic
// instruction, which other processes see at once through the shared page;
// a server reads it on every authenticated request for the price of a
// memory load, instead of a stat or a query.
type keysEpoch struct {
	f   *os.File
	mem []byte
}

func openKeysEpoch(path string) (*keysEpoch, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open key epoch: %w", err)
	}
	// Growing a short file to 8 bytes never clears a counter another process
	// has already written: Truncate to the same size is a no-op.
	if fi, err := f.Stat(); err == nil && fi.Size() < 8 {
		err = f.Truncate(8)
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, 8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("map key epoch: %w", err)
	}
	return &keysEpoch{f: f, mem: mem}, nil
}

// counter points into the shared page, which mmap aligns to a page.
func (e *keysEpoch) counter() *uint64 { return (*uint64)(unsafe.Pointer(&e.mem[0])) }

func (e *keysEpoch) load() int64 { return int64(atomic.LoadUint64(e.counter())) }

func (e *keysEpoch) bump() error {
	atomic.AddUint64(e.counter(), 1)
	return nil
}

func (e *keysEpoch) close() error {
	err := syscall.Munmap(e.mem)
	if cerr := e.f.Close(); err == nil {
		err = cerr
	}
	return err
}
