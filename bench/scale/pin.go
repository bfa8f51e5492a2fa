package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// pinFiles maps the files the glob names and locks their pages in memory
// until unpin runs. With -pin the reads measure the service with its
// database's files held in memory, whatever this machine's reclaim of the file
// cache does meanwhile (see "Scale" in BENCHMARKS.md); the pages count in this
// process's memory, not the server's. size is what it holds, in bytes.
func pinFiles(glob string) (unpin func(), size int64, err error) {
	paths, err := filepath.Glob(glob)
	if err != nil {
		return nil, 0, fmt.Errorf("-pin: %w", err)
	}
	var maps [][]byte
	unpin = func() {
		for _, b := range maps {
			syscall.Munmap(b)
		}
	}
	for _, p := range paths {
		b, err := pinFile(p)
		if err != nil {
			unpin()
			return nil, 0, err
		}
		if b != nil {
			maps = append(maps, b)
			size += int64(len(b))
		}
	}
	if len(maps) == 0 {
		return nil, 0, fmt.Errorf("-pin: %s names no file with data", glob)
	}
	return unpin, size, nil
}

// pinFile maps the file at path and locks it in memory; nil for an empty file
// or a directory.
func pinFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the mapping outlives the descriptor
	st, err := f.Stat()
	if err != nil || st.IsDir() || st.Size() == 0 {
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
	return b, nil
}
