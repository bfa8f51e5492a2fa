package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

func sampleFields(fileID string) opendata.Fields {
	return opendata.Fields{
		FileURL: "https://example.gc.ca/data.csv", FileID: fileID, FileName: "data.csv",
		EmailContact: "a@example.gc.ca", Collection: "primary", TitleEN: "T", TitleFR: "T",
		NotesEN: "N", NotesFR: "N", KeywordsEN: []string{"forests"}, KeywordsFR: []string{"forêts"},
		Subject: []string{"nature_and_environment"}, Frequency: "P1Y", DatePublished: "2024-03-15",
		Jurisdiction: "federal", Audience: []string{},
	}
}

func newSubmission(id, project, fileID string) *opendata.Submission {
	return opendata.NewSubmission(id, project, "dh_abc", sampleFields(fileID), time.Now())
}

func TestMigrateTwice(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		db := open()
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		v, err := db.SchemaVersion(context.Background())
		if err != nil || v < 1 {
			t.Fatalf("version %d, %v", v, err)
		}
	})
}

func TestCreateAndGetSubmission(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		s := newSubmission("id-1", "CFS", "f1")
		if err := db.CreateSubmission(ctx, s, nil); err != nil {
			t.Fatal(err)
		}
		got, err := db.Submission(ctx, "id-1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Project != "CFS" || got.State != opendata.StateInPreparation || got.Fields.KeywordsFR[0] != "forêts" {
			t.Fatalf("got %+v", got)
		}
		if len(got.History) != 1 || got.History[0].To != opendata.StateInPreparation || got.History[0].Actor != "api:dh_abc" {
			t.Fatalf("history %+v", got.History)
		}
		if _, err := db.Submission(ctx, "nope"); opendata.ErrorCode(err) != opendata.ENOTFOUND {
			t.Fatalf("missing: %v", err)
		}
	})
}

func TestConcurrentDuplicatesGiveOneWinner(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		const n = 64
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = db.CreateSubmission(ctx, newSubmission(fmt.Sprintf("id-%d", i), "CFS", "same"), nil)
			})
		}
		wg.Wait()
		ok, winner := 0, ""
		for i, err := range errs {
			var dup *store.DuplicateError
			switch {
			case err == nil:
				ok++
				winner = fmt.Sprintf("id-%d", i)
			case errors.As(err, &dup):
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d winners, want 1", ok)
		}
		for _, err := range errs {
			var dup *store.DuplicateError
			if errors.As(err, &dup) && dup.ExistingID != winner {
				t.Fatalf("duplicate names %s, want %s", dup.ExistingID, winner)
			}
		}
		// Another project may use the same file_id.
		if err := db.CreateSubmission(ctx, newSubmission("other", "NRC", "same"), nil); err != nil {
			t.Fatal(err)
		}
		if st := db.Stats(); st.Writes < n || st.Commits > st.Writes {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestListSubmissionsPaginates(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		for i := range 7 {
			if err := db.CreateSubmission(ctx, newSubmission(fmt.Sprintf("id-%d", i), "CFS", fmt.Sprintf("f%d", i)), nil); err != nil {
				t.Fatal(err)
			}
		}
		var seen []string
		f := store.Filter{Project: "CFS", Limit: 3}
		for pages := 0; ; pages++ {
			p, err := db.ListSubmissions(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range p.Submissions {
				seen = append(seen, s.ID)
			}
			if p.Next == 0 {
				break
			}
			f.After = p.Next
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
		}
		want := "[id-6 id-5 id-4 id-3 id-2 id-1 id-0]"
		if fmt.Sprint(seen) != want {
			t.Fatalf("got %v, want %s", seen, want)
		}
		p, err := db.ListSubmissions(ctx, store.Filter{Project: "CFS", FileID: "f3", Limit: 10})
		if err != nil || len(p.Submissions) != 1 || p.Submissions[0].ID != "id-3" {
			t.Fatalf("file_id filter: %v %v", p, err)
		}
		p, err = db.ListSubmissions(ctx, store.Filter{Project: "CFS", State: opendata.StatePublished, Limit: 10})
		if err != nil || len(p.Submissions) != 0 {
			t.Fatalf("state filter: %v %v", p, err)
		}
	})
}

func TestIdempotentResponses(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		r := &store.IdempotentResponse{KeyPrefix: "dh_a", Key: "k1", BodySHA256: []byte{1}, Status: 200, Body: []byte(`{"a":1}`)}
		if err := db.CreateSubmission(ctx, newSubmission("id-1", "CFS", "f1"), r); err != nil {
			t.Fatal(err)
		}
		got, err := db.IdempotentResponse(ctx, "dh_a", "k1")
		if err != nil || got == nil || got.Status != 200 || string(got.Body) != `{"a":1}` {
			t.Fatalf("got %+v %v", got, err)
		}
		// A second save keeps the first response.
		held, err := db.SaveIdempotentResponse(ctx, &store.IdempotentResponse{KeyPrefix: "dh_a", Key: "k1", BodySHA256: []byte{2}, Status: 400, Body: []byte(`x`)})
		if err != nil || held.Status != 200 {
			t.Fatalf("held %+v %v", held, err)
		}
		if other, _ := db.IdempotentResponse(ctx, "dh_b", "k1"); other != nil {
			t.Fatal("idempotency keys leak across API keys")
		}
		// A failed submission records nothing.
		err = db.CreateSubmission(ctx, newSubmission("id-2", "CFS", "f1"),
			&store.IdempotentResponse{KeyPrefix: "dh_a", Key: "k2", BodySHA256: []byte{3}, Status: 200, Body: []byte(`{}`)})
		if !errors.As(err, new(*store.DuplicateError)) {
			t.Fatalf("want duplicate, got %v", err)
		}
		if got, _ := db.IdempotentResponse(ctx, "dh_a", "k2"); got != nil {
			t.Fatal("a failed write left an idempotency record")
		}
	})
}

func TestKeysLifecycleAndEpoch(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		server, cli := open(), open() // two handles on one database, as the server and the CLI
		e0 := server.KeyEpoch()
		exp := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
		k := &opendata.APIKey{Prefix: "dh_p1", Hash: []byte{9}, Project: "CFS", Client: "c", Contact: "a@b.ca", CreatedAt: time.Now(), ExpiresAt: &exp}
		if err := cli.CreateKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		if err := cli.CreateKey(ctx, k); opendata.ErrorCode(err) != opendata.ECONFLICT {
			t.Fatalf("second create: %v", err)
		}
		if !epochMoves(server, e0) {
			t.Fatal("the server did not see the CLI's key change")
		}
		e1 := server.KeyEpoch()
		if err := cli.RevokeKey(ctx, "dh_p1"); err != nil {
			t.Fatal(err)
		}
		if !epochMoves(server, e1) {
			t.Fatal("the server did not see the revocation")
		}
		if err := cli.RevokeKey(ctx, "dh_none"); opendata.ErrorCode(err) != opendata.ENOTFOUND {
			t.Fatalf("revoke unknown: %v", err)
		}
		used := time.Now().UTC().Truncate(time.Microsecond)
		if err := server.TouchKeys(ctx, map[string]time.Time{"dh_p1": used}); err != nil {
			t.Fatal(err)
		}
		keys, err := server.Keys(ctx)
		if err != nil || len(keys) != 1 {
			t.Fatalf("keys %v %v", keys, err)
		}
		got := keys[0]
		if got.RevokedAt == nil || !got.ExpiresAt.Equal(exp) || !got.LastUsedAt.Equal(used) || got.Project != "CFS" {
			t.Fatalf("key %+v", got)
		}
		s1, err := server.Secret(ctx, "api-key")
		if err != nil {
			t.Fatal(err)
		}
		s2, _ := cli.Secret(ctx, "api-key")
		if len(s1) != 32 || string(s1) != string(s2) {
			t.Fatal("processes disagree on the server secret")
		}
	})
}

// epochMoves reports whether db's key epoch moves from e within a short
// deadline: another process's change arrives asynchronously on PostgreSQL.
// The deadline is below the listener's periodic re-read, so that it tests NOTIFY.
func epochMoves(db *store.DB, e uint64) bool { return epochMovesWithin(db, e, 3*time.Second) }

func epochMovesWithin(db *store.DB, e uint64, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if db.KeyEpoch() != e {
			return true
		}
	}
	return false
}

func TestKeyEpochAcrossStores(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		a, b := open(), open() // two replicas
		key := &opendata.APIKey{Prefix: "dh_x", Hash: []byte{1}, Project: "CFS", Client: "c", Contact: "a@b.ca", CreatedAt: time.Now()}
		ea, eb := a.KeyEpoch(), b.KeyEpoch()
		if err := a.CreateKey(ctx, key); err != nil {
			t.Fatal(err)
		}
		if a.KeyEpoch() == ea {
			t.Fatal("a store does not see its own key change at once")
		}
		if !epochMoves(b, eb) {
			t.Fatal("b did not see a's key change")
		}
		ea, eb = a.KeyEpoch(), b.KeyEpoch()
		if err := b.RevokeKey(ctx, "dh_x"); err != nil {
			t.Fatal(err)
		}
		if b.KeyEpoch() == eb {
			t.Fatal("a store does not see its own revocation at once")
		}
		if !epochMoves(a, ea) {
			t.Fatal("a did not see b's revocation")
		}
		// Writes that do not change keys leave the epoch alone.
		e := a.KeyEpoch()
		if err := b.TouchKeys(ctx, map[string]time.Time{"dh_x": time.Now()}); err != nil {
			t.Fatal(err)
		}
		if epochMovesWithin(a, e, 200*time.Millisecond) {
			t.Fatal("touching a key moved the epoch")
		}
	})
}

func TestConcurrentMigrate(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		const n = 4 // processes migrating one empty database at once
		dbs := make([]*store.DB, n)
		for i := range dbs {
			db, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			dbs[i] = db
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i, db := range dbs {
			wg.Go(func() { errs[i] = db.Migrate(ctx) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if v, err := dbs[0].SchemaVersion(ctx); err != nil || v < 1 {
			t.Fatalf("version %d, %v", v, err)
		}
	})
}

func TestOpenRejectsOtherDatabaseURLs(t *testing.T) {
	_, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir(), DatabaseURL: "mysql://localhost/datahub"})
	if err == nil {
		t.Fatal("a mysql:// URL opened a store")
	}
}

func TestKeyEpochReadableAfterClose(t *testing.T) {
	db, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	before := db.KeyEpoch()
	db.Close()
	if db.KeyEpoch() != before { // must not panic: late requests may still ask
		t.Fatal("epoch changed by closing")
	}
}

func TestWriteWhoseCallerLeftWritesNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		db := open()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := db.CreateSubmission(ctx, newSubmission("gone", "CFS", "f-gone"), nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
		if _, err := db.Submission(context.Background(), "gone"); opendata.ErrorCode(err) != opendata.ENOTFOUND {
			t.Fatalf("a write whose caller left was stored: %v", err)
		}
	})
}
