package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// SetLanguage remembers lang ("en" or "fr") as the language email reads the
// service in. The pages call it only when the language differs from the one
// the session read (Session.Lang), so a page view writes nothing.
func (db *DB) SetLanguage(ctx context.Context, email, lang string) error {
	if lang != "en" && lang != "fr" {
		return opendata.Errorf(opendata.EINVALID, "language %q: expected en or fr", lang)
	}
	err := db.update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`INSERT INTO languages (email, lang, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (email) DO UPDATE SET lang = excluded.lang, updated_at = excluded.updated_at`,
			opendata.NormEmail(email), lang, micros(db.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("set language: %w", err)
	}
	return nil
}

// Languages returns the remembered language of each of emails that has one,
// keyed by the address in normal form, in one query.
func (db *DB) Languages(ctx context.Context, emails []string) (map[string]string, error) {
	out := make(map[string]string, len(emails))
	if len(emails) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(emails))
	marks := make([]string, 0, len(emails))
	seen := make(map[string]bool, len(emails))
	for _, e := range emails {
		n := opendata.NormEmail(e)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		args = append(args, n)
		marks = append(marks, fmt.Sprintf("$%d", len(args)))
	}
	if len(args) == 0 {
		return out, nil
	}
	rows, err := db.query(ctx, `SELECT email, lang FROM languages WHERE email IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("get languages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var email, lang string
		if err := rows.Scan(&email, &lang); err != nil {
			return nil, fmt.Errorf("get languages: %w", err)
		}
		out[email] = lang
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("get languages: %w", err)
	}
	return out, nil
}
