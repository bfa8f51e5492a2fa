package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

// finalActions end or undo something: their buttons look different.
var finalActions = map[opendata.Action]bool{
	opendata.ActionReject: true, opendata.ActionWithdraw: true, opendata.ActionUnpublish: true,
}

// actionView is the form of one action the viewer may take now or once the
// checklist allows.
type actionView struct {
	Action         opendata.Action
	URL            string
	Label          string
	Help           string
	Ready          bool
	Missing        []string // the checklist items still to do, in words
	HasReason      bool
	ReasonRequired bool
	Reason         string // as typed, after a refusal
	Error          string // why the last attempt was refused
	Final          bool
}

// actionForm is what the action_form partial draws: one action, on the
// overview or on its own page (Own), where it is confirmed.
type actionForm struct {
	Lang i18n.Lang
	CSRF string
	A    actionView
	Own  bool
}

// actionViews lists the workflow's options for v, in workflow order.
func actionViews(lang i18n.Lang, sub *opendata.Submission, v *viewer, facts opendata.Checklist, probs flowProblems) []actionView {
	opts := sub.Options(v.Actor, facts)
	out := make([]actionView, 0, len(opts))
	for _, o := range opts {
		has, required := o.Action.Reason()
		a := actionView{Action: o.Action, URL: flowPath(sub.ID) + "/actions/" + string(o.Action),
			Label: t(lang, "action."+string(o.Action)), Help: t(lang, "action.help."+string(o.Action)),
			Ready: o.Ready(), Missing: itemWords(lang, o.Missing), HasReason: has, ReasonRequired: required,
			Final: finalActions[o.Action]}
		if o.Action == probs.Action {
			a.Reason, a.Error = probs.Reason, probs.Error
		}
		out = append(out, a)
	}
	return out
}

func itemWords(lang i18n.Lang, items []opendata.ChecklistItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = t(lang, "checklist."+string(it))
	}
	return out
}

// act takes a workflow action. The workflow decides (opendata.Submission.Apply)
// on the submission as stored now, and what the step causes; the store records
// the step and enqueues its effects only if no one moved the submission meanwhile.
func (s *Server) act(w http.ResponseWriter, r *http.Request, v *viewer) {
	act := opendata.Action(r.PathValue("action"))
	if !act.Valid() {
		s.fail(w, r, v, http.StatusNotFound, "error.not_found")
		return
	}
	sub, ok := s.loadSubmission(w, r, v)
	if !ok {
		return
	}
	facts, err := s.checklist(r.Context(), sub, v)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	reason := r.PostFormValue("reason")
	if finalActions[act] && r.PostFormValue("confirmed") != "yes" && offered(sub, v, facts, act) {
		// An action that ends or undoes something is taken from its own page, which says so.
		s.renderFlow(w, r, v, sub, http.StatusOK, flowEdit{Action: act}, flowProblems{Action: act, Reason: reason})
		return
	}
	step, err := sub.Apply(v.Actor, act, reason, facts, s.cfg.Now())
	var refusal *opendata.Refusal
	if errors.As(err, &refusal) {
		edit := flowEdit{Action: act}
		if act == opendata.ActionSubmitForApproval {
			edit = flowEdit{Task: taskSubmit}
		}
		s.renderFlow(w, r, v, sub, http.StatusUnprocessableEntity, edit,
			flowProblems{Action: act, Reason: reason, Error: refusalText(lang(r), refusal)})
		return
	} else if opendata.ErrorCode(err) == opendata.ECONFLICT {
		s.stale(w, r, v, sub, act)
		return
	} else if err != nil {
		s.refuse(w, r, v, err)
		return
	}
	if err := s.db.ApplyTransition(r.Context(), sub.ID, step); opendata.ErrorCode(err) == opendata.ECONFLICT {
		s.staleAfterRead(w, r, v, sub.ID, act)
		return
	} else if err != nil {
		s.refuse(w, r, v, err)
		return
	}
	s.seeOther(w, r, v, flowPath(sub.ID), string(act))
}

// refusalText says in lang why the workflow refused an action.
func refusalText(lang i18n.Lang, r *opendata.Refusal) string {
	return t(lang, "action.error."+string(r.Code), "limit", strconv.Itoa(r.Limit),
		"items", strings.Join(itemWords(lang, r.Missing), ", "))
}

// offered reports whether the workflow offers act to v now, ready or not.
func offered(sub *opendata.Submission, v *viewer, facts opendata.Checklist, act opendata.Action) bool {
	for _, o := range sub.Options(v.Actor, facts) {
		if o.Action == act {
			return true
		}
	}
	return false
}

// actionPage shows one action's form on its own page: the confirmation of
// an action that ends or undoes something, and what a GET of an action's
// address (a bookmark, Back) finds.
func (s *Server) actionPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	act := opendata.Action(r.PathValue("action"))
	if !act.Valid() {
		s.fail(w, r, v, http.StatusNotFound, "error.not_found")
		return
	}
	sub, ok := s.loadSubmission(w, r, v)
	if !ok {
		return
	}
	if act == opendata.ActionSubmitForApproval {
		http.Redirect(w, r, taskPath(sub.ID, taskSubmit), http.StatusSeeOther)
		return
	}
	s.renderFlow(w, r, v, sub, http.StatusOK, flowEdit{Action: act}, flowProblems{})
}
