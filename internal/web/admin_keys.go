package web

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opendata-datahub/datahub/internal/auth"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

// keyRow is an API key as the list shows it: never its hash.
type keyRow struct {
	Prefix, Project, Client, Contact string
	Created                          time.Time
	Expires, LastUsed                *time.Time
	Status                           string // active, expired or revoked
}

// keyForm is what the admin typed to create a key.
type keyForm struct {
	Project, Client, Contact, ExpiresDays string
}

type keysPage struct {
	Page
	Keys   []keyRow
	Form   keyForm
	Errors inputErrors
	NewKey string // the key just created, shown this once
	New    keyRow // the record of the key just created
	Gone   bool   // a new key's page was asked for again: it is not shown twice
}

func (s *Server) adminKeys(w http.ResponseWriter, r *http.Request, v *viewer) {
	p := &keysPage{Page: s.newPage(w, r, v)}
	if id := r.URL.Query().Get("created"); id != "" {
		key, err := s.takeNewKey(r, v, id)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		p.NewKey, p.Gone = key, key == ""
	}
	s.renderKeys(w, r, http.StatusOK, p)
}

// newKeyFor is how long a new key waits to be shown, once, after its post.
const newKeyFor = 10 * time.Minute

// keepNewKey seals a new key for this session to show once after the
// redirect (post/redirect/get: a reload creates nothing), and returns the id
// to show it under; "" when no secret key is configured to seal it.
func (s *Server) keepNewKey(r *http.Request, v *viewer, key string) (string, error) {
	if s.cfg.Registry.Keys == nil {
		return "", nil
	}
	b := make([]byte, 16)
	rand.Read(b)
	id := hex.EncodeToString(b)
	sealed, err := s.cfg.Registry.Keys.Seal([]byte(key), []byte("one-time:"+id))
	if err != nil {
		return "", err
	}
	return id, s.db.SaveOneTime(r.Context(), id, v.session.Hash, sealed, newKeyFor)
}

// takeNewKey returns the key kept under id for this session, once; "" after that.
func (s *Server) takeNewKey(r *http.Request, v *viewer, id string) (string, error) {
	sealed, err := s.db.TakeOneTime(r.Context(), id, v.session.Hash)
	if err != nil || sealed == "" || s.cfg.Registry.Keys == nil {
		return "", err
	}
	key, err := s.cfg.Registry.Keys.Open(sealed, []byte("one-time:"+id))
	return string(key), err
}

// renderKeys lists the keys under the page's form.
func (s *Server) renderKeys(w http.ResponseWriter, r *http.Request, status int, p *keysPage) {
	keys, err := s.db.Keys(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	now := s.cfg.Now()
	p.Keys = make([]keyRow, 0, len(keys))
	for _, k := range keys {
		p.Keys = append(p.Keys, newKeyRow(k, now))
		if p.NewKey != "" && strings.HasPrefix(p.NewKey, k.Prefix) {
			p.New = newKeyRow(k, now)
		}
	}
	s.render(w, r, status, "admin_keys.html", p)
}

func newKeyRow(k opendata.APIKey, now time.Time) keyRow {
	return keyRow{Prefix: k.Prefix, Project: k.Project, Client: k.Client, Contact: k.Contact,
		Created: k.CreatedAt, Expires: k.ExpiresAt, LastUsed: k.LastUsedAt, Status: string(k.Status(now))}
}

// createKey mints a key and shows it once: the redirect names a sealed,
// short-lived record of it that the next page takes (post/redirect/get), so
// neither the URL nor a cookie carries the key and a reload creates nothing.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request, v *viewer) {
	p := &keysPage{Page: s.newPage(w, r, v), Form: keyForm{
		Project:     strings.TrimSpace(r.PostFormValue("project")),
		Client:      strings.TrimSpace(r.PostFormValue("client")),
		Contact:     strings.TrimSpace(r.PostFormValue("contact")),
		ExpiresDays: strings.TrimSpace(r.PostFormValue("expires_days")),
	}}
	now := s.cfg.Now()
	// A number of days, "never", or nothing for the longest lifetime allowed.
	requested := strings.ToLower(p.Form.ExpiresDays)
	if n, err := strconv.Atoi(requested); err == nil && n > 0 {
		requested += "d"
	} else if requested != "" && requested != opendata.KeyNever {
		requested = "invalid"
	}
	req := opendata.KeyRequest{Project: p.Form.Project, Client: p.Form.Client, Contact: p.Form.Contact}
	expires, err := opendata.KeyExpiry(requested, s.cfg.KeyMaxLifetime, now)
	for _, e := range req.Validate(now) {
		p.Errors = append(p.Errors, inputError{e.Field, t(p.Lang, keyErrors[e.Field])})
	}
	if err != nil {
		maxDays := strconv.Itoa(int(s.cfg.KeyMaxLifetime / (24 * time.Hour)))
		p.Errors = append(p.Errors, inputError{"expires_days", t(p.Lang, "admin.keys.error.expires", "max", maxDays)})
	}
	if len(p.Errors) > 0 {
		s.renderKeys(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	req.ExpiresAt = expires
	key, rec, err := auth.IssueKey(r.Context(), s.db, req, now)
	if err != nil {
		s.refuse(w, r, v, err)
		return
	}
	s.logger.InfoContext(r.Context(), "API key created", "prefix", rec.Prefix, "project", rec.Project,
		"by", opendata.AdminActorName(v.Actor.Email))
	id, err := s.keepNewKey(r, v, key)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if id != "" {
		http.Redirect(w, r, "/admin/keys?created="+id, http.StatusSeeOther)
		return
	}
	// No secret key to seal it with: shown on this answer (a reload asks the browser to post again).
	s.renderKeys(w, r, http.StatusOK, &keysPage{Page: p.Page, NewKey: key, New: newKeyRow(*rec, now)})
}

// revokePage asks to confirm a key's revocation.
type revokePage struct {
	Page
	Key keyRow
}

// confirmRevoke shows the key and what revoking it does, with the form that does it.
func (s *Server) confirmRevoke(w http.ResponseWriter, r *http.Request, v *viewer) {
	keys, err := s.db.Keys(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	for _, k := range keys {
		if k.Prefix == r.PathValue("prefix") {
			s.render(w, r, http.StatusOK, "admin_revoke.html", &revokePage{Page: s.newPage(w, r, v), Key: newKeyRow(k, s.cfg.Now())})
			return
		}
	}
	s.fail(w, r, v, http.StatusNotFound, "error.not_found")
}

// keyErrors are the messages of opendata.KeyRequest.Validate's fields.
var keyErrors = map[string]string{
	"project": "admin.error.project", "client": "admin.keys.error.client", "contact": "admin.error.email",
}

// revokeKey revokes a key at once: the store moves the key epoch, so every
// running server refuses the key from its next request.
// It is taken from its own page, which asks to confirm it (confirmRevoke).
func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, v *viewer) {
	prefix := r.PathValue("prefix")
	if r.PostFormValue("confirmed") != "yes" {
		s.confirmRevoke(w, r, v)
		return
	}
	err := s.db.RevokeKey(r.Context(), prefix)
	if err != nil {
		s.refuse(w, r, v, err)
		return
	}
	s.logger.InfoContext(r.Context(), "API key revoked", "prefix", prefix, "by", opendata.AdminActorName(v.Actor.Email))
	s.seeOther(w, r, v, "/admin/keys", "key_revoked")
}
