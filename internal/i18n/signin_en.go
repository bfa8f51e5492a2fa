package i18n

// The sign-in pages.
func init() {
	extend(EN, map[string]string{
		"signin.title":             "Sign in",
		"signin.intro":             "Enter your work email address. We will email you a link that signs you in; it works once, for 15 minutes.",
		"signin.email":             "Email address",
		"signin.email.hint":        "For example, name@example.gc.ca.",
		"signin.submit":            "Email me a sign-in link",
		"signin.link":              "Sign in",
		"signin.error.required":    "Enter your email address.",
		"signin.error.invalid":     "Enter one email address, such as name@example.gc.ca.",
		"signin.error.domain":      "Enter a Government of Canada email address.",
		"signin.oidc.heading":      "Or sign in with your organization",
		"signin.oidc":              "Sign in with your organization’s account",
		"signin.sent.title":        "Check your email",
		"signin.sent":              "If {email} can use this service, a sign-in link is on its way to it. The link works once, within {minutes} minutes.",
		"signin.sent.help":         "No email after a few minutes? Check your junk mail folder, or ask for a new link.",
		"signin.verify.title":      "Finish signing in",
		"signin.verify.intro":      "Select the button to finish signing in on this device.",
		"signin.verify.submit":     "Sign in",
		"signin.invalid.title":     "This sign-in link does not work",
		"signin.invalid.used":      "This sign-in link was already used. Each link works only once: ask for a new one.",
		"signin.invalid.expired":   "This sign-in link has expired. Links work for 15 minutes: ask for a new one.",
		"signin.invalid.unknown":   "This sign-in link is not valid. Ask for a new one.",
		"signin.oidc.failed.title": "Sign-in with your organization did not work",
		"signin.oidc.failed":       "Your organization’s sign-in did not complete. Try again, or ask for a sign-in link by email.",
	})
}
