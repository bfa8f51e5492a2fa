package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
)

// baselineArg, as the first argument, runs this binary as the bare handler:
//
//	load __baseline BODY-FILE CONTENT-TYPE PATH
//
// It serves the bytes of BODY-FILE at PATH with that Content-Type (and a
// Content-Length, as the service sends) from a plain http.Server, prints
// "listening ADDR" on stdout and runs until SIGTERM or SIGINT.
const baselineArg = "__baseline"

// memstatsPath answers the bare handler's allocation counters in the
// Prometheus text format, under the names the service's /metrics uses.
const memstatsPath = "/__memstats"

func runBaseline(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("%s: want BODY-FILE CONTENT-TYPE PATH", baselineArg)
	}
	body, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	contentType, path := []string{args[1]}, args[2]
	contentLength := []string{strconv.Itoa(len(body))}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // loopback only
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			if r.URL.Path == memstatsPath { // read before and after a run, never during it
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				fmt.Fprintf(w, "go_memstats_mallocs_total %d\ngo_memstats_alloc_bytes_total %d\n", m.Mallocs, m.TotalAlloc)
				return
			}
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h["Content-Type"] = contentType
		h["Content-Length"] = contentLength
		w.Write(body)
	})}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		srv.Close()
	}()
	fmt.Printf("listening %s\n", ln.Addr())
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
