// Command filecheck compares fetch.Client.Check with a bare http.Get + SHA-256 of the same
// generated file, served over loopback in the same process, and reports speed and peak memory.
//
//	go run ./bench/filecheck [-size 1GiB] [-runs 3]
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opendata-datahub/datahub/internal/fetch"
)

func main() {
	sizeFlag := flag.String("size", "1GiB", "size of the generated file (B, KiB, MiB, GiB, KB, MB, GB)")
	runs := flag.Int("runs", 3, "runs of each phase")
	flag.Parse()
	size, err := parseSize(*sizeFlag)
	if err == nil && *runs < 1 {
		err = errors.New("runs: must be at least 1")
	}
	if err == nil {
		err = run(size, *sizeFlag, *runs)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "filecheck:", err)
		os.Exit(1)
	}
}

func run(size int64, sizeText string, runs int) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // loopback only
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: patternHandler(size), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	fileURL := "http://" + ln.Addr().String() + "/data.csv"

	client := fetch.New(fetch.Config{
		Policy:       fetch.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		MaxBytes:     size,
		TotalTimeout: 30 * time.Minute,
	})
	fmt.Printf("filecheck: %s body over %s, %d runs each, %s, GOMAXPROCS=%d\n",
		sizeText, ln.Addr(), runs, runtime.Version(), runtime.GOMAXPROCS(0))

	resettable := resetPeak() == nil
	var bare, check []float64
	var bareSum, checkSum, peakNote string
	var peak int64
	measureCheck := func() error {
		debug.FreeOSMemory()
		if resettable {
			if err := resetPeak(); err != nil {
				return err
			}
			hwm, _ := procStatus("VmHWM")
			rss, _ := procStatus("VmRSS")
			if hwm > rss+1<<20 {
				peakNote = "clear_refs did not lower VmHWM: the peak may include (a)"
			}
		}
		check, checkSum, err = phase(runs, size, func() (string, error) { return checked(client, fileURL, size) })
		if err != nil {
			return fmt.Errorf("check: %w", err)
		}
		peak, err = procStatus("VmHWM")
		return err
	}
	if resettable {
		peakNote = "VmHWM reset through /proc/self/clear_refs before (b)"
		if bare, bareSum, err = phase(runs, size, func() (string, error) { return bareGet(fileURL) }); err != nil {
			return fmt.Errorf("bare: %w", err)
		}
		if err := measureCheck(); err != nil {
			return err
		}
	} else {
		peakNote = "clear_refs unavailable: (b) ran first, so VmHWM covers only start-up and (b)"
		if err := measureCheck(); err != nil {
			return err
		}
		if bare, bareSum, err = phase(runs, size, func() (string, error) { return bareGet(fileURL) }); err != nil {
			return fmt.Errorf("bare: %w", err)
		}
	}
	if bareSum != checkSum {
		return fmt.Errorf("digests differ: bare %s, check %s", bareSum, checkSum)
	}
	report(bare, check, peak, peakNote, bareSum)
	return nil
}

// phase runs fn runs times and returns each run's MB/s and the digest all runs agreed on.
func phase(runs int, size int64, fn func() (string, error)) ([]float64, string, error) {
	var speeds []float64
	var sum string
	for i := 0; i < runs; i++ {
		start := time.Now()
		s, err := fn()
		if err != nil {
			return nil, "", err
		}
		if sum != "" && s != sum {
			return nil, "", fmt.Errorf("run %d: digest changed", i+1)
		}
		sum = s
		speeds = append(speeds, float64(size)/1e6/time.Since(start).Seconds())
	}
	return speeds, sum, nil
}

func bareGet(u string) (string, error) {
	resp, err := http.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	h := sha256.New()
	if _, err := io.Copy(h, resp.Body); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func checked(c *fetch.Client, u string, size int64) (string, error) {
	res := c.Check(context.Background(), u)
	if res.State != fetch.Passed || res.Size != size {
		return "", fmt.Errorf("check %s: %s (size %d)", res.State, res.Reason, res.Size)
	}
	return res.SHA256, nil
}

func report(bare, check []float64, peak int64, note, sum string) {
	a, b := median(bare), median(check)
	fmt.Printf("(a) bare http.Get + sha256   MB/s: %s   median %.0f\n", list(bare), a)
	fmt.Printf("(b) fetch.Client.Check       MB/s: %s   median %.0f\n", list(check), b)
	fmt.Printf("ratio (b)/(a): %.2f   (target >= 0.80: %s)\n", b/a, verdict(b/a >= 0.8))
	fmt.Printf("peak RSS during (b): %.1f MiB   (target < 64 MiB: %s)\n", float64(peak)/(1<<20), verdict(peak < 64<<20))
	fmt.Printf("note: %s; MB = 10^6 bytes; sha256 %s\n", note, sum)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func list(v []float64) string {
	var s []string
	for _, x := range v {
		s = append(s, fmt.Sprintf("%.0f", x))
	}
	return strings.Join(s, " ")
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// patternHandler serves size bytes of repeated CSV rows from one 64 KiB block: no big buffer.
func patternHandler(size int64) http.Handler {
	var block []byte
	for i := 0; len(block) < 64<<10; i++ {
		block = append(block, fmt.Sprintf("%d,station-%d,%d.%d\n", i, i%97, i%50, i%10)...)
	}
	block = block[:64<<10]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		for left := size; left > 0; {
			n := min(left, int64(len(block)))
			if _, err := w.Write(block[:n]); err != nil {
				return
			}
			left -= n
		}
	})
}

// resetPeak sets VmHWM back to the current RSS (Linux 4.0+), so the next peak is the phase's own.
func resetPeak() error {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return fmt.Errorf("reset peak rss: %w", err)
	}
	return nil
}

// procStatus reads a kB field of /proc/self/status, in bytes.
func procStatus(field string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("read status: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("read status: no %s", field)
}

func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(v), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("size %q: want a positive number with an optional unit", s)
	}
	return n * mult, nil
}
