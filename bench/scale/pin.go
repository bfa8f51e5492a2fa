package main

import (
	"fmt"
	"os"
	"syscall"
)

// pinFile maps the file at path and locks its pages in memory until the
// returned function runs. With -pin the reads measure the service with its
// SQLite file held in memory, whatever this machine's reclaim of the file
// cache does meanwhile (see "Scale" in BENCHMARKS.md); the pages count in
// this process's memory, not the server's.
func pinFile(path string) (unpin func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the mapping outlives the descriptor
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", path, err)
	}
	if err := syscall.Mlock(b); err != nil {
		syscall.Munmap(b)
		return nil, fmt.Errorf("lock %s in memory: %w (it needs CAP_IPC_LOCK or an RLIMIT_MEMLOCK above its size)", path, err)
	}
	return func() { syscall.Munmap(b) }, nil
}
