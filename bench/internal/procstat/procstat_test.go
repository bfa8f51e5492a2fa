package procstat

import (
	"os"
	"testing"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		line  string
		name  string
		ticks int64
		ok    bool
	}{
		{"42 (postgres) S 1 42 42 0 -1 4194560 100 0 0 0 7 5 0 0 20 0 1 0", "postgres", 12, true},
		{"7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 30 12 0 0", "a (b) c", 42, true},
		{"9 (short) S 1 2", "", 0, false},
		{"garbage", "", 0, false},
	}
	for _, tt := range tests {
		name, ticks, err := parseStat(tt.line)
		if (err == nil) != tt.ok || name != tt.name || ticks != tt.ticks {
			t.Errorf("parseStat(%q) = %q, %d, %v", tt.line, name, ticks, err)
		}
	}
	if _, err := Ticks(os.Getpid()); err != nil {
		t.Fatalf("own process: %v", err)
	}
}

func TestRSS(t *testing.T) {
	rss, err := RSS(os.Getpid())
	if err != nil || rss < 1<<20 {
		t.Fatalf("own RSS = %d, %v", rss, err)
	}
	if _, err := RSS(-1); err == nil {
		t.Fatal("no error for a process that does not exist")
	}
}
