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
	step, err := sub.Apply(v.Actor, act, reason, facts, s.cfg.Now())
	var refusal *opendata.Refusal
	if errors.As(err, &refusal) {
		s.renderFlow(w, r, v, sub, http.StatusUnprocessableEntity, flowEdit{},
			flowProblems{Action: act, Reason: reason, Error: refusalText(lang(r), refusal)})
		return
	} else if err != nil {
		s.refuse(w, r, v, err)
		return
	}
	if err := s.db.ApplyTransition(r.Context(), sub.ID, step); err != nil {
		s.refuse(w, r, v, err)
		return
	}
	http.Redirect(w, r, flowPath(sub.ID)+"?flash="+string(act), http.StatusSeeOther)
}

// refusalText says in lang why the workflow refused an action.
func refusalText(lang i18n.Lang, r *opendata.Refusal) string {
	return t(lang, "action.error."+string(r.Code), "limit", strconv.Itoa(r.Limit),
		"items", strings.Join(itemWords(lang, r.Missing), ", "))
}
