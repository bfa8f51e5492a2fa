// Package procstat reads processes' CPU time from /proc, for the bench programs.
package procstat

import (
	"errors"
	"os"
	"strconv"
	"strings"
)

// UserHZ is the unit of /proc CPU times (USER_HZ, 100 on Linux).
const UserHZ = 100

// Ticks is a process's user+system CPU in clock ticks.
func Ticks(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	_, t, err := parseStat(string(b))
	return t, err
}

// PostgresTicks is the CPU ticks of every process named "postgres" on this machine, by pid.
func PostgresTicks() map[int]int64 {
	out := map[int]int64{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if name, t, err := parseStat(string(b)); err == nil && name == "postgres" {
			out[pid] = t
		}
	}
	return out
}

// parseStat reads the command name and utime+stime of a /proc/PID/stat line.
// The name may hold spaces and parentheses: it ends at the last ')'.
func parseStat(s string) (name string, ticks int64, err error) {
	lp, rp := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if lp < 0 || rp < lp {
		return "", 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(s[rp+1:])
	if len(f) < 13 {
		return "", 0, errors.New("short /proc stat")
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)  // utime, field 14
	st, _ := strconv.ParseInt(f[12], 10, 64) // stime, field 15
	return s[lp+1 : rp], u + st, nil
}

// RSS is a process's resident set size in bytes (VmRSS of /proc/PID/status).
func RSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest) // "12345 kB"
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}
