package store

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// keyEpoch is a counter that moves whenever any process using the database
// changes an API key. The server reads it on each request, without a system
// call or a database round trip, and reloads its keys when it has moved.
type keyEpoch interface {
	load() uint64
	// bump moves the epoch within a key-changing transaction and returns what
	// to do once that transaction has committed; that may wait, outside it.
	bump(tx *Tx) (committed func(context.Context), err error)
	close() error
}

// KeyEpoch returns the shared key epoch: it changes whenever any process
// using this store creates, revokes or changes an API key. A change shows in
// every process by the time the call that made it returns: SQLite shares the
// counter, and on PostgreSQL the call waits until each live process has
// applied it (or, for one that does not answer, at most a few seconds).
func (db *DB) KeyEpoch() uint64 { return db.epoch.load() }

// updateKeys is update for writes that change API keys: it moves the key epoch with them.
func (db *DB) updateKeys(ctx context.Context, fn func(*Tx) error) error {
	var committed func(context.Context)
	err := db.update(ctx, func(tx *Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		var err error
		committed, err = db.epoch.bump(tx)
		return err
	})
	if err != nil {
		return err
	}
	committed(ctx)
	return nil
}

// fileEpoch is the SQLite key epoch: a counter in a memory-mapped file in the
// data directory, shared by every process using it. It moves after the commit,
// so that a reader who sees it move also sees the change.
type fileEpoch struct {
	mem []byte
}

func openFileEpoch(path string) (*fileEpoch, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, privateFile)
	if err != nil {
		return nil, fmt.Errorf("open key epoch: %w", err)
	}
	defer f.Close()
	if err := f.Chmod(privateFile); err != nil {
		return nil, fmt.Errorf("open key epoch: %w", err)
	}
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
	return &fileEpoch{mem: mem}, nil
}

// counter points into the shared page, which the kernel aligns for 64-bit atomics.
func (e *fileEpoch) counter() *uint64 { return (*uint64)(unsafe.Pointer(&e.mem[0])) }

func (e *fileEpoch) load() uint64 { return atomic.LoadUint64(e.counter()) }

func (e *fileEpoch) bump(*Tx) (func(context.Context), error) {
	return func(context.Context) { atomic.AddUint64(e.counter(), 1) }, nil
}

// close leaves the page mapped: a request still finishing after a shutdown
// timeout may read the epoch, and one page per store is not worth a crash.
func (e *fileEpoch) close() error { return nil }
