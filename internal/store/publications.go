package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

const publicationColumns = `submission_id, dry_run, target, registry_id, registry_url, attempts, last_attempt_at,
	last_error, errors, payload, published_at, unpublished_at`

// Publication returns what was done to put the submission on the registry;
// ENOTFOUND before its first publishing attempt or dry run.
func (db *DB) Publication(ctx context.Context, id string) (*opendata.Publication, error) {
	p, err := scanPublication(db.queryRow(ctx, `SELECT `+publicationColumns+` FROM publications WHERE submission_id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opendata.Errorf(opendata.ENOTFOUND, "no publication for submission %s", id)
	} else if err != nil {
		return nil, fmt.Errorf("publication: %w", err)
	}
	return p, nil
}

func scanPublication(row rowScanner) (*opendata.Publication, error) {
	var r publicationRow
	if err := row.Scan(r.dest()...); err != nil {
		return nil, err
	}
	return r.value()
}

// publicationRow receives the publicationColumns of a row (dest), then makes the publication of them (value).
type publicationRow struct {
	p                            opendata.Publication
	dry                          int
	last, published, unpublished sql.NullInt64
	errs, payload                string
}

func (r *publicationRow) dest() []any {
	p := &r.p
	return []any{&p.SubmissionID, &r.dry, &p.Target, &p.RegistryID, &p.RegistryURL, &p.Attempts, &r.last,
		&p.LastError, &r.errs, &r.payload, &r.published, &r.unpublished}
}

func (r *publicationRow) value() (*opendata.Publication, error) {
	p := r.p
	p.DryRun, p.Payload = r.dry == 1, []byte(r.payload)
	p.LastAttemptAt, p.PublishedAt, p.UnpublishedAt = timePtr(r.last), timePtr(r.published), timePtr(r.unpublished)
	if err := json.Unmarshal([]byte(r.errs), &p.Errors); err != nil {
		return nil, fmt.Errorf("publication %s errors: %w", p.SubmissionID, err)
	}
	return &p, nil
}

// RecordPublication keeps p and, when step is given, moves the submission
// with it in the same transaction (as ApplyTransition: only if the
// submission is still in step.From, with step's effects), so that the
// history and the publication never disagree.
func (db *DB) RecordPublication(ctx context.Context, p *opendata.Publication, step *opendata.Transition) error {
	errs := p.Errors
	if errs == nil {
		errs = []opendata.RegistryError{}
	}
	rawErrs, err := json.Marshal(errs)
	if err != nil {
		return fmt.Errorf("record publication: %w", err)
	}
	dry := 0
	if p.DryRun {
		dry = 1
	}
	err = db.update(ctx, func(tx *Tx) error {
		if step != nil {
			if err := applyTransition(tx, p.SubmissionID, *step); err != nil {
				return err
			}
		}
		_, err := tx.Exec(`INSERT INTO publications (`+publicationColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (submission_id) DO UPDATE SET dry_run = excluded.dry_run, target = excluded.target,
				registry_id = excluded.registry_id, registry_url = excluded.registry_url, attempts = excluded.attempts,
				last_attempt_at = excluded.last_attempt_at, last_error = excluded.last_error, errors = excluded.errors,
				payload = excluded.payload, published_at = excluded.published_at, unpublished_at = excluded.unpublished_at`,
			p.SubmissionID, dry, p.Target, p.RegistryID, p.RegistryURL, p.Attempts, nullMicros(p.LastAttemptAt),
			p.LastError, string(rawErrs), string(p.Payload), nullMicros(p.PublishedAt), nullMicros(p.UnpublishedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("record publication: %w", err)
	}
	return nil
}
