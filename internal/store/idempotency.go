package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// IdempotencyWindow is how long a response is replayed for a repeated Idempotency-Key.
const IdempotencyWindow = 24 * time.Hour

// IdempotentResponse is the response recorded for an Idempotency-Key.
type IdempotentResponse struct {
	KeyPrefix  string // the API key it is scoped to
	Key        string // the Idempotency-Key header
	BodySHA256 []byte // of the request body
	Status     int
	Body       []byte
	CreatedAt  time.Time
}

// IdempotentResponse returns the response recorded for this key within the
// window, or nil.
func (db *DB) IdempotentResponse(ctx context.Context, keyPrefix, key string) (*IdempotentResponse, error) {
	r := &IdempotentResponse{KeyPrefix: keyPrefix, Key: key}
	var created int64
	err := db.queryRow(ctx, `SELECT body_sha256, status, response, created_at FROM idempotency_keys
		WHERE key_prefix = $1 AND idem_key = $2 AND created_at >= $3`,
		keyPrefix, key, micros(db.now().Add(-IdempotencyWindow))).Scan(&r.BodySHA256, &r.Status, &r.Body, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("idempotent response: %w", err)
	}
	r.CreatedAt = fromMicros(created)
	return r, nil
}

// SaveIdempotentResponse records a response unless one is already recorded
// within the window; it returns the one that holds.
func (db *DB) SaveIdempotentResponse(ctx context.Context, r *IdempotentResponse) (*IdempotentResponse, error) {
	if err := db.update(ctx, func(tx *Tx) error { return saveIdempotent(tx, r) }); err != nil {
		return nil, fmt.Errorf("save idempotent response: %w", err)
	}
	return db.IdempotentResponse(ctx, r.KeyPrefix, r.Key)
}

// saveIdempotent inserts a record, replacing one that has left the window.
func saveIdempotent(tx *Tx, r *IdempotentResponse) error {
	now := tx.db.now()
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	_, err := tx.Exec(`INSERT INTO idempotency_keys (key_prefix, idem_key, body_sha256, status, response, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (key_prefix, idem_key) DO UPDATE SET body_sha256 = excluded.body_sha256,
			status = excluded.status, response = excluded.response, created_at = excluded.created_at
		WHERE idempotency_keys.created_at < $7`,
		r.KeyPrefix, r.Key, r.BodySHA256, r.Status, r.Body, micros(r.CreatedAt), micros(now.Add(-IdempotencyWindow)))
	return err
}

// PurgeIdempotency deletes records older than the window.
func (db *DB) PurgeIdempotency(ctx context.Context) (int64, error) {
	var n int64
	err := db.update(ctx, func(tx *Tx) error {
		res, err := tx.Exec(`DELETE FROM idempotency_keys WHERE created_at < $1`, micros(db.now().Add(-IdempotencyWindow)))
		if err == nil {
			n, _ = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge idempotency keys: %w", err)
	}
	return n, nil
}
