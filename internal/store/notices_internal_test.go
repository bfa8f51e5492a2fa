package store

import (
	"context"
	"testing"
	"time"
)

func TestPurgeNoticesSentKeepsRecentOnes(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	db.now = func() time.Time { return start }
	for _, id := range []string{"old-1", "old-2"} {
		if err := db.MarkNoticeSent(ctx, 1, id); err != nil {
			t.Fatal(err)
		}
	}
	db.now = func() time.Time { return start.Add(noticesSentKept - time.Hour) }
	if err := db.MarkNoticeSent(ctx, 2, "recent"); err != nil {
		t.Fatal(err)
	}
	db.now = func() time.Time { return start.Add(noticesSentKept + time.Minute) }
	if n, err := db.PurgeNoticesSent(ctx); err != nil || n != 2 {
		t.Fatalf("purged %d, %v; want the 2 old ones", n, err)
	}
	for id, want := range map[string]bool{"old-1": false, "recent": true} {
		job := int64(1)
		if id == "recent" {
			job = 2
		}
		if sent, err := db.NoticeSent(ctx, job, id); err != nil || sent != want {
			t.Fatalf("%s sent = %v, %v; want %v", id, sent, err, want)
		}
	}
}
