package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// AddGrant stores a role; it reports false when the address already held it.
func (db *DB) AddGrant(ctx context.Context, g opendata.Grant) (added bool, err error) {
	g.Normalize()
	if err := g.Validate(); err != nil {
		return false, err
	}
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.Exec(`INSERT INTO roles (email, role, project, granted_at, granted_by) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (email, role, project) DO NOTHING`,
			g.Email, string(g.Role), g.Project, micros(g.GrantedAt), g.GrantedBy)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		added = n == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("grant role: %w", err)
	}
	return added, nil
}

// RemoveGrant takes a role away; it reports false when the address did not hold it.
func (db *DB) RemoveGrant(ctx context.Context, email string, role opendata.Role, project string) (removed bool, err error) {
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.Exec(`DELETE FROM roles WHERE email = $1 AND role = $2 AND project = $3`,
			opendata.NormEmail(email), string(role), opendata.NormProject(project))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		removed = n == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("revoke role: %w", err)
	}
	return removed, nil
}

// Grants lists every role held, by address, role and project.
func (db *DB) Grants(ctx context.Context) ([]opendata.Grant, error) {
	return db.grants(ctx, `SELECT email, role, project, granted_at, granted_by FROM roles ORDER BY email, role, project`)
}

func (db *DB) grants(ctx context.Context, q string, args ...any) ([]opendata.Grant, error) {
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	defer rows.Close()
	var out []opendata.Grant
	for rows.Next() {
		var g opendata.Grant
		var role string
		var at int64
		if err := rows.Scan(&g.Email, &role, &g.Project, &at, &g.GrantedBy); err != nil {
			return nil, fmt.Errorf("list roles: %w", err)
		}
		g.Role, g.GrantedAt = opendata.Role(role), fromMicros(at)
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	return out, nil
}

// Actor returns the signed-in person with the roles their address holds now,
// so that a role granted or revoked counts from the next request.
func (db *DB) Actor(ctx context.Context, email string) (opendata.Actor, error) {
	email = opendata.NormEmail(email)
	gs, err := db.grants(ctx, `SELECT email, role, project, granted_at, granted_by FROM roles WHERE email = $1`, email)
	if err != nil {
		return opendata.Actor{}, err
	}
	a := opendata.Actor{Kind: opendata.ActorUser, Email: email}
	for _, g := range gs {
		switch {
		case g.Role == opendata.RoleAdmin:
			a.Admin = true
		case g.Role == opendata.RoleApprover && g.Project == "":
			a.Approver = true
		case g.Role == opendata.RoleApprover:
			a.ApproverOf = append(a.ApproverOf, g.Project)
		}
	}
	return a, nil
}

// Approvers returns the addresses that approve project's submissions.
func (db *DB) Approvers(ctx context.Context, project string) ([]string, error) {
	return db.emails(ctx, `SELECT DISTINCT email FROM roles WHERE role = 'approver' AND project IN ('', $1) ORDER BY email`,
		opendata.NormProject(project))
}

// Admins returns the addresses with the admin role.
func (db *DB) Admins(ctx context.Context) ([]string, error) {
	return db.emails(ctx, `SELECT DISTINCT email FROM roles WHERE role = 'admin' ORDER BY email`)
}

func (db *DB) emails(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, fmt.Errorf("list addresses: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// LoginToken is a sign-in link as stored: the hash of its token, never the token.
type LoginToken struct {
	Hash      []byte
	Email     string
	Next      string // where to go once signed in: a local path
	CreatedAt time.Time
	ExpiresAt time.Time
}

// tokenRetention is how long spent and expired tokens and sessions are kept, for whoever investigates.
const tokenRetention = 7 * 24 * time.Hour

// CreateLoginToken stores a new sign-in link and drops links that expired long ago.
func (db *DB) CreateLoginToken(ctx context.Context, t LoginToken) error {
	err := db.update(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(`DELETE FROM login_tokens WHERE expires_at < $1`, micros(t.CreatedAt.Add(-tokenRetention))); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO login_tokens (hash, email, next, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			t.Hash, opendata.NormEmail(t.Email), t.Next, micros(t.CreatedAt), micros(t.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create sign-in link: %w", err)
	}
	return nil
}

// Why a sign-in link is refused; the web page says which.
var (
	ErrTokenUnknown = errors.New("this sign-in link is not valid")
	ErrTokenUsed    = errors.New("this sign-in link was already used")
	ErrTokenExpired = errors.New("this sign-in link has expired")
)

// UseLoginToken spends the sign-in link whose token hashes to hash, once:
// of two concurrent uses exactly one succeeds. A link that is unknown, spent
// or expired at now is ErrTokenUnknown, ErrTokenUsed or ErrTokenExpired; a
// used or expired link still returns its Next, so that signing in again goes there.
func (db *DB) UseLoginToken(ctx context.Context, hash []byte, now time.Time) (LoginToken, error) {
	var t LoginToken
	var refused error
	err := db.update(ctx, func(tx *Tx) error {
		refused = nil
		var created, expires int64
		var used sql.NullInt64
		err := tx.QueryRow(`SELECT email, next, created_at, expires_at, used_at FROM login_tokens WHERE hash = $1`+db.dialect.forUpdate,
			hash).Scan(&t.Email, &t.Next, &created, &expires, &used)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			refused = ErrTokenUnknown
			return nil
		case err != nil:
			return err
		case used.Valid:
			refused = ErrTokenUsed
			return nil
		case expires <= micros(now):
			refused = ErrTokenExpired
			return nil
		}
		t.Hash, t.CreatedAt, t.ExpiresAt = hash, fromMicros(created), fromMicros(expires)
		res, err := tx.Exec(`UPDATE login_tokens SET used_at = $1 WHERE hash = $2 AND used_at IS NULL`, micros(now), hash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			refused = ErrTokenUsed
		}
		return nil
	})
	if err != nil {
		return LoginToken{}, fmt.Errorf("use sign-in link: %w", err)
	}
	if refused != nil {
		return LoginToken{Next: t.Next}, refused
	}
	return t, nil
}

// Session is a signed-in browser as stored: the hash of its cookie's token.
type Session struct {
	Hash      []byte
	Email     string
	CSRF      string // the token every form of this session carries
	Method    string // how the person signed in: "link" or "oidc"
	CreatedAt time.Time
	ExpiresAt time.Time
	Lang      string // the language the person last read the pages in ("en", "fr"), "" before their first page
}

// CreateSession stores a session and drops sessions that ended long ago.
func (db *DB) CreateSession(ctx context.Context, s Session) error {
	err := db.update(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(`DELETE FROM sessions WHERE expires_at < $1`, micros(s.CreatedAt.Add(-tokenRetention))); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO sessions (hash, email, csrf, method, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			s.Hash, opendata.NormEmail(s.Email), s.CSRF, s.Method, micros(s.CreatedAt), micros(s.ExpiresAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// Session returns the session whose token hashes to hash if it is still
// valid at now; ENOTFOUND if there is none or it has ended.
func (db *DB) Session(ctx context.Context, hash []byte, now time.Time) (*Session, error) {
	s := Session{Hash: hash}
	var created, expires int64
	err := db.queryRow(ctx, `SELECT s.email, s.csrf, s.method, s.created_at, s.expires_at, coalesce(l.lang, '')
		FROM sessions s LEFT JOIN languages l ON l.email = s.email WHERE s.hash = $1 AND s.expires_at > $2`,
		hash, micros(now)).Scan(&s.Email, &s.CSRF, &s.Method, &created, &expires, &s.Lang)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opendata.Errorf(opendata.ENOTFOUND, "no session")
	} else if err != nil {
		return nil, fmt.Errorf("get session: %w", err)
	}
	s.CreatedAt, s.ExpiresAt = fromMicros(created), fromMicros(expires)
	return &s, nil
}

// EndSession signs a browser out; ending an unknown session does nothing.
func (db *DB) EndSession(ctx context.Context, hash []byte) error {
	err := db.update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`DELETE FROM sessions WHERE hash = $1`, hash)
		return err
	})
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}
