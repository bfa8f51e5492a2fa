package api

import "testing"

// FuzzCursor: any cursor a client sends is either refused or read back to a
// positive position whose own cursor reads the same.
func FuzzCursor(f *testing.F) {
	for _, seed := range []string{encodeCursor(1), encodeCursor(1 << 40), "", "cw", "czE", "s1", "%%%", "c-1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		seq, ok := decodeCursor(s)
		if !ok {
			return
		}
		if seq <= 0 {
			t.Fatalf("cursor %q read as %d", s, seq)
		}
		if again, ok := decodeCursor(encodeCursor(seq)); !ok || again != seq {
			t.Fatalf("cursor of %d reads back as %d, %v", seq, again, ok)
		}
	})
}
