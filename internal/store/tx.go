package store

import (
	"context"
	"database/sql"
)

// Tx is a write transaction, or one part of a shared group commit.
type Tx struct {
	db    *DB
	tx    *sql.Tx
	ctx   context.Context
	stmts map[string]*sql.Stmt // prepared once per transaction, shared by a batch; nil when the driver caches them
}

func (t *Tx) prepared(q string) (*sql.Stmt, error) {
	if s, ok := t.stmts[q]; ok {
		return s, nil
	}
	s, err := t.tx.PrepareContext(t.ctx, q)
	if err != nil {
		return nil, err
	}
	t.stmts[q] = s
	return s, nil
}

// Exec runs a statement in the transaction.
func (t *Tx) Exec(q string, args ...any) (sql.Result, error) {
	if t.stmts == nil {
		return t.tx.ExecContext(t.ctx, q, args...)
	}
	s, err := t.prepared(q)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(t.ctx, args...)
}

// QueryRow runs a query in the transaction.
func (t *Tx) QueryRow(q string, args ...any) *sql.Row {
	if t.stmts == nil {
		return t.tx.QueryRowContext(t.ctx, q, args...)
	}
	s, err := t.prepared(q)
	if err != nil {
		return t.tx.QueryRowContext(t.ctx, q, args...) // reports the same error on Scan
	}
	return s.QueryRowContext(t.ctx, args...)
}
