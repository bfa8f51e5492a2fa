package store

import (
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// keyEpoch is a counter shared through a memory-mapped file by every process
// using the data directory. A process that changes API keys bumps it after
// committing; the server reads it on each request (a memory load, no system
// call or database round trip) and reloads its keys when it has moved.
type keyEpoch struct {
	mem []byte
}

func openKeyEpoch(path string) (*keyEpoch, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open key epoch: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("open key epoch: %w", err)
	} else if fi.Size() < 8 {
		if err := f.Truncate(8); err != nil {
			return nil, fmt.Errorf("open key epoch: %w", err)
		}
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, 8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map key epoch: %w", err)
	}
	return &keyEpoch{mem: mem}, nil
}

// counter points into the shared page, which the kernel aligns for 64-bit atomics.
func (e *keyEpoch) counter() *uint64 { return (*uint64)(unsafe.Pointer(&e.mem[0])) }

func (e *keyEpoch) load() uint64 { return atomic.LoadUint64(e.counter()) }

func (e *keyEpoch) bump() { atomic.AddUint64(e.counter(), 1) }

func (e *keyEpoch) close() error {
	if e.mem == nil {
		return nil
	}
	err := syscall.Munmap(e.mem)
	e.mem = nil
	return err
}

// KeyEpoch returns the shared key epoch: it changes whenever any process
// using this store creates, revokes or changes an API key.
func (db *DB) KeyEpoch() uint64 { return db.epoch.load() }
