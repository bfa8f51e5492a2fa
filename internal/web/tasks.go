package web

import (
	"net/http"
	"strconv"

	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

// The submission page is an overview with a task list (the GC Design
// System's task list pattern); each task has its own page, so that no page
// stacks every form and each error shows where the person is looking.
const (
	taskMetadata       = "metadata"
	taskFileCheck      = "file-check"
	taskApprovalForm   = "approval-form"
	taskSignedApproval = "signed-approval"
	taskSubmit         = "submit"
)

// taskOrder is the order of the task list, and of "Save and continue".
var taskOrder = []string{taskMetadata, taskFileCheck, taskApprovalForm, taskSignedApproval, taskSubmit}

// taskChecks ties each task to the checklist item it completes, and the
// checklist links to the task's page.
var taskChecks = map[opendata.ChecklistItem]string{
	opendata.CheckMetadataValid:          taskMetadata,
	opendata.CheckFileCheckPassed:        taskFileCheck,
	opendata.CheckApprovalFormComplete:   taskApprovalForm,
	opendata.CheckSignedApprovalAttached: taskSignedApproval,
}

// The statuses a task shows in its tag.
const (
	statusDone       = "done"
	statusTodo       = "todo"
	statusInProgress = "in_progress"
	statusFix        = "fix"
	statusWaiting    = "waiting" // submit: not all tasks are done
	statusReady      = "ready"   // submit: every task is done
	statusSubmitted  = "submitted"
)

// taskItem is one line of the task list.
type taskItem struct {
	Slug   string
	Href   string
	Title  string
	Status string // one of the status constants, for the tag's style
	Tag    string // the status in words
	Detail string // what is left, in a few words
}

func taskPath(id, task string) string { return flowPath(id) + "/" + task }

// nextTask is the task after task in the list; "" after the last.
func nextTask(task string) string {
	for i, t := range taskOrder {
		if t == task && i+1 < len(taskOrder) {
			return taskOrder[i+1]
		}
	}
	return ""
}

// taskItems says where each task stands, from the workflow's facts.
func taskItems(lang i18n.Lang, sub *opendata.Submission, f *flowFacts) []taskItem {
	out := make([]taskItem, 0, len(taskOrder))
	for _, slug := range taskOrder {
		it := taskItem{Slug: slug, Href: taskPath(sub.ID, slug), Title: t(lang, "task."+slug), Status: statusTodo}
		switch slug {
		case taskMetadata:
			if f.metaErrs == 0 {
				it.Status = statusDone
			} else {
				it.Status, it.Detail = statusFix, t(lang, "flow.checklist.problems", "count", strconv.Itoa(f.metaErrs))
			}
		case taskFileCheck:
			switch {
			case f.check == nil:
			case f.check.Passed():
				it.Status = statusDone
			case f.check.State == opendata.CheckPending:
				it.Status = statusInProgress
			default:
				it.Status, it.Detail = statusFix, t(lang, "filecheck.state."+string(f.check.State))
			}
		case taskApprovalForm:
			switch {
			case f.list.ApprovalFormComplete:
				it.Status = statusDone
			case f.formSaved:
				it.Status = statusInProgress
			}
		case taskSignedApproval:
			if f.list.SignedApprovalAttached {
				it.Status = statusDone
			}
		case taskSubmit:
			switch {
			case sub.State != opendata.StateInPreparation && sub.State != opendata.StateChangesRequested:
				it.Status = statusSubmitted
			case f.list.MetadataValid && f.list.FileCheckPassed && f.list.ApprovalFormComplete && f.list.SignedApprovalAttached:
				it.Status = statusReady
			default:
				it.Status = statusWaiting
			}
		}
		it.Tag = t(lang, "task.status."+it.Status)
		out = append(out, it)
	}
	return out
}

// reasonNotice is the approver's reason, shown at the top of the overview
// while the submission is back with its contact or was rejected.
type reasonNotice struct {
	Title  string
	Reason string
	By     string
	At     string
}

func (s *Server) reasonNotice(lang i18n.Lang, sub *opendata.Submission) *reasonNotice {
	if sub.State != opendata.StateChangesRequested && sub.State != opendata.StateRejected {
		return nil
	}
	for i := len(sub.History) - 1; i >= 0; i-- {
		if h := sub.History[i]; h.To == sub.State {
			return &reasonNotice{Title: t(lang, "notice."+string(sub.State)), Reason: h.Reason,
				By: actorName(lang, h.Actor), At: when(lang, s.cfg.Location, h.At)}
		}
	}
	return nil
}

// registerTasks adds the task pages. Their forms post to the editors' and
// the flow's own routes.
func (s *Server) registerTasks(mux Router) {
	for _, task := range taskOrder {
		mux.HandleFunc("GET /flow/{id}/"+task, s.signedIn(s.taskPage(task)))
	}
}

// taskPage shows one task of the submission to those who may see it.
func (s *Server) taskPage(task string) handler {
	return func(w http.ResponseWriter, r *http.Request, v *viewer) {
		sub, ok := s.loadSubmission(w, r, v)
		if !ok {
			return
		}
		s.renderFlow(w, r, v, sub, http.StatusOK, flowEdit{Task: task}, flowProblems{})
	}
}
