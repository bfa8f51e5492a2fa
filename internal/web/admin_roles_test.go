package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

func TestAdminGrantsAndRevokesRoles(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	ctx := context.Background()

	seeOther(t, admin.post(t, "/admin/roles", "email", "Bob@Example.gc.ca", "role", "approver", "project", "cfs"),
		"/admin/roles?flash=role_granted")
	a, err := rig.db.Actor(ctx, "bob@example.gc.ca")
	if err != nil {
		t.Fatal(err)
	}
	if !a.Approves("CFS") || a.Approves("NRC") || a.Admin {
		t.Errorf("bob is %+v, want approver of CFS only", a)
	}
	grants, _ := rig.db.Grants(ctx)
	var bob *opendata.Grant
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
	seeOther(t, r, "/admin/roles?flash=role_already")
	page := admin.get(t, r.header.Get("Location"))
	has(t, page, "already held that role", "bob@example.gc.ca", "Approver", "CFS", "admin:admin@example.gc.ca")

	seeOther(t, admin.post(t, "/admin/roles", "email", "carol@example.gc.ca", "role", "admin"), "/admin/roles?flash=role_granted")
	if a, _ := rig.db.Actor(ctx, "carol@example.gc.ca"); !a.Admin {
		t.Error("carol is not admin")
	}

	// Revoking: another admin's role may go, one's own admin role may not.
	seeOther(t, admin.post(t, "/admin/roles/revoke", "email", "bob@example.gc.ca", "role", "approver", "project", "CFS"),
		"/admin/roles?flash=role_revoked")
	if a, _ := rig.db.Actor(ctx, "bob@example.gc.ca"); a.Approves("CFS") {
		t.Error("bob still approves CFS")
	}
	seeOther(t, admin.post(t, "/admin/roles/revoke", "email", "bob@example.gc.ca", "role", "approver", "project", "CFS"),
		"/admin/roles?flash=role_not_held")
	seeOther(t, admin.post(t, "/admin/roles/revoke", "email", "carol@example.gc.ca", "role", "admin", "project", ""),
		"/admin/roles?flash=role_revoked")

	self := admin.post(t, "/admin/roles/revoke", "email", "ADMIN@example.gc.ca", "role", "admin", "project", "")
	wantCode(t, self, http.StatusUnprocessableEntity)
	has(t, self, `id="roles-refusal"`, "cannot take away your own administrator role")
	if a, _ := rig.db.Actor(ctx, "admin@example.gc.ca"); !a.Admin {
		t.Fatal("the admin demoted themself")
	}
	// The page offers no button for it either.
	page = admin.get(t, "/admin/roles")
	has(t, page, "This is you")
	lacks(t, page, `name="email" value="admin@example.gc.ca"`)
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
			wantCode(t, r, http.StatusUnprocessableEntity)
			has(t, r, `class="dh-error-summary"`, `href="#`+c.field+`"`, `id="error-`+c.field+`"`, `aria-invalid="true"`)
			if c.email != "" {
				has(t, r, `value="`+attr(c.email)+`"`)
			}
			if c.project != "" {
				has(t, r, `value="`+attr(c.project)+`"`)
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
	wantCode(t, r, http.StatusOK)
	has(t, r, "Attribuer un rôle", "Personne approbatrice", "Administrateur", "C’est vous", "NRC")
	self := admin.post(t, "/admin/roles/revoke", "email", "admin@example.gc.ca", "role", "admin")
	has(t, self, "Vous ne pouvez pas retirer votre propre rôle d’administrateur")
	// The language chosen with ?lang=fr carries over, to the flash message too.
	r = admin.post(t, "/admin/roles", "email", "x@example.gc.ca", "role", "approver")
	seeOther(t, r, "/admin/roles?flash=role_granted")
	has(t, admin.get(t, r.header.Get("Location")), "Le rôle a été attribué.")
}

func TestAdminRolesEscapeAddresses(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	// An address may legally hold characters that matter in HTML.
	const odd = `"o'<b>"@example.gc.ca`
	if _, err := rig.db.AddGrant(context.Background(), opendata.Grant{Email: odd, Role: opendata.RoleApprover, GrantedBy: `cli<i>`}); err != nil {
		t.Fatal(err)
	}
	r := admin.get(t, "/admin/roles")
	wantCode(t, r, http.StatusOK)
	lacks(t, r, "<b>", "<i>")
	has(t, r, "&lt;b&gt;", "cli&lt;i&gt;")
}
