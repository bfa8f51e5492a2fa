package web

import (
	"net/http"
	"strings"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// targetForm is what the admin typed to save a publishing target.
type targetForm struct {
	Project, RegistryURL, Organization string
}

type targetsPage struct {
	Page
	Targets []opendata.PublishingTarget
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
	target := opendata.PublishingTarget{Project: p.Form.Project, RegistryURL: p.Form.RegistryURL,
		Organization: p.Form.Organization, UpdatedBy: opendata.AdminActorName(v.Actor.Email), UpdatedAt: s.cfg.Now()}
	target.Normalize()
	for _, e := range target.Validate() {
		p.Errors = append(p.Errors, inputError{e.Field, t(p.Lang, targetErrors[e.Field])})
	}
	if len(p.Errors) > 0 {
		s.renderTargets(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if err := s.db.SavePublishingTarget(r.Context(), target, nil); err != nil {
		s.internalError(w, r, err)
		return
	}
	s.logger.InfoContext(r.Context(), "publishing target saved", "project", p.Form.Project,
		"registry", p.Form.RegistryURL, "organization", p.Form.Organization, "by", opendata.AdminActorName(v.Actor.Email))
	seeOther(w, r, "/admin/targets", "target_saved")
}

// targetErrors are the messages of opendata.PublishingTarget.Validate's fields.
var targetErrors = map[string]string{
	"project": "admin.error.project", "registry_url": "admin.targets.error.url",
	"organization": "admin.targets.error.organization",
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
