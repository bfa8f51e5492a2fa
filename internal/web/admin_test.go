package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/web"
)

// uiRig is the shared test server (newTestServer) with a clock fixed at the
// real time (which the keyring uses), and browsers signed in through signIn.
// The admin, list and editor tests use it.
type uiRig struct {
	*testServer
	ts  *httptest.Server
	now time.Time
}

func newUIRig(t *testing.T) *uiRig {
	t.Helper()
	rig := &uiRig{now: time.Now().UTC().Truncate(time.Second)}
	rig.testServer = newTestServer(t, func(c *web.Config) {
		c.PublicURL = "http://datahub.example"
		c.Now = func() time.Time { return rig.now }
	})
	rig.ts = rig.Server
	return rig
}

// person is a browser signed in as one address, holding its session's CSRF token.
type person struct {
	rig   *uiRig
	v     *visitor
	c     *http.Client
	email string
	csrf  string
}

// as signs a new browser in as email, granting it roles first.
func (rig *uiRig) as(t *testing.T, email string, roles ...opendata.Grant) *person {
	t.Helper()
	for _, g := range roles {
		rig.grant(t, email, g.Role, g.Project)
	}
	v := signIn(t, rig.testServer, email)
	return &person{rig: rig, v: v, c: v.c, email: email, csrf: v.csrf}
}

// anonymous is a browser signed in as no one.
func (rig *uiRig) anonymous() *person {
	v := rig.newVisitor()
	return &person{rig: rig, v: v, c: v.c}
}

var (
	adminRole    = opendata.Grant{Role: opendata.RoleAdmin}
	globalApprov = opendata.Grant{Role: opendata.RoleApprover}
)

func approverOf(project string) opendata.Grant {
	return opendata.Grant{Role: opendata.RoleApprover, Project: project}
}

func (p *person) get(t *testing.T, path string) response {
	t.Helper()
	return p.v.get(t, path)
}

// post sends a form with the person's CSRF token; pairs are name, value.
func (p *person) post(t *testing.T, path string, pairs ...string) response {
	t.Helper()
	return p.v.post(t, path, pairs...)
}

// postRaw sends a form as given, without adding a CSRF token.
func (p *person) postRaw(t *testing.T, path string, pairs ...string) response {
	t.Helper()
	return p.v.postRaw(t, path, pairs...)
}

// adminRoutes are every admin route, with a form that would change something.
var adminRoutes = []struct {
	method, path string
	form         []string
}{
	{"GET", "/admin", nil},
	{"GET", "/admin/keys", nil},
	{"GET", "/admin/roles", nil},
	{"GET", "/admin/targets", nil},
	{"POST", "/admin/keys", []string{"project", "CFS", "client", "Harvester", "contact", "ops@example.gc.ca"}},
	{"POST", "/admin/keys/dh_aaaaaaaa/revoke", nil},
	{"POST", "/admin/roles", []string{"email", "eve@example.gc.ca", "role", "admin"}},
	{"POST", "/admin/roles/revoke", []string{"email", "boss@example.gc.ca", "role", "admin", "project", ""}},
	{"POST", "/admin/targets", []string{"project", "CFS", "registry_url", "https://registry.example/data", "organization", "cfs-scf"}},
	{"POST", "/admin/targets/NRC/delete", nil},
}

// snapshot is everything the admin pages change, to prove a refused request changed nothing.
type snapshot struct {
	keys    []opendata.APIKey
	grants  []opendata.Grant
	targets []opendata.PublishingTarget
}

func (rig *uiRig) snapshot(t *testing.T) snapshot {
	t.Helper()
	ctx := context.Background()
	keys, err := rig.db.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	grants, err := rig.db.Grants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	targets, err := rig.db.PublishingTargets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return snapshot{keys, grants, targets}
}

func (a snapshot) same(b snapshot) bool {
	if len(a.keys) != len(b.keys) || len(a.grants) != len(b.grants) || len(a.targets) != len(b.targets) {
		return false
	}
	for i := range a.keys {
		if a.keys[i].Prefix != b.keys[i].Prefix || (a.keys[i].RevokedAt == nil) != (b.keys[i].RevokedAt == nil) {
			return false
		}
	}
	for i := range a.grants {
		if a.grants[i] != b.grants[i] {
			return false
		}
	}
	for i := range a.targets {
		if a.targets[i] != b.targets[i] {
			return false
		}
	}
	return true
}

// seedAdminData gives every admin route something it could change.
func seedAdminData(t *testing.T, rig *uiRig) {
	t.Helper()
	ctx := context.Background()
	if _, err := rig.db.AddGrant(ctx, opendata.Grant{Email: "boss@example.gc.ca", Role: opendata.RoleAdmin, GrantedBy: "cli"}); err != nil {
		t.Fatal(err)
	}
	if err := rig.db.CreateKey(ctx, &opendata.APIKey{Prefix: "dh_aaaaaaaa", Hash: make([]byte, 32), Project: "CFS",
		Client: "Old", Contact: "ops@example.gc.ca", CreatedAt: rig.now}); err != nil {
		t.Fatal(err)
	}
	if err := rig.db.SavePublishingTarget(ctx, opendata.PublishingTarget{Project: "NRC",
		RegistryURL: "https://registry.example/data", Organization: "nrc-cnrc", UpdatedBy: "cli"}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestAdminRefusesWhoIsNotAdmin(t *testing.T) {
	rig := newUIRig(t)
	seedAdminData(t, rig)
	people := map[string]*person{
		"user":            rig.as(t, "jane@example.gc.ca"),
		"global approver": rig.as(t, "ann@example.gc.ca", globalApprov),
	}
	before := rig.snapshot(t)
	for who, p := range people {
		for _, rt := range adminRoutes {
			var r response
			if rt.method == "GET" {
				r = p.get(t, rt.path)
			} else {
				r = p.post(t, rt.path, rt.form...)
			}
			if r.status != http.StatusForbidden || !strings.Contains(r.body, `id="error-forbidden"`) {
				t.Errorf("%s: %s %s: status %d, want the 403 page", who, rt.method, rt.path, r.status)
			}
			if strings.Contains(r.body, "dh_aaaaaaaa") || strings.Contains(r.body, "boss@example.gc.ca") {
				t.Errorf("%s: %s %s shows admin data", who, rt.method, rt.path)
			}
		}
	}
	anon := rig.anonymous()
	for _, rt := range adminRoutes {
		if rt.method == "GET" {
			r := anon.get(t, rt.path)
			seeOther(t, r, "/signin?next="+url.QueryEscape(rt.path))
		} else if r := anon.postRaw(t, rt.path, rt.form...); r.status != http.StatusUnauthorized {
			t.Errorf("anonymous: POST %s: status %d, want 401", rt.path, r.status)
		}
	}
	if !before.same(rig.snapshot(t)) {
		t.Error("a refused request changed something")
	}
}

func TestAdminFormsNeedTheCSRFToken(t *testing.T) {
	rig := newUIRig(t)
	seedAdminData(t, rig)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	before := rig.snapshot(t)
	for _, rt := range adminRoutes {
		if rt.method != "POST" {
			continue
		}
		for name, csrf := range map[string][]string{"missing": nil, "wrong": {"csrf", "not-the-token"}} {
			r := admin.postRaw(t, rt.path, append(csrf, rt.form...)...)
			if r.status != http.StatusForbidden || !strings.Contains(r.body, `id="error-csrf"`) {
				t.Errorf("POST %s, token %s: status %d, want the CSRF refusal", rt.path, name, r.status)
			}
		}
	}
	if !before.same(rig.snapshot(t)) {
		t.Error("a request without its CSRF token changed something")
	}
}

func TestAdminHome(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	r := admin.get(t, "/admin")
	wantCode(t, r, http.StatusOK)
	has(t, r, `href="/admin/keys"`, `href="/admin/roles"`, `href="/admin/targets"`, "Service administration")
	fr := admin.get(t, "/admin?lang=fr")
	wantCode(t, fr, http.StatusOK)
	has(t, fr, `<html lang="fr">`, "Administration du service", "Clés d’API", "Rôles", "Destinations de publication")
}

// catalogueKey finds a catalogue key shown instead of its text.
var catalogueKey = regexp.MustCompile(`\b(admin|lists|flash|error|form|nav|state)\.[a-z_]+(\.[a-z_]+)*\b`)

// Every list and admin page is on the layout, with its headers, in both languages.
func TestListAndAdminPagesOnTheLayout(t *testing.T) {
	rig := newUIRig(t)
	listSubmission(t, rig, 1, "CFS", "admin@example.gc.ca", opendata.StatePendingApproval, rig.now)
	admin := rig.as(t, "admin@example.gc.ca", adminRole, globalApprov)
	for _, path := range []string{"/submissions", "/queue", "/admin", "/admin/keys", "/admin/roles", "/admin/targets"} {
		for _, lang := range []string{"en", "fr"} {
			t.Run(path+" "+lang, func(t *testing.T) {
				r := admin.v.get(t, path+"?lang="+lang)
				if r.status != http.StatusOK {
					t.Fatalf("status %d", r.status)
				}
				checkHeaders(t, r)
				checkLayout(t, r, lang)
				if k := catalogueKey.FindString(r.body); k != "" {
					t.Errorf("page shows the catalogue key %q, not its text", k)
				}
			})
		}
	}
}
