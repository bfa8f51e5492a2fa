package store

import (
	"context"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// An endpoint that fails every delivery for three days is disabled, once; a
// success in between starts the count again; setting its URL enables it.
func TestEndpointDisabledAfterThreeDaysOfFailures(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const prefix = "dh_abcdefgh"
	if err := db.CreateKey(ctx, &opendata.APIKey{Prefix: prefix, Hash: make([]byte, 32), Project: "CFS", Client: "c",
		Contact: "c@example.gc.ca", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetWebhook(ctx, prefix, "https://example.gc.ca/h", "sealed"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	record := func(after time.Duration, outcome string) bool {
		t.Helper()
		db.now = func() time.Time { return start.Add(after) }
		disabled, err := db.RecordDelivery(ctx, opendata.Delivery{ID: 1, KeyPrefix: prefix, Outcome: outcome})
		if err != nil {
			t.Fatal(err)
		}
		return disabled
	}
	status := func() string {
		t.Helper()
		w, err := db.Webhook(ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		return w.Status()
	}
	steps := []struct {
		after    time.Duration
		outcome  string
		disabled bool
		status   string
	}{
		{0, opendata.DeliveryPending, false, "failing"},
		{71 * time.Hour, opendata.DeliveryFailed, false, "failing"},
		{71 * time.Hour, opendata.DeliveryDelivered, false, "active"}, // a success: the count starts again
		{72 * time.Hour, opendata.DeliveryPending, false, "failing"},
		{143 * time.Hour, opendata.DeliveryPending, false, "failing"},
		{144 * time.Hour, opendata.DeliveryPending, true, "disabled"},
		{145 * time.Hour, opendata.DeliveryFailed, false, "disabled"}, // disabled once
	}
	for i, s := range steps {
		if got := record(s.after, s.outcome); got != s.disabled || status() != s.status {
			t.Fatalf("step %d (%s after %s): disabled %v, status %s; want %v, %s", i, s.outcome, s.after, got, status(), s.disabled, s.status)
		}
	}
	if _, err := db.SetWebhook(ctx, prefix, "https://example.gc.ca/h2", ""); err != nil || status() != "active" {
		t.Fatalf("set again: %v, status %s", err, status())
	}
}

// A transaction reads whether a key has an endpoint once for all its events,
// and reads it again after it writes to webhooks: an endpoint set earlier in
// the same group commit receives the events written after it.
func TestEndpointKnownPerTransaction(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const prefix = "dh_abcdefgh"
	if err := db.CreateKey(ctx, &opendata.APIKey{Prefix: prefix, Hash: make([]byte, 32), Project: "CFS", Client: "c",
		Contact: "c@example.gc.ca", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var reads []string
	db.observe = func(q string, _ []any) { reads = append(reads, q) }
	err = db.update(ctx, func(tx *Tx) error {
		reads = reads[:0]
		for range 3 {
			if has, err := tx.hasEndpoint(prefix); err != nil || has {
				t.Fatalf("before an endpoint: has = %v, %v", has, err)
			}
		}
		if len(reads) != 1 {
			t.Errorf("3 lookups ran %d queries, want 1", len(reads))
		}
		if _, err := tx.Exec(`INSERT INTO webhooks (key_prefix, url, secret_sealed, created_at, updated_at) VALUES ($1, 'https://h.test/', 's', 0, 0)`, prefix); err != nil {
			return err
		}
		tx.webhooksChanged()
		if has, err := tx.hasEndpoint(prefix); err != nil || !has {
			t.Errorf("after setting an endpoint: has = %v, %v", has, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A group commit inserts its rows of many jobs in statements of a few sizes,
// and every row arrives.
func TestRowInsertChunks(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, InsertSubmissionSQL, "s", "CFS", "f", "dh_abcdefgh", "received", "c@example.gc.ca", "{}", 0); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 3, 4, 21, 64, 85, 256} {
		err := db.update(ctx, func(tx *Tx) error {
			var args []any
			for i := range n {
				args = append(args, submissionJobRows.values(Job{SubmissionID: "s", Effect: opendata.Effect{Kind: opendata.EffectNotify}}, int64(n*1000+i), 7)...)
			}
			return submissionJobRows.insert(tx, args)
		})
		if err != nil {
			t.Fatal(err)
		}
		var got int
		if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM submission_jobs WHERE job_id >= $1 AND job_id < $2`, n*1000, n*1000+n).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Errorf("%d rows inserted, %d found", n, got)
		}
	}
}
