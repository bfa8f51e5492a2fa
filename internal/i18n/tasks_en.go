package i18n

// The submission's overview and task pages, confirmations, and the pages
// that say what went wrong (404, 405, 500, a form that is out of date).
func init() {
	extend(EN, map[string]string{
		"layout.error_prefix": "Error:",

		"flow.tasks":           "Tasks to complete",
		"flow.tasks.review":    "The submission, part by part",
		"flow.tasks.intro":     "Complete each task. You can do them in any order and come back to them; submit for approval once they are all completed.",
		"task.metadata":        "Metadata",
		"task.file-check":      "File check",
		"task.approval-form":   "Approval form",
		"task.signed-approval": "Signed approval",
		"task.submit":          "Submit for approval",
		"task.metadata.intro":  "Check and complete the description of the dataset. The same rules apply as in the API.",
		"task.back":            "Back to the submission overview",
		"task.continue":        "Continue: {task}",

		"task.status.done":        "Completed",
		"task.status.todo":        "Not started",
		"task.status.in_progress": "In progress",
		"task.status.fix":         "Needs attention",
		"task.status.waiting":     "Cannot start yet",
		"task.status.ready":       "Ready to submit",
		"task.status.submitted":   "Submitted",

		"notice.changes_requested": "Changes requested by the approver",
		"notice.rejected":          "Rejected by the approver",

		"stale.title":   "This page was out of date",
		"stale.message": "Nothing was done: “{action}” is not possible any more, because the submission is now “{state}”.",
		"stale.last":    "Last change: {by}, {at}.",
		"stale.you":     "you",
		"stale.back":    "See the submission as it is now",

		"confirm.heading":   "{action}: are you sure?",
		"confirm.link":      "{action}…",
		"confirm.cancel":    "Cancel and go back to the submission",
		"confirm.withdraw":  "Withdrawing ends this submission: it will not be reviewed or published, and it cannot be undone.",
		"confirm.reject":    "Rejecting ends this submission: it will not be published, and it cannot be undone. The contact is told your reason.",
		"confirm.unpublish": "Unpublishing removes the dataset from the Open Government registry. It can be published again later.",

		"error.method.title":                "This address is for a form",
		"error.method":                      "This address is used when a form is sent; it cannot be opened as a page. Nothing was done.",
		"error.internal.title":              "Something went wrong",
		"error.internal":                    "The service could not complete this request. Nothing you sent was lost if the page said it was saved; try again in a few minutes.",
		"error.unavailable.title":           "The service is unavailable for a moment",
		"error.unavailable":                 "The service cannot reach its database right now, so nothing was saved. Try again in a few minutes.",
		"error.storage_full.title":          "The service has no space left",
		"error.storage_full":                "The service has no space left to save this, so nothing was saved. Try again later; the team running the service has been told.",
		"error.forbidden_queue.title":       "Access refused",
		"error.forbidden_queue":             "The approval queue is for approvers. You are not an approver of any project; an administrator can grant you the role.",
		"error.forbidden_queue_admin.title": "Access refused",
		"error.forbidden_queue_admin":       "The approval queue is for approvers. You are an administrator, not an approver: you can open any submission, and grant yourself the approver role on the Roles page.",
		"error.forbidden_admin.title":       "Access refused",
		"error.forbidden_admin":             "The administration pages are for administrators only.",
		"error.back":                        "Go back to where you were",
		"error.home":                        "Go to my submissions",
		"admin.keys.revoke.title":           "Revoke the key {prefix}?",
		"admin.keys.revoke.consequence":     "The client that uses this key is refused from its next request, on every server. This cannot be undone: the client needs a new key.",
		"confirm.cancel.keys":               "Cancel and go back to the keys",
	})
}
