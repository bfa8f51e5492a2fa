package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
)

// Secret returns the server secret named name, creating a random 256-bit one
// on first use. Every process and replica sharing the database sees the same one.
func (db *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	var v string
	err := db.queryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		fresh := make([]byte, 32)
		rand.Read(fresh)
		err = db.update(ctx, func(tx *Tx) error {
			if _, err := tx.Exec(`INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
				name, hex.EncodeToString(fresh)); err != nil {
				return err
			}
			return tx.QueryRow(`SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
		})
	}
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	b, err := hex.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	return b, nil
}
