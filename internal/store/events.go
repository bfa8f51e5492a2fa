package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// writeEvent writes an event of j's submission (an EffectEvent) to the feed
// and says whether it needs a job: one when the submission's key has a
// working webhook endpoint, to deliver it there.
func writeEvent(tx *Tx, j *Job) (bool, error) {
	e := j.Effect.Event
	if e == nil {
		return false, errors.New("write event: no event")
	}
	data, err := json.Marshal(e.Data)
	if err != nil {
		return false, fmt.Errorf("write event: %w", err)
	}
	if l := tx.db.dialect.eventsLock; l != "" {
		// Taken before every insert: a savepoint rolled back may have released it.
		if _, err := tx.Exec(l); err != nil {
			return false, fmt.Errorf("write event: %w", err)
		}
	}
	var endpoint sql.NullString
	err = tx.QueryRow(`INSERT INTO events (project, submission_id, type, at, data)
		SELECT project, id, $2, $3, $4 FROM submissions WHERE id = $1 RETURNING seq`,
		j.SubmissionID, string(e.Type), micros(tx.db.now()), string(data)).Scan(&j.Event)
	if err != nil {
		return false, fmt.Errorf("write event: %w", err)
	}
	err = tx.QueryRow(`SELECT w.key_prefix FROM submissions s JOIN webhooks w ON w.key_prefix = s.key_prefix
		WHERE s.id = $1 AND w.disabled_at IS NULL`, j.SubmissionID).Scan(&endpoint)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("write event: %w", err)
	}
	j.Endpoint = endpoint.String
	return true, nil
}

// linkDelivery records the delivery that job jobID makes of the event.
func linkDelivery(tx *Tx, j Job, jobID int64) error {
	_, err := tx.Exec(`INSERT INTO webhook_deliveries (event_seq, key_prefix, job_id, next_at, created_at)
		VALUES ($1, $2, $3, $4, $4)`, j.Event, j.Endpoint, jobID, micros(tx.db.now()))
	return err
}

// MaxEventsPage bounds one page of the events feed.
const MaxEventsPage = 500

// Events returns up to limit of project's events after the one at seq after,
// oldest first. Writers of events commit in seq order (dialect.eventsLock), so
// a reader that pages through never skips one.
func (db *DB) Events(ctx context.Context, project string, after int64, limit int) ([]opendata.Event, error) {
	rows, err := db.query(ctx, `SELECT seq, type, at, data FROM events WHERE project = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		opendata.NormProject(project), after, min(max(limit, 1), MaxEventsPage))
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	defer rows.Close()
	out := []opendata.Event{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	return out, nil
}

// Event returns the event at seq; ENOTFOUND when there is none.
func (db *DB) Event(ctx context.Context, seq int64) (opendata.Event, string, error) {
	var project string
	row := db.queryRow(ctx, `SELECT seq, type, at, data, project FROM events WHERE seq = $1`, seq)
	var e opendata.Event
	var s, at int64
	var typ, data string
	err := row.Scan(&s, &typ, &at, &data, &project)
	if errors.Is(err, sql.ErrNoRows) {
		return e, "", opendata.Errorf(opendata.ENOTFOUND, "no event %s", opendata.EventID(seq))
	} else if err != nil {
		return e, "", fmt.Errorf("event: %w", err)
	}
	e, err = event(s, typ, at, data)
	return e, project, err
}

func scanEvent(row rowScanner) (opendata.Event, error) {
	var seq, at int64
	var typ, data string
	if err := row.Scan(&seq, &typ, &at, &data); err != nil {
		return opendata.Event{}, err
	}
	return event(seq, typ, at, data)
}

func event(seq int64, typ string, at int64, data string) (opendata.Event, error) {
	e := opendata.Event{ID: opendata.EventID(seq), Type: opendata.EventType(typ), Timestamp: fromMicros(at)}
	if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
		return e, fmt.Errorf("event %s: %w", e.ID, err)
	}
	return e, nil
}
