package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/publish"
)

// targetForm is what the admin typed to save a publishing target.
type targetForm struct {
	Project, RegistryURL, Organization string
}

type targetsPage struct {
	Page
	Targets []opendata.PublishingTarget
	Form    targetForm // the token typed is never shown back
	Errors  inputErrors
	Check   *targetCheck // the outcome of a check, once asked
}

// targetCheck is what a target's registry answered to a check.
type targetCheck struct {
	Project string
	OK      bool
	Text    string // the registry's own words when it refused
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
	var sealed *string
	if token := strings.TrimSpace(r.PostFormValue("token")); token != "" {
		if publish.CheckToken(token) != nil {
			p.Errors = append(p.Errors, inputError{"token", t(p.Lang, "admin.targets.error.token")})
		} else if s, err := s.cfg.Registry.SealToken(target.Project, token); err != nil {
			p.Errors = append(p.Errors, inputError{"token", t(p.Lang, "admin.targets.error.seal")})
		} else {
			sealed = &s
		}
	}
	if len(p.Errors) > 0 {
		s.renderTargets(w, r, http.StatusUnprocessableEntity, p)
		return
	}
	if err := s.db.SavePublishingTarget(r.Context(), target, sealed); err != nil {
		s.internalError(w, r, err)
		return
	}
	s.logger.InfoContext(r.Context(), "publishing target saved", "project", target.Project,
		"registry", target.RegistryURL, "organization", target.Organization, "token_replaced", sealed != nil,
		"by", opendata.AdminActorName(v.Actor.Email))
	s.seeOther(w, r, v, "/admin/targets", "target_saved")
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
	s.seeOther(w, r, v, "/admin/targets", "target_deleted")
}

// checkTarget asks the target's registry for its organization with its token
// and shows the answer in one line (publish.Registry.Check).
func (s *Server) checkTarget(w http.ResponseWriter, r *http.Request, v *viewer) {
	project := r.PathValue("project")
	target, sealed, err := s.db.SealedTarget(r.Context(), project)
	if err != nil {
		s.refuse(w, r, v, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	check := &targetCheck{Project: target.Project}
	check.Text, err = s.cfg.Registry.Check(ctx, target, sealed)
	check.OK = err == nil
	if err != nil {
		check.Text = err.Error()
	}
	s.logger.InfoContext(r.Context(), "publishing target checked", "project", target.Project, "ok", check.OK,
		"by", opendata.AdminActorName(v.Actor.Email))
	s.renderTargets(w, r, http.StatusOK, &targetsPage{Page: s.newPage(w, r, v), Check: check})
}
