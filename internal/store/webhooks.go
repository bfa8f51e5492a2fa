package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

const webhookColumns = `key_prefix, url, old_secret_until, failing_since, disabled_at, created_at, updated_at`

func scanWebhook(row rowScanner, extra ...any) (*opendata.Webhook, error) {
	var w opendata.Webhook
	var until, failing, disabled sql.NullInt64
	var created, updated int64
	dest := append([]any{&w.KeyPrefix, &w.URL, &until, &failing, &disabled, &created, &updated}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	w.OldSecretUntil, w.FailingSince, w.DisabledAt = timePtr(until), timePtr(failing), timePtr(disabled)
	w.CreatedAt, w.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &w, nil
}

// SetWebhook points the key's endpoint at url and enables it. A new endpoint
// takes sealedSecret; an existing one keeps its secrets (rotate them with
// RotateWebhook) and reports created false. ENOTFOUND for an unknown key.
func (db *DB) SetWebhook(ctx context.Context, prefix, url, sealedSecret string) (created bool, err error) {
	if err := opendata.CheckWebhookURL(url); err != nil {
		return false, err
	}
	now := micros(db.now())
	err = db.update(ctx, func(tx *Tx) error {
		tx.webhooksChanged()
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM api_keys WHERE prefix = $1`, prefix).Scan(&n); err != nil {
			return err
		} else if n == 0 {
			return opendata.Errorf(opendata.ENOTFOUND, "no key %s", prefix)
		}
		res, err := tx.Exec(`UPDATE webhooks SET url = $2, failing_since = NULL, disabled_at = NULL, updated_at = $3
			WHERE key_prefix = $1`, prefix, url, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		created = true
		_, err = tx.Exec(`INSERT INTO webhooks (key_prefix, url, secret_sealed, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
			prefix, url, sealedSecret, now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("set webhook: %w", err)
	}
	return created, nil
}

// RotateWebhook gives the key's endpoint a new secret; the current one keeps
// signing too, as a second signature, until oldUntil.
func (db *DB) RotateWebhook(ctx context.Context, prefix, sealedSecret string, oldUntil time.Time) error {
	err := db.update(ctx, func(tx *Tx) error {
		return tx.execOne(opendata.Errorf(opendata.ENOTFOUND, "key %s has no webhook", prefix),
			`UPDATE webhooks SET old_secret_sealed = secret_sealed, old_secret_until = $2,
			secret_sealed = $3, updated_at = $4 WHERE key_prefix = $1`, prefix, micros(oldUntil), sealedSecret, micros(db.now()))
	})
	if err != nil {
		return fmt.Errorf("rotate webhook: %w", err)
	}
	return nil
}

// RemoveWebhook removes the key's endpoint; ENOTFOUND when it has none.
// Deliveries already queued find no endpoint and stop.
func (db *DB) RemoveWebhook(ctx context.Context, prefix string) error {
	err := db.update(ctx, func(tx *Tx) error {
		tx.webhooksChanged()
		return tx.execOne(opendata.Errorf(opendata.ENOTFOUND, "key %s has no webhook", prefix),
			`DELETE FROM webhooks WHERE key_prefix = $1`, prefix)
	})
	if err != nil {
		return fmt.Errorf("remove webhook: %w", err)
	}
	return nil
}

// Webhook returns the key's endpoint; ENOTFOUND when it has none.
func (db *DB) Webhook(ctx context.Context, prefix string) (*opendata.Webhook, error) {
	w, err := scanWebhook(db.queryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE key_prefix = $1`, prefix))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opendata.Errorf(opendata.ENOTFOUND, "key %s has no webhook", prefix)
	} else if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	return w, nil
}

// WebhookSecrets returns the key's endpoint with its sealed secrets: the
// current one, and the old one while it still signs ("" otherwise).
func (db *DB) WebhookSecrets(ctx context.Context, prefix string) (w *opendata.Webhook, current, old string, err error) {
	w, err = scanWebhook(db.queryRow(ctx, `SELECT `+webhookColumns+`, secret_sealed, old_secret_sealed FROM webhooks
		WHERE key_prefix = $1`, prefix), &current, &old)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", "", opendata.Errorf(opendata.ENOTFOUND, "key %s has no webhook", prefix)
	} else if err != nil {
		return nil, "", "", fmt.Errorf("webhook secrets: %w", err)
	}
	if w.OldSecretUntil == nil || !db.now().Before(*w.OldSecretUntil) {
		old = ""
	}
	return w, current, old, nil
}

// Webhooks lists every endpoint, by key prefix.
func (db *DB) Webhooks(ctx context.Context) ([]opendata.Webhook, error) {
	rows, err := db.query(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY key_prefix`)
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	defer rows.Close()
	var out []opendata.Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("webhooks: %w", err)
		}
		out = append(out, *w)
	}
	return out, rows.Err()
}

const deliveryColumns = `d.id, d.event_seq, e.type, d.key_prefix, d.attempts, d.last_status, d.last_error, d.last_at,
	d.next_at, d.done_at, d.outcome, d.created_at`

func scanDelivery(row rowScanner) (opendata.Delivery, error) {
	var d opendata.Delivery
	var seq, created int64
	var typ string
	var last, next, done sql.NullInt64
	if err := row.Scan(&d.ID, &seq, &typ, &d.KeyPrefix, &d.Attempts, &d.LastStatus, &d.LastError, &last, &next, &done,
		&d.Outcome, &created); err != nil {
		return d, err
	}
	d.EventID, d.EventType, d.CreatedAt = opendata.EventID(seq), opendata.EventType(typ), fromMicros(created)
	d.LastAt, d.NextAt, d.DoneAt = timePtr(last), timePtr(next), timePtr(done)
	return d, nil
}

// Deliveries returns the key's newest deliveries, newest first, at most limit.
func (db *DB) Deliveries(ctx context.Context, prefix string, limit int) ([]opendata.Delivery, error) {
	rows, err := db.query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq
		WHERE d.key_prefix = $1 ORDER BY d.id DESC LIMIT $2`, prefix, limit)
	if err != nil {
		return nil, fmt.Errorf("deliveries: %w", err)
	}
	defer rows.Close()
	out := []opendata.Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeliveriesOfJob returns the deliveries that job jobID makes, in the order
// their events were written: one job delivers the events of one group commit
// to one endpoint, each recorded (and so retried) on its own.
func (db *DB) DeliveriesOfJob(ctx context.Context, jobID int64) ([]opendata.Delivery, error) {
	rows, err := db.query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d
		JOIN events e ON e.seq = d.event_seq WHERE d.job_id = $1 ORDER BY d.event_seq`, jobID)
	if err != nil {
		return nil, fmt.Errorf("deliveries of job: %w", err)
	}
	defer rows.Close()
	var out []opendata.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("deliveries of job: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// RecordDelivery keeps the outcome of an attempt of delivery d (its Attempts,
// LastStatus, LastError, LastAt, NextAt, DoneAt and Outcome) and the
// endpoint's health: a success clears failing_since; a failure sets it if
// unset, and disables the endpoint once it has failed every delivery for
// opendata.WebhookDisableAfter. It reports whether the endpoint was disabled now.
func (db *DB) RecordDelivery(ctx context.Context, d opendata.Delivery) (disabled bool, err error) {
	now := db.now()
	err = db.update(ctx, func(tx *Tx) error {
		tx.webhooksChanged()
		if _, err := tx.Exec(`UPDATE webhook_deliveries SET attempts = $2, last_status = $3, last_error = $4, last_at = $5,
			next_at = $6, done_at = $7, outcome = $8 WHERE id = $1`, d.ID, d.Attempts, d.LastStatus, d.LastError,
			nullMicros(d.LastAt), nullMicros(d.NextAt), nullMicros(d.DoneAt), d.Outcome); err != nil {
			return err
		}
		if d.Outcome == opendata.DeliveryDelivered {
			_, err := tx.Exec(`UPDATE webhooks SET failing_since = NULL WHERE key_prefix = $1`, d.KeyPrefix)
			return err
		}
		if _, err := tx.Exec(`UPDATE webhooks SET failing_since = $2 WHERE key_prefix = $1 AND failing_since IS NULL`,
			d.KeyPrefix, micros(now)); err != nil {
			return err
		}
		res, err := tx.Exec(`UPDATE webhooks SET disabled_at = $2 WHERE key_prefix = $1 AND disabled_at IS NULL
			AND failing_since <= $3`, d.KeyPrefix, micros(now), micros(now.Add(-opendata.WebhookDisableAfter)))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		disabled = n == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("record delivery: %w", err)
	}
	return disabled, nil
}

// RetryDelivery queues the event of the key's delivery id again, as a new
// delivery; ENOTFOUND when the key has no such delivery or no endpoint.
func (db *DB) RetryDelivery(ctx context.Context, prefix string, id int64) error {
	err := db.update(ctx, func(tx *Tx) error {
		if db.jobs == nil {
			return ErrNoQueue
		}
		j := Job{Effect: opendata.Effect{Kind: opendata.EffectEvent}, Endpoint: prefix}
		err := tx.QueryRow(`SELECT d.event_seq, e.submission_id FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq
			JOIN webhooks w ON w.key_prefix = d.key_prefix WHERE d.id = $1 AND d.key_prefix = $2`, id, prefix).Scan(&j.Event, &j.SubmissionID)
		if errors.Is(err, sql.ErrNoRows) {
			return opendata.Errorf(opendata.ENOTFOUND, "no delivery %d for key %s", id, prefix)
		} else if err != nil {
			return err
		}
		tx.jobs = append(tx.jobs, j)
		return nil
	})
	if err != nil {
		return fmt.Errorf("retry delivery: %w", err)
	}
	return nil
}
