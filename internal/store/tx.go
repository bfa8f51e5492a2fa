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
}

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
