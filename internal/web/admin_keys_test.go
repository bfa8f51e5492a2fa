package web_test

import (
	"context"
	"encoding/hex"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/auth"
)

// attr is v as html/template writes it in an attribute value.
func attr(v string) string { return html.EscapeString(v) }

var newKeyElement = regexp.MustCompile(`<code id="new-key"[^>]*>([^<]*)</code>`)

func TestAdminCreatesAKeyShownOnce(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	ctx := context.Background()
	secret, err := rig.db.Secret(ctx, auth.SecretName)
	if err != nil {
		t.Fatal(err)
	}
	// The running server's keyring, loaded before the key exists: it must
	// learn of the new key, and of its revocation, without a restart.
	ring, err := auth.NewKeyring(ctx, rig.db, secret, 0, 0)
	if err != nil {
		t.Fatal(err)
	}

	r := admin.createKey(t, "project", "CFS", "client", "Forest harvester", "contact", "ops@example.gc.ca", "expires_days", "30")
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	m := newKeyElement.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no new-key element in:\n%s", r.body)
	}
	key := m[1]
	if !auth.WellFormed(key) {
		t.Fatalf("new key %q is not well formed", key)
	}
	has(t, r, "will not be shown again", `id="key-`+auth.PrefixOf(key)+`"`)

	keys, err := rig.db.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 {
		t.Fatalf("%d keys stored, want 1", len(keys))
	}
	k := keys[0]
	if k.Prefix != auth.PrefixOf(key) || k.Project != "CFS" || k.Client != "Forest harvester" || k.Contact != "ops@example.gc.ca" {
		t.Errorf("stored %+v", k)
	}
	if want := rig.now.Add(30 * 24 * time.Hour); k.ExpiresAt == nil || !k.ExpiresAt.Equal(want) {
		t.Errorf("expires %v, want %v", k.ExpiresAt, want)
	}

	c, failure, err := ring.Authenticate(ctx, key)
	if err != nil || failure != "" || c.Project != "CFS" {
		t.Fatalf("the new key does not authenticate: %v %q %v", c, failure, err)
	}

	list := admin.get(t, "/admin/keys")
	wantCode(t, list, http.StatusOK)
	has(t, list, k.Prefix, "Forest harvester", "ops@example.gc.ca", "Active", k.ExpiresAt.Format("2006-01-02 15:04 UTC"))
	lacks(t, list, key, `id="new-key"`, key[:len(key)-8], hex.EncodeToString(k.Hash))

	// Revoke asks first: the list links to a page that says what it does; a form sent without it does the same.
	has(t, admin.get(t, "/admin/keys"), `<a id="revoke-`+k.Prefix+`" class="dh-button dh-button--danger dh-button--small" href="/admin/keys/`+k.Prefix+`/revoke">`)
	for _, r := range []response{admin.get(t, "/admin/keys/"+k.Prefix+"/revoke"), admin.post(t, "/admin/keys/"+k.Prefix+"/revoke")} {
		wantCode(t, r, http.StatusOK)
		has(t, r, "Revoke the key "+k.Prefix+"?", `id="confirm-consequence"`, `name="confirmed" value="yes"`, `id="confirm-revoke"`)
	}
	if keys, _ := rig.db.Keys(t.Context()); keys[0].RevokedAt != nil {
		t.Fatal("the key was revoked without confirming")
	}
	r = admin.post(t, "/admin/keys/"+k.Prefix+"/revoke", "confirmed", "yes")
	seeOther(t, r, "/admin/keys?flash=key_revoked")
	if _, failure, err := ring.Authenticate(ctx, key); err != nil || failure != auth.RevokedToken {
		t.Errorf("after revocation the key gives %q, %v; want %q", failure, err, auth.RevokedToken)
	}
	list = admin.get(t, r.header.Get("Location"))
	has(t, list, "The key was revoked.", "Revoked")
	lacks(t, list, `id="revoke-`+k.Prefix+`"`)

	// Revoking again keeps it revoked; an unknown prefix is not found.
	seeOther(t, admin.post(t, "/admin/keys/"+k.Prefix+"/revoke", "confirmed", "yes"), "/admin/keys?flash=key_revoked")
	wantCode(t, admin.post(t, "/admin/keys/dh_zzzzzzzz/revoke", "confirmed", "yes"), http.StatusNotFound)
	wantCode(t, admin.get(t, "/admin/keys/dh_zzzzzzzz/revoke"), http.StatusNotFound)
}

// A key with no lifetime given lives the longest allowed (a year by
// default); only "never", typed on purpose, makes one that does not expire.
func TestAdminKeyLifetime(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	r := admin.createKey(t, "project", "nrc_2", "client", "Stats", "contact", "ops@example.gc.ca", "expires_days", "")
	keys, _ := rig.db.Keys(context.Background())
	if want := rig.now.Add(365 * 24 * time.Hour); len(keys) != 1 || keys[0].ExpiresAt == nil || !keys[0].ExpiresAt.Equal(want) {
		t.Fatalf("stored %+v, want expiry %v", keys, want)
	}
	r = admin.createKey(t, "project", "nrc_2", "client", "Stats", "contact", "ops@example.gc.ca", "expires_days", "Never")
	has(t, r, `id="new-key"`, "It does not expire.")
	keys, _ = rig.db.Keys(context.Background())
	if len(keys) != 2 || (keys[0].ExpiresAt == nil) == (keys[1].ExpiresAt == nil) {
		t.Errorf("stored %+v, want one key that expires and one that does not", keys)
	}
}

func TestAdminKeyFormErrors(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	valid := map[string]string{"project": "CFS", "client": "Harvester", "contact": "ops@example.gc.ca", "expires_days": "90"}
	for name, c := range map[string]struct {
		field, value string
	}{
		"no project":         {"project", ""},
		"project with space": {"project", "C FS"},
		"long project":       {"project", strings.Repeat("A", 33)},
		"no client":          {"client", "   "},
		"long client":        {"client", strings.Repeat("é", 201)},
		"client line break":  {"client", "a\nb"},
		"no contact":         {"contact", ""},
		"named contact":      {"contact", "Ops <ops@example.gc.ca>"},
		"two contacts":       {"contact", "a@example.gc.ca, b@example.gc.ca"},
		"zero days":          {"expires_days", "0"},
		"too many days":      {"expires_days", "366"},
		"negative days":      {"expires_days", "-1"},
		"not never":          {"expires_days", "forever"},
		"days not a number":  {"expires_days", "90d"},
	} {
		t.Run(name, func(t *testing.T) {
			var pairs []string
			for f, v := range valid {
				if f == c.field {
					v = c.value
				}
				pairs = append(pairs, f, v)
			}
			r := admin.post(t, "/admin/keys", pairs...)
			wantCode(t, r, http.StatusUnprocessableEntity)
			has(t, r, `class="dh-error-summary"`, `href="#`+c.field+`"`, `id="error-`+c.field+`"`,
				`aria-invalid="true"`, `error-`+c.field+`"`)
			lacks(t, r, `id="new-key"`)
			// What was typed is kept.
			for f, v := range valid {
				if f == c.field {
					v = strings.TrimSpace(c.value)
				}
				if v != "" && !strings.Contains(r.body, `value="`+attr(v)+`"`) {
					t.Errorf("typed %s %q was lost", f, v)
				}
			}
			if n := len(rig.snapshot(t).keys); n != 0 {
				t.Errorf("%d keys created from an invalid form", n)
			}
		})
	}
}

func TestAdminKeysEscapeClientNames(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	const xss = `<script>alert(1)</script>"><img src=x onerror=alert(1)>`
	r := admin.createKey(t, "project", "CFS", "client", xss, "contact", "ops@example.gc.ca")
	lacks(t, r, "<script>alert", "<img src=x")
	list := admin.get(t, "/admin/keys")
	has(t, list, "&lt;script&gt;alert(1)&lt;/script&gt;")
	lacks(t, list, "<script>alert", "<img src=x")
	// And when the form comes back with an error, the typed value is escaped too.
	bad := admin.post(t, "/admin/keys", "project", "", "client", xss, "contact", "ops@example.gc.ca")
	wantCode(t, bad, http.StatusUnprocessableEntity)
	lacks(t, bad, "<script>alert", "<img src=x")
}

func TestAdminKeysInFrench(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	r := admin.get(t, "/admin/keys?lang=fr")
	wantCode(t, r, http.StatusOK)
	has(t, r, `<html lang="fr">`, "Clés d’API", "Créer une clé", "Système client", "Expire dans (jours)", "Aucune clé d’API")
	r = admin.createKey(t, "project", "CFS", "client", "Moissonneur", "contact", "ops@example.gc.ca", "expires_days", "never")
	has(t, r, "Elle ne sera plus affichée", "Elle n’expire pas.", "En vigueur")
	bad := admin.post(t, "/admin/keys", "project", "CFS", "client", "Moissonneur", "contact", "ops", "expires_days", "x")
	has(t, bad, "Entrez une seule adresse courriel", "Entrez un nombre entier de jours, de 1 à 365, ou never")
}

// createKey posts the key form and follows the redirect to the page that shows the new key once.
func (p *person) createKey(t *testing.T, pairs ...string) response {
	t.Helper()
	r := p.post(t, "/admin/keys", pairs...)
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/keys?created=") {
		t.Fatalf("creating a key: %d to %q, want 303 to the key's page; body:\n%s", r.status, loc, r.body)
	}
	page := p.get(t, loc)
	wantCode(t, page, http.StatusOK)
	page.header.Set("Location", loc)
	return page
}

// The new key is shown once: reloading its page shows it no more and creates no other key.
func TestAdminNewKeyShownOnce(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	r := admin.createKey(t, "project", "CFS", "client", "Stats", "contact", "ops@example.gc.ca")
	if newKeyElement.FindStringSubmatch(r.body) == nil {
		t.Fatal("the new key is not shown")
	}
	again := admin.get(t, r.header.Get("Location"))
	wantCode(t, again, http.StatusOK)
	has(t, again, `id="new-key-gone"`)
	lacks(t, again, `id="new-key"`)
	if keys, _ := rig.db.Keys(context.Background()); len(keys) != 1 {
		t.Fatalf("%d keys after a reload, want 1", len(keys))
	}
	// Another session cannot take it; its own still can.
	other := rig.as(t, "root@example.gc.ca", adminRole)
	loc := admin.post(t, "/admin/keys", "project", "CFS", "client", "Stats 2", "contact", "ops@example.gc.ca").header.Get("Location")
	lacks(t, other.get(t, loc), `id="new-key"`)
	has(t, admin.get(t, loc), `id="new-key"`)
}
