package store

import (
	"context"
	"database/sql"
)

// Tx is a write transaction, or one part of a shared group commit. Its
// statements are prepared once per connection by the driver (see query).
type Tx struct {
	db   *DB
	tx   *sql.Tx
	ctx  context.Context
	jobs []Job // the effects of its writes, inserted together before COMMIT (enqueueEffects)

	// What the transaction's events need to know, kept for its other writes:
	// a group commit writes many events of one key's new submissions.
	owners    map[string]eventOwner // submission id → its project and key
	endpoints map[string]bool       // key prefix → has a working webhook endpoint
}

// eventOwner is whose feed and whose endpoint a submission's events go to.
type eventOwner struct{ project, keyPrefix string }

// webhooksChanged forgets what the transaction knew of endpoints: a write to
// webhooks calls it, so later events in the same transaction see the change.
func (t *Tx) webhooksChanged() { t.endpoints = nil }

// Exec runs a statement in the transaction.
func (t *Tx) Exec(q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, q, args...)
}

// QueryRow runs a query in the transaction.
func (t *Tx) QueryRow(q string, args ...any) *sql.Row {
	if t.db.observe != nil {
		t.db.observe(q, args)
	}
	return t.tx.QueryRowContext(t.ctx, q, args...)
}

// execOne runs a statement that must change a row; notFound is the error when it changes none.
func (t *Tx) execOne(notFound error, q string, args ...any) error {
	res, err := t.Exec(q, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return notFound
	}
	return nil
}
