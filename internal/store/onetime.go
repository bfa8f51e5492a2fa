package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SaveOneTime keeps a sealed result (or a flash message's name) for the
// session under id for ttl, replacing one under the same id, and drops
// the results that have expired.
func (db *DB) SaveOneTime(ctx context.Context, id string, sessionHash []byte, sealed string, ttl time.Duration) error {
	expires := db.now().Add(ttl)
	err := db.update(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(`DELETE FROM one_time_results WHERE expires_at < $1`, micros(db.now())); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO one_time_results (id, session_hash, sealed, expires_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO UPDATE SET session_hash = excluded.session_hash, sealed = excluded.sealed,
				expires_at = excluded.expires_at`, id, sessionHash, sealed, micros(expires))
		return err
	})
	if err != nil {
		return fmt.Errorf("save one-time result: %w", err)
	}
	return nil
}

// TakeOneTime returns the sealed result saved under id for the session, and
// deletes it: it is given once. "" when there is none (taken, expired, or another session's).
func (db *DB) TakeOneTime(ctx context.Context, id string, sessionHash []byte) (string, error) {
	var sealed string
	err := db.update(ctx, func(tx *Tx) error {
		sealed = ""
		err := tx.QueryRow(`DELETE FROM one_time_results WHERE id = $1 AND session_hash = $2 AND expires_at >= $3
			RETURNING sealed`, id, sessionHash, micros(db.now())).Scan(&sealed)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("take one-time result: %w", err)
	}
	return sealed, nil
}
