package opendata

import "testing"

// FuzzEventSeq: an events cursor is either refused with EINVALID or is the id
// of the position it reads as.
func FuzzEventSeq(f *testing.F) {
	for _, seed := range []string{"", EventID(0), EventID(42), EventID(1 << 62), "evt_", "evt_zz", "evt_-000000000000001", "EVT_000000000000002a"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		seq, err := EventSeq(id)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("%q: %v", id, err)
			}
			return
		}
		if id != "" && EventID(seq) != id {
			t.Fatalf("%q reads as %d, whose id is %q", id, seq, EventID(seq))
		}
	})
}
