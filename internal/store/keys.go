package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// CreateKey stores a new key; a prefix already in use is ECONFLICT.
func (db *DB) CreateKey(ctx context.Context, k *opendata.APIKey) error {
	err := db.updateKeys(ctx, func(tx *Tx) error {
		res, err := tx.Exec(`INSERT INTO api_keys (prefix, hash, project, client, contact, callback_url, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (prefix) DO NOTHING`,
			k.Prefix, k.Hash, opendata.NormProject(k.Project), k.Client, k.Contact, k.CallbackURL, micros(k.CreatedAt), nullMicros(k.ExpiresAt))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return opendata.Errorf(opendata.ECONFLICT, "key prefix %s is already in use", k.Prefix)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create key: %w", err)
	}
	return nil
}

const keyColumns = `prefix, hash, project, client, contact, callback_url, created_at, expires_at, last_used_at, revoked_at`

// Keys returns every key, revoked and expired ones included, oldest first.
func (db *DB) Keys(ctx context.Context) ([]opendata.APIKey, error) {
	rows, err := db.query(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY created_at, prefix`)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	defer rows.Close()
	var out []opendata.APIKey
	for rows.Next() {
		var k opendata.APIKey
		var created int64
		var expires, used, revoked sql.NullInt64
		if err := rows.Scan(&k.Prefix, &k.Hash, &k.Project, &k.Client, &k.Contact, &k.CallbackURL,
			&created, &expires, &used, &revoked); err != nil {
			return nil, fmt.Errorf("list keys: %w", err)
		}
		k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt = fromMicros(created), timePtr(expires), timePtr(used), timePtr(revoked)
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return out, nil
}

// RevokeKey revokes the key with this prefix at once; ENOTFOUND if there is none.
// Revoking a revoked key keeps its first revocation time.
func (db *DB) RevokeKey(ctx context.Context, prefix string) error {
	err := db.updateKeys(ctx, func(tx *Tx) error {
		res, err := tx.Exec(`UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2) WHERE prefix = $1`, prefix, micros(db.now()))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return opendata.Errorf(opendata.ENOTFOUND, "no API key with prefix %s", prefix)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("revoke key: %w", err)
	}
	return nil
}

// TouchKeys records when keys were last used; it never moves a time backwards.
func (db *DB) TouchKeys(ctx context.Context, used map[string]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	err := db.update(ctx, func(tx *Tx) error {
		// In a fixed order, so that replicas touching the same keys on PostgreSQL cannot deadlock.
		for _, prefix := range slices.Sorted(maps.Keys(used)) {
			if _, err := tx.Exec(`UPDATE api_keys SET last_used_at = $2
				WHERE prefix = $1 AND (last_used_at IS NULL OR last_used_at < $2)`, prefix, micros(used[prefix])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("touch keys: %w", err)
	}
	return nil
}
