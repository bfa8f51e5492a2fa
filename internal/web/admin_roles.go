package web

import (
	"net/http"
	"strings"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// roleForm is what the admin typed to grant a role.
type roleForm struct {
	Email, Role, Project string
}

type rolesPage struct {
	Page
	Grants  []opendata.Grant
	Self    string // the acting admin's address: their admin row has no revoke button
	Form    roleForm
	Errors  inputErrors // about the grant form
	Refusal string      // why a revocation was refused
}

// RoleOptions are the roles the grant form offers, the typed one selected.
func (p *rolesPage) RoleOptions() []fieldOption {
	roles := []opendata.Role{opendata.RoleApprover, opendata.RoleAdmin}
	opts := make([]fieldOption, len(roles))
	for i, r := range roles {
		opts[i] = fieldOption{Value: string(r), Label: t(p.Lang, "admin.roles.role."+string(r)), Selected: p.Form.Role == string(r)}
	}
	return opts
}

func (s *Server) adminRoles(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.renderRoles(w, r, v, http.StatusOK, &rolesPage{Page: s.newPage(w, r, v), Form: roleForm{Role: string(opendata.RoleApprover)}})
}

func (s *Server) renderRoles(w http.ResponseWriter, r *http.Request, v *viewer, status int, p *rolesPage) {
	grants, err := s.db.Grants(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p.Grants, p.Self = grants, opendata.NormEmail(v.Actor.Email)
	s.render(w, r, status, "admin_roles.html", p)
}

// grantRole gives an address a role, checked as the command line checks it.
func (s *Server) grantRole(w http.ResponseWriter, r *http.Request, v *viewer) {
	p := &rolesPage{Page: s.newPage(w, r, v), Form: roleForm{
		Email:   strings.TrimSpace(r.PostFormValue("email")),
		Role:    r.PostFormValue("role"),
		Project: strings.TrimSpace(r.PostFormValue("project")),
	}}
	role := opendata.Role(p.Form.Role)
	if !opendata.OneAddress(p.Form.Email) {
		p.Errors = append(p.Errors, inputError{"email", t(p.Lang, "admin.error.email")})
	}
	if !role.Valid() {
		p.Errors = append(p.Errors, inputError{"role", t(p.Lang, "admin.roles.error.role")})
	}
	switch {
	case role == opendata.RoleAdmin && p.Form.Project != "":
		p.Errors = append(p.Errors, inputError{"project", t(p.Lang, "admin.roles.error.admin_project")})
	case p.Form.Project != "" && !opendata.ValidProject(p.Form.Project):
		p.Errors = append(p.Errors, inputError{"project", t(p.Lang, "admin.error.project")})
	}
	if len(p.Errors) > 0 {
		s.renderRoles(w, r, v, http.StatusUnprocessableEntity, p)
		return
	}
	added, err := s.db.AddGrant(r.Context(), opendata.Grant{Email: p.Form.Email, Role: role, Project: p.Form.Project,
		GrantedAt: s.cfg.Now(), GrantedBy: opendata.AdminActorName(v.Actor.Email)})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !added {
		s.seeOther(w, r, v, "/admin/roles", "role_already")
		return
	}
	s.logger.InfoContext(r.Context(), "role granted", "email", opendata.NormEmail(p.Form.Email), "role", role,
		"project", strings.ToUpper(p.Form.Project), "by", opendata.AdminActorName(v.Actor.Email))
	s.seeOther(w, r, v, "/admin/roles", "role_granted")
}

// revokeRole takes a role away. An admin may not take away their own admin
// role, so that no one leaves the installation without an admin by accident.
func (s *Server) revokeRole(w http.ResponseWriter, r *http.Request, v *viewer) {
	email, role, project := r.PostFormValue("email"), opendata.Role(r.PostFormValue("role")), r.PostFormValue("project")
	if role == opendata.RoleAdmin && opendata.NormEmail(email) == opendata.NormEmail(v.Actor.Email) {
		p := &rolesPage{Page: s.newPage(w, r, v), Form: roleForm{Role: string(opendata.RoleApprover)}}
		p.Refusal = t(p.Lang, "admin.roles.error.self")
		s.renderRoles(w, r, v, http.StatusUnprocessableEntity, p)
		return
	}
	removed, err := s.db.RemoveGrant(r.Context(), email, role, project)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !removed {
		s.seeOther(w, r, v, "/admin/roles", "role_not_held")
		return
	}
	s.logger.InfoContext(r.Context(), "role revoked", "email", opendata.NormEmail(email), "role", role,
		"project", strings.ToUpper(strings.TrimSpace(project)), "by", opendata.AdminActorName(v.Actor.Email))
	s.seeOther(w, r, v, "/admin/roles", "role_revoked")
}
