package i18n

// The pages' shared words: navigation, forms, refusals and errors.
func init() {
	extend(EN, map[string]string{
		"nav.label":        "Your pages",
		"nav.submissions":  "My submissions",
		"nav.queue":        "Approval queue",
		"nav.admin":        "Administration",
		"nav.signed_in_as": "Signed in as",
		"nav.signout":      "Sign out",

		"form.errors":   "There is a problem",
		"form.required": "(required)",
		"form.optional": "(optional)",

		"error.csrf.title":            "The form has expired",
		"error.csrf":                  "This form was not accepted because it expired or did not come from this site. Go back, reload the page and try again.",
		"error.forbidden.title":       "Access refused",
		"error.forbidden":             "You are signed in, but this page is not yours to see. Only the submission’s contact, its project’s approvers and administrators may open it.",
		"error.not_found.title":       "Page not found",
		"error.not_found":             "There is nothing at this address.",
		"error.signed_out.title":      "Sign in to continue",
		"error.signed_out":            "Your session has ended. Sign in again to continue.",
		"error.rate.title":            "Too many requests",
		"error.rate":                  "Too many sign-in links were asked for from this address or for this email. Wait a few minutes and try again.",
		"error.conflict.title":        "The submission changed",
		"error.conflict":              "Someone changed this submission while you were looking at it. Reload the page to see where it is now.",
		"error.form_too_large.title":  "The form is too large",
		"error.form_too_large":        "The form sent was too large to accept.",
		"error.form_type.title":       "The form could not be read",
		"error.form_type":             "This page takes a plain form, without files. Go back, reload the page and try again.",
		"error.form_unreadable.title": "The form did not arrive",
		"error.form_unreadable":       "The form sent could not be read in full. Check your connection and try again.",
		"error.mail.title":            "The email could not be sent",
		"error.mail":                  "The sign-in link could not be sent just now. Try again in a few minutes.",

		"flash.signed_out": "You are signed out.",
	})
}
