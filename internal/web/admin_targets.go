package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// organizationPattern is a CKAN organization's name or id, as CKAN accepts
// them for owner_org: 2 to 100 lower-case letters, digits, - and _.
var organizationPattern = regexp.MustCompile(`^[a-z0-9_-]{2,100}$`)

// targetForm is what the admin typed to save a publishing target.
type targetForm struct {
	Project, RegistryURL, Organization string
}

type targetsPage struct {
	Page
	Targets []store.PublishingTarget
	Form    targetForm
	Errors  inputErrors
}

func (s *Server) adminTargets(w http.ResponseWriter, r *http.Request, v *viewer) {
	s.renderTargets(w, r, http.StatusOK, &targetsPage{Page: s.newPage(w, r, v)})
}

func (s *Server) renderTargets(w http.ResponseWriter, r *http.Request, status int, p *targetsPage) {
	targets, err := s.db.PublishingTargets(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p.Targets = targets
	s.render(w, r, status, "admin_targets.html", p)
}

// saveTarget sets a project's target, replacing the one it had.
func (s *Server) saveTarget(w http.ResponseWriter, r *http.Request, v *viewer) {
	p := &targetsPage{Page: s.newPage(w, r, v), Form: targetForm{
		Project:      strings.TrimSpace(r.PostFormValue("project")),
		RegistryURL:  strings.TrimSpace(r.PostFormValue("registry_url")),
		Organization: strings.TrimSpace(r.PostFormValue("organization")),
	}}
	if !opendata.ValidProject(p.Form.Project) {
		p.Errors = append(p.Errors, inputError{"project", t(p.Lang, "admin.error.project")})
	}
	if !registryURL(p.Form.RegistryURL) {
		p.Errors = append(p.Errors, inputError{"registry_url", t(p.Lang, "admin.targets.error.url")})
	}
	if !organizationPattern.MatchString(p.Form.Organization) {
		p.Errors = append(p.Errors, inputError{"organization", t(p.Lang, "admin.targets.error.organization")})
	}
	if len(p.Errors) > 0 {
		s.renderTargets(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	err := s.db.SavePublishingTarget(r.Context(), store.PublishingTarget{Project: p.Form.Project,
		RegistryURL: p.Form.RegistryURL, Organization: p.Form.Organization,
		UpdatedBy: opendata.AdminActorName(v.Actor.Email), UpdatedAt: s.cfg.Now()})
	switch {
	case opendata.ErrorCode(err) == opendata.EINVALID:
		// The checks above mirror the store's; should they ever drift, say what it said.
		p.Errors = append(p.Errors, inputError{"", opendata.ErrorMessage(err)})
		s.renderTargets(w, r, http.StatusUnprocessableEntity, p)
		return
	case err != nil:
		s.internalError(w, r, err)
		return
	}
	s.logger.InfoContext(r.Context(), "publishing target saved", "project", p.Form.Project,
		"registry", p.Form.RegistryURL, "organization", p.Form.Organization, "by", opendata.AdminActorName(v.Actor.Email))
	seeOther(w, r, "/admin/targets", "target_saved")
}

// registryURL reports whether u is a registry's base URL as the store keeps
// it: absolute http(s), without credentials, query or fragment.
func registryURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != "" && p.User == nil &&
		p.RawQuery == "" && p.Fragment == "" && !strings.HasSuffix(u, "?") && !strings.HasSuffix(u, "#") && len(u) <= 500
}

func (s *Server) deleteTarget(w http.ResponseWriter, r *http.Request, v *viewer) {
	err := s.db.DeletePublishingTarget(r.Context(), r.PathValue("project"))
	if err != nil {
		s.refuse(w, r, v, err)
		return
	}
	s.logger.InfoContext(r.Context(), "publishing target deleted", "project", r.PathValue("project"),
		"by", opendata.AdminActorName(v.Actor.Email))
	seeOther(w, r, "/admin/targets", "target_deleted")
}
