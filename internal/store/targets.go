package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

const targetColumns = `project, registry_url, organization, token_sealed <> '', updated_by, updated_at`

func scanTarget(row rowScanner) (opendata.PublishingTarget, error) {
	var t opendata.PublishingTarget
	var at int64
	if err := row.Scan(&t.Project, &t.RegistryURL, &t.Organization, &t.TokenSet, &t.UpdatedBy, &at); err != nil {
		return t, err
	}
	t.UpdatedAt = fromMicros(at)
	return t, nil
}

// PublishingTargets returns every project's target, by project, the default (*) first.
func (db *DB) PublishingTargets(ctx context.Context) ([]opendata.PublishingTarget, error) {
	rows, err := db.query(ctx, `SELECT `+targetColumns+` FROM publishing_targets ORDER BY project`)
	if err != nil {
		return nil, fmt.Errorf("publishing targets: %w", err)
	}
	defer rows.Close()
	var out []opendata.PublishingTarget
	for rows.Next() {
		t, err := scanTarget(rows)
		if err != nil {
			return nil, fmt.Errorf("publishing targets: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("publishing targets: %w", err)
	}
	return out, nil
}

// PublishingTarget returns the target saved under project (opendata.DefaultTarget
// names the default); ENOTFOUND when there is none.
func (db *DB) PublishingTarget(ctx context.Context, project string) (*opendata.PublishingTarget, error) {
	t, err := scanTarget(db.queryRow(ctx, `SELECT `+targetColumns+` FROM publishing_targets WHERE project = $1`,
		opendata.NormProject(project)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opendata.Errorf(opendata.ENOTFOUND, "no publishing target for project %s", project)
	} else if err != nil {
		return nil, fmt.Errorf("publishing target: %w", err)
	}
	return &t, nil
}

// TargetFor returns the target a project publishes to, its own or else the
// default, with its sealed token ("" when none is set); ENOTFOUND when there is neither.
func (db *DB) TargetFor(ctx context.Context, project string) (*opendata.PublishingTarget, string, error) {
	return db.sealedTarget(ctx, `SELECT `+targetColumns+`, token_sealed FROM publishing_targets
		WHERE project IN ($1, $2) ORDER BY project = $2 LIMIT 1`, opendata.NormProject(project), opendata.DefaultTarget)
}

// SealedTarget returns the target saved under project itself (DefaultTarget
// names the default), with its sealed token; ENOTFOUND when there is none.
func (db *DB) SealedTarget(ctx context.Context, project string) (*opendata.PublishingTarget, string, error) {
	return db.sealedTarget(ctx, `SELECT `+targetColumns+`, token_sealed FROM publishing_targets WHERE project = $1`,
		opendata.NormProject(project))
}

func (db *DB) sealedTarget(ctx context.Context, q string, args ...any) (*opendata.PublishingTarget, string, error) {
	var sealed string
	row := db.queryRow(ctx, q, args...)
	var t opendata.PublishingTarget
	var at int64
	err := row.Scan(&t.Project, &t.RegistryURL, &t.Organization, &t.TokenSet, &t.UpdatedBy, &at, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", opendata.Errorf(opendata.ENOTFOUND, "no publishing target for project %s", args[0])
	} else if err != nil {
		return nil, "", fmt.Errorf("publishing target %s: %w", args[0], err)
	}
	t.UpdatedAt = fromMicros(at)
	return &t, sealed, nil
}

// SavePublishingTarget sets the project's target, replacing the one it had.
// The target is normalized and checked (opendata.PublishingTarget.Validate:
// EINVALID). sealedToken replaces the stored token when not nil; a new target
// without one has none. A zero UpdatedAt is now.
func (db *DB) SavePublishingTarget(ctx context.Context, t opendata.PublishingTarget, sealedToken *string) error {
	t.Normalize()
	if err := opendata.FieldsError("publishing target", t.Validate()); err != nil {
		return err
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = db.now()
	}
	err := db.update(ctx, func(tx *Tx) error {
		token := ""
		if sealedToken != nil {
			token = *sealedToken
		} else if err := tx.QueryRow(`SELECT token_sealed FROM publishing_targets WHERE project = $1`,
			t.Project).Scan(&token); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err := tx.Exec(`INSERT INTO publishing_targets (project, registry_url, organization, token_sealed, updated_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project) DO UPDATE SET registry_url = excluded.registry_url,
				organization = excluded.organization, token_sealed = excluded.token_sealed,
				updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			t.Project, t.RegistryURL, t.Organization, token, t.UpdatedBy, micros(t.UpdatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("save publishing target: %w", err)
	}
	return nil
}

// DeletePublishingTarget removes the project's target; ENOTFOUND when it has none.
func (db *DB) DeletePublishingTarget(ctx context.Context, project string) error {
	err := db.update(ctx, func(tx *Tx) error {
		return tx.execOne(opendata.Errorf(opendata.ENOTFOUND, "no publishing target for project %s", project),
			`DELETE FROM publishing_targets WHERE project = $1`, opendata.NormProject(project))
	})
	if err != nil {
		return fmt.Errorf("delete publishing target: %w", err)
	}
	return nil
}
