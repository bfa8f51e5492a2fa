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
	owner, err := tx.eventOwner(j.SubmissionID)
	if err != nil {
		return false, fmt.Errorf("write event: %w", err)
	}
	err = tx.QueryRow(`INSERT INTO events (project, submission_id, type, at, data) VALUES ($1, $2, $3, $4, $5) RETURNING seq`,
		owner.project, j.SubmissionID, string(e.Type), micros(tx.db.now()), string(data)).Scan(&j.Event)
	if err != nil {
		return false, fmt.Errorf("write event: %w", err)
	}
	hook, err := tx.hasEndpoint(owner.keyPrefix)
	if err != nil || !hook {
		return false, err
	}
	j.Endpoint = owner.keyPrefix
	return true, nil
}

// eventOwner returns the project and key of submission id, read once per transaction.
func (tx *Tx) eventOwner(id string) (eventOwner, error) {
	if o, ok := tx.owners[id]; ok {
		return o, nil
	}
	var o eventOwner
	if err := tx.QueryRow(`SELECT project, key_prefix FROM submissions WHERE id = $1`, id).Scan(&o.project, &o.keyPrefix); err != nil {
		return o, err
	}
	tx.noteOwner(id, o)
	return o, nil
}

// noteOwner records the project and key of a submission the transaction wrote or read.
func (tx *Tx) noteOwner(id string, o eventOwner) {
	if tx.owners == nil {
		tx.owners = map[string]eventOwner{}
	}
	tx.owners[id] = o
}

// hasEndpoint says whether the key has a working webhook endpoint, read once
// per transaction until a write to webhooks (webhooksChanged).
func (tx *Tx) hasEndpoint(prefix string) (bool, error) {
	if has, ok := tx.endpoints[prefix]; ok {
		return has, nil
	}
	var n int
	err := tx.QueryRow(`SELECT count(*) FROM webhooks WHERE key_prefix = $1 AND disabled_at IS NULL`, prefix).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("write event: %w", err)
	}
	if tx.endpoints == nil {
		tx.endpoints = map[string]bool{}
	}
	tx.endpoints[prefix] = n > 0
	return n > 0, nil
}

// deliveryRows records the delivery that a job makes of its event.
var deliveryRows = rowInsert{
	into: `webhook_deliveries (event_seq, key_prefix, job_id, next_at, created_at)`, columns: 5,
	values: func(j Job, jobID, now int64) []any { return []any{j.Event, j.Endpoint, jobID, now, now} },
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
