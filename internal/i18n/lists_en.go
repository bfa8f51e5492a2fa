package i18n

// The lists of submissions: the contact's own and the approver's queue.
func init() {
	extend(EN, map[string]string{
		"lists.mine.title":    "My submissions",
		"lists.mine.caption":  "Submissions for which you are the contact, newest first",
		"lists.mine.empty":    "You are not the contact of any submission yet. When a system sends a dataset with your email address as its contact, it shows here and you receive an email with its link.",
		"lists.queue.title":   "Approval queue",
		"lists.queue.intro":   "Submissions waiting for approval in the projects you approve. Open one, read its signed approval, then approve it, request changes or reject it.",
		"lists.queue.caption": "Submissions waiting for approval, oldest first",
		"lists.queue.empty":   "No submission is waiting for your approval.",
		"lists.col.title":     "Title",
		"lists.col.project":   "Project",
		"lists.col.state":     "State",
		"lists.col.changed":   "Last change",
		"lists.col.contact":   "Contact",
		"lists.col.waiting":   "Waiting since",
		"lists.limited":       "Only your {limit} newest submissions are shown.",
		"lists.limited.queue": "Only the {limit} oldest submissions waiting are shown; approve or return some to see the others.",
	})
}
