package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// PublishingTarget is where a project's datasets are published: a CKAN
// registry and the organization (owner_org) that owns them there (SPEC §5).
type PublishingTarget struct {
	Project      string // matched case-insensitively
	RegistryURL  string // the registry's base URL, absolute http(s)
	Organization string
	UpdatedBy    string
	UpdatedAt    time.Time
}

const targetColumns = `project, registry_url, organization, updated_by, updated_at`

func scanTarget(row rowScanner) (PublishingTarget, error) {
	var t PublishingTarget
	var at int64
	if err := row.Scan(&t.Project, &t.RegistryURL, &t.Organization, &t.UpdatedBy, &at); err != nil {
		return t, err
	}
	t.UpdatedAt = fromMicros(at)
	return t, nil
}

// PublishingTargets returns every project's target, by project.
func (db *DB) PublishingTargets(ctx context.Context) ([]PublishingTarget, error) {
	rows, err := db.query(ctx, `SELECT `+targetColumns+` FROM publishing_targets ORDER BY lower(project)`)
	if err != nil {
		return nil, fmt.Errorf("publishing targets: %w", err)
	}
	defer rows.Close()
	var out []PublishingTarget
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

// PublishingTarget returns the project's target, whatever the case of its
// name; ENOTFOUND when it has none.
func (db *DB) PublishingTarget(ctx context.Context, project string) (*PublishingTarget, error) {
	t, err := scanTarget(db.queryRow(ctx, `SELECT `+targetColumns+` FROM publishing_targets WHERE lower(project) = $1`,
		strings.ToLower(strings.TrimSpace(project))))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opendata.Errorf(opendata.ENOTFOUND, "no publishing target for project %s", project)
	} else if err != nil {
		return nil, fmt.Errorf("publishing target: %w", err)
	}
	return &t, nil
}

// SavePublishingTarget sets the project's target, replacing the one it had
// under any case of its name. EINVALID for an empty project or organization,
// or a registry URL that is not an absolute http(s) URL. A zero UpdatedAt is now.
func (db *DB) SavePublishingTarget(ctx context.Context, t PublishingTarget) error {
	t.Project, t.Organization = strings.TrimSpace(t.Project), strings.TrimSpace(t.Organization)
	t.RegistryURL = strings.TrimRight(strings.TrimSpace(t.RegistryURL), "/")
	if err := t.validate(); err != nil {
		return err
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = db.now()
	}
	err := db.update(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(`DELETE FROM publishing_targets WHERE lower(project) = $1`, strings.ToLower(t.Project)); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO publishing_targets (`+targetColumns+`) VALUES ($1, $2, $3, $4, $5)`,
			t.Project, t.RegistryURL, t.Organization, t.UpdatedBy, micros(t.UpdatedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("save publishing target: %w", err)
	}
	return nil
}

func (t PublishingTarget) validate() error {
	switch {
	case t.Project == "":
		return opendata.Errorf(opendata.EINVALID, "a publishing target needs a project")
	case t.Organization == "":
		return opendata.Errorf(opendata.EINVALID, "a publishing target needs an organization")
	}
	u, err := url.Parse(t.RegistryURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return opendata.Errorf(opendata.EINVALID, "the registry URL must be an absolute http(s) URL without credentials, query or fragment: %q", t.RegistryURL)
	}
	return nil
}

// DeletePublishingTarget removes the project's target, whatever the case of
// its name; ENOTFOUND when it has none.
func (db *DB) DeletePublishingTarget(ctx context.Context, project string) error {
	err := db.update(ctx, func(tx *Tx) error {
		res, err := tx.Exec(`DELETE FROM publishing_targets WHERE lower(project) = $1`, strings.ToLower(strings.TrimSpace(project)))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return opendata.Errorf(opendata.ENOTFOUND, "no publishing target for project %s", project)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete publishing target: %w", err)
	}
	return nil
}
