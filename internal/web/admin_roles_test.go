package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/opendata-datahub/datahub/internal/store"
)

func TestAdminGrantsAndRevokesRoles(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	ctx := context.Background()

	wantRedirect(t, admin.post(t, "/admin/roles", "email", "Bob@Example.gc.ca", "role", "approver", "project", "cfs"),
		"/admin/roles?flash=role_granted")
	a, err := rig.db.Actor(ctx, "bob@example.gc.ca")
	if err != nil {
		t.Fatal(err)
	}
	if !a.Approves("CFS") || a.Approves("NRC") || a.Admin {
		t.Errorf("bob is %+v, want approver of CFS only", a)
	}
	grants, _ := rig.db.Grants(ctx)
	var bob *store.Grant
	for i := range grants {
		if grants[i].Email == "bob@example.gc.ca" {
			bob = &grants[i]
		}
	}
	if bob == nil || bob.GrantedBy != "admin:admin@example.gc.ca" || bob.Project != "CFS" || !bob.GrantedAt.Equal(rig.now) {
		t.Errorf("bob's grant is %+v", bob)
	}
	// Granting it again changes nothing, and says so.
	r := admin.post(t, "/admin/roles", "email", "bob@example.gc.ca", "role", "approver", "project", "CFS")
	wantRedirect(t, r, "/admin/roles?flash=role_already")
	page := admin.get(t, r.location)
	mustContain(t, page, "already held that role", "bob@example.gc.ca", "Approver", "CFS", "admin:admin@example.gc.ca")

	wantRedirect(t, admin.post(t, "/admin/roles", "email", "carol@example.gc.ca", "role", "admin"), "/admin/roles?flash=role_granted")
	if a, _ := rig.db.Actor(ctx, "carol@example.gc.ca"); !a.Admin {
		t.Error("carol is not admin")
	}

	// Revoking: another admin's role may go, one's own admin role may not.
	wantRedirect(t, admin.post(t, "/admin/roles/revoke", "email", "bob@example.gc.ca", "role", "approver", "project", "CFS"),
		"/admin/roles?flash=role_revoked")
	if a, _ := rig.db.Actor(ctx, "bob@example.gc.ca"); a.Approves("CFS") {
		t.Error("bob still approves CFS")
	}
	wantRedirect(t, admin.post(t, "/admin/roles/revoke", "email", "bob@example.gc.ca", "role", "approver", "project", "CFS"),
		"/admin/roles?flash=role_not_held")
	wantRedirect(t, admin.post(t, "/admin/roles/revoke", "email", "carol@example.gc.ca", "role", "admin", "project", ""),
		"/admin/roles?flash=role_revoked")

	self := admin.post(t, "/admin/roles/revoke", "email", "ADMIN@example.gc.ca", "role", "admin", "project", "")
	wantStatus(t, self, http.StatusUnprocessableEntity)
	mustContain(t, self, `id="roles-refusal"`, "cannot take away your own administrator role")
	if a, _ := rig.db.Actor(ctx, "admin@example.gc.ca"); !a.Admin {
		t.Fatal("the admin demoted themself")
	}
	// The page offers no button for it either.
	page = admin.get(t, "/admin/roles")
	mustContain(t, page, "This is you")
	mustNotContain(t, page, `name="email" value="admin@example.gc.ca"`)
}

func TestAdminRoleFormErrors(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	for name, c := range map[string]struct {
		email, role, project, field string
	}{
		"no email":           {"", "approver", "", "email"},
		"two emails":         {"a@example.gc.ca b@example.gc.ca", "approver", "", "email"},
		"unknown role":       {"a@example.gc.ca", "owner", "", "role"},
		"admin with project": {"a@example.gc.ca", "admin", "CFS", "project"},
		"bad project":        {"a@example.gc.ca", "approver", "C/FS", "project"},
	} {
		t.Run(name, func(t *testing.T) {
			before := rig.snapshot(t)
			r := admin.post(t, "/admin/roles", "email", c.email, "role", c.role, "project", c.project)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			mustContain(t, r, `class="dh-error-summary"`, `href="#`+c.field+`"`, `id="error-`+c.field+`"`, `aria-invalid="true"`)
			if c.email != "" {
				mustContain(t, r, `value="`+attr(c.email)+`"`)
			}
			if c.project != "" {
				mustContain(t, r, `value="`+attr(c.project)+`"`)
			}
			if !before.same(rig.snapshot(t)) {
				t.Error("an invalid form changed the roles")
			}
		})
	}
}

func TestAdminRolesInFrench(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	rig.as(t, "ann@example.gc.ca", approverOf("NRC"))
	r := admin.get(t, "/admin/roles?lang=fr")
	wantStatus(t, r, http.StatusOK)
	mustContain(t, r, "Attribuer un rôle", "Approbateur", "Administrateur", "C’est vous", "NRC")
	self := admin.post(t, "/admin/roles/revoke", "email", "admin@example.gc.ca", "role", "admin")
	mustContain(t, self, "Vous ne pouvez pas retirer votre propre rôle d’administrateur")
	// The language chosen with ?lang=fr carries over, to the flash message too.
	r = admin.post(t, "/admin/roles", "email", "x@example.gc.ca", "role", "approver")
	wantRedirect(t, r, "/admin/roles?flash=role_granted")
	mustContain(t, admin.get(t, r.location), "Le rôle a été attribué.")
}

func TestAdminRolesEscapeAddresses(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	// An address may legally hold characters that matter in HTML.
	const odd = `"o'<b>"@example.gc.ca`
	if _, err := rig.db.AddGrant(context.Background(), store.Grant{Email: odd, Role: store.RoleApprover, GrantedBy: `cli<i>`}); err != nil {
		t.Fatal(err)
	}
	r := admin.get(t, "/admin/roles")
	wantStatus(t, r, http.StatusOK)
	mustNotContain(t, r, "<b>", "<i>")
	mustContain(t, r, "&lt;b&gt;", "cli&lt;i&gt;")
}
