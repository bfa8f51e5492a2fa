package store_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// fullListings are the reads meant to return every row of a table: the admin
// lists (keys, roles, targets, endpoints), which are small by nature, and the
// one-row key epoch.
var fullListings = []string{
	"FROM api_keys ORDER BY", "FROM roles ORDER BY", "FROM publishing_targets ORDER BY", "FROM webhooks ORDER BY",
	"UPDATE key_epoch SET",
}

// TestReadsUseIndexes runs every read the API, the pages and the jobs make
// (through the store's methods) and checks each query's plan: on SQLite every
// table or index is searched, never scanned whole, on PostgreSQL (with sequential scans
// discouraged) no Seq Scan is left, so a future query cannot scan a million rows.
func TestReadsUseIndexes(t *testing.T) {
	forEachConfig(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		db := opener(t, cfg)()
		var mu sync.Mutex
		seen := map[string][]any{}
		db.ObserveQueries(func(q string, args []any) {
			mu.Lock()
			defer mu.Unlock()
			seen[q] = args
		})
		exerciseReads(t, ctx, db)
		db.ObserveQueries(nil)
		if len(seen) < 30 {
			t.Fatalf("only %d distinct reads seen", len(seen))
		}
		conn, err := db.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if db.Dialect() == "postgres" {
			if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
				t.Fatal(err)
			}
		}
	queries:
		for q, args := range seen {
			for _, ok := range fullListings {
				if strings.Contains(q, ok) {
					continue queries
				}
			}
			plan, err := explain(ctx, conn, db.Dialect(), q, args)
			if err != nil {
				t.Errorf("explain %s: %v", oneLine(q), err)
				continue
			}
			if bad := scans(db.Dialect(), plan); bad != "" {
				t.Errorf("%s\nscans: %s", oneLine(q), bad)
			}
		}
	})
}

func explain(ctx context.Context, conn *sql.Conn, dialect, q string, args []any) ([]string, error) {
	prefix := "EXPLAIN QUERY PLAN "
	if dialect == "postgres" {
		prefix = "EXPLAIN "
	}
	rows, err := conn.QueryContext(ctx, prefix+q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var plan []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		line := vals[len(vals)-1]
		switch v := line.(type) {
		case string:
			plan = append(plan, v)
		case []byte:
			plan = append(plan, string(v))
		}
	}
	return plan, rows.Err()
}

// scans returns the first step of plan that reads a table without an index.
func scans(dialect string, plan []string) string {
	for _, step := range plan {
		switch {
		case dialect == "postgres" && strings.Contains(step, "Seq Scan"):
			return step
		case dialect == "sqlite" && strings.HasPrefix(strings.TrimSpace(step), "SCAN ") && !strings.Contains(step, "CONSTANT ROW"):
			return step // a SCAN reads the whole table or index, even "USING INDEX"; a SEARCH reads what it needs
		}
	}
	return ""
}

func oneLine(q string) string { return strings.Join(strings.Fields(q), " ") }

// exerciseReads stores a little of everything and reads it back through every read method.
func exerciseReads(t *testing.T, ctx context.Context, db *store.DB) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil && opendata.ErrorCode(err) != opendata.ENOTFOUND {
			t.Fatal(err)
		}
	}
	for i, id := range []string{"id-1", "id-2", "id-3"} {
		must(db.CreateSubmission(ctx, newSubmission(id, "CFS", "f"+string(rune('1'+i))), nil))
	}
	key := &opendata.APIKey{Prefix: "dh_abc", Hash: make([]byte, 32), Project: "CFS", Client: "c", Contact: "c@example.gc.ca", CreatedAt: time.Now()}
	must(db.CreateKey(ctx, key))
	_, err := db.AddGrant(ctx, opendata.Grant{Email: "a@example.gc.ca", Role: opendata.RoleApprover, Project: "CFS", GrantedAt: time.Now(), GrantedBy: "cli"})
	must(err)
	must(db.SavePublishingTarget(ctx, opendata.PublishingTarget{Project: "CFS", RegistryURL: "https://r.example", Organization: "org"}, nil))
	_, err = db.SetWebhook(ctx, "dh_abc", "https://hook.example/x", "v1:k:s")
	must(err)
	must(db.ApplyTransition(ctx, "id-1", opendata.Transition{From: opendata.StateInPreparation, To: opendata.StatePendingApproval,
		Actor: "user:a@example.gc.ca", At: time.Now(), Effects: []opendata.Effect{{Kind: opendata.EffectEvent,
			Event: &opendata.EventDraft{Type: opendata.EventStateChanged}}}}))

	_, err = db.Submission(ctx, "id-1")
	must(err)
	for _, f := range []store.Filter{{Project: "CFS", Limit: 10}, {Project: "CFS", State: opendata.StatePendingApproval, Limit: 10},
		{Project: "CFS", FileID: "f1", Limit: 10}, {Project: "CFS", FileID: "f1", State: opendata.StateInPreparation, Limit: 10},
		{Project: "CFS", After: 2, Limit: 10}} {
		_, err = db.ListSubmissions(ctx, f)
		must(err)
	}
	_, err = db.SubmissionIDByFileID(ctx, "CFS", "f1")
	must(err)
	_, err = db.SubmissionsByContact(ctx, "jane.doe@example.gc.ca", 10)
	must(err)
	_, err = db.PendingApproval(ctx, []string{"CFS"}, false, 10)
	must(err)
	_, err = db.PendingApproval(ctx, nil, true, 10)
	must(err)
	_, err = db.FileCheck(ctx, "id-1")
	must(err)
	_, _, err = db.RequestFileCheck(ctx, "id-2")
	must(err)
	_, err = db.SubmissionJobIDs(ctx, "id-1", 10)
	must(err)
	_, err = db.SubmissionStatus(ctx, "id-1", 10)
	must(err)
	_, _, err = db.ApprovalForm(ctx, "id-1")
	must(err)
	_, err = db.SignedApproval(ctx, "id-1")
	must(err)
	_, err = db.Opened(ctx, "id-1", "a@example.gc.ca", "ab")
	must(err)
	_, err = db.Publication(ctx, "id-1")
	must(err)
	_, _, err = db.TargetFor(ctx, "CFS")
	must(err)
	_, _, err = db.SealedTarget(ctx, "CFS")
	must(err)
	_, err = db.PublishingTarget(ctx, "CFS")
	must(err)
	_, err = db.Events(ctx, "CFS", 0, 10)
	must(err)
	_, _, err = db.Event(ctx, 1)
	must(err)
	_, err = db.Webhook(ctx, "dh_abc")
	must(err)
	_, _, _, err = db.WebhookSecrets(ctx, "dh_abc")
	must(err)
	_, err = db.Deliveries(ctx, "dh_abc", 10)
	must(err)
	_, err = db.DeliveriesOfJob(ctx, 1)
	must(err)
	_, err = db.Actor(ctx, "a@example.gc.ca")
	must(err)
	_, err = db.Approvers(ctx, "CFS")
	must(err)
	_, err = db.Admins(ctx)
	must(err)
	_, err = db.Session(ctx, make([]byte, 32), time.Now())
	must(err)
	_, err = db.Languages(ctx, []string{"a@example.gc.ca", "b@example.gc.ca"})
	must(err)
	_, err = db.IdempotentResponse(ctx, "dh_abc", "k")
	must(err)
	_, err = db.NoticeSent(ctx, 1, "id-1")
	must(err)
	_, err = db.Secret(ctx, "api-key-checksum")
	must(err)
	_, err = db.GeneratedForm(ctx, "ab")
	must(err)
	_, err = db.Keys(ctx)
	must(err)
	_, err = db.Grants(ctx)
	must(err)
	_, err = db.PublishingTargets(ctx)
	must(err)
	_, err = db.Webhooks(ctx)
	must(err)
}
