package opendata

import (
	"net/mail"
	"regexp"
)

// projectPattern is what a project acronym may be: a letter or digit, then
// up to 31 letters, digits, - or _ (CFS, dfo-pac).
var projectPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)

// ValidProject reports whether s is a project acronym that keys, roles and
// publishing targets may name.
func ValidProject(s string) bool { return projectPattern.MatchString(s) }

// OneAddress reports whether s is exactly one plain email address (no display
// name, no list, no surrounding space) of at most MaxEmail bytes: what the
// command line and the admin pages accept for a key's contact or a role.
func OneAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && len(s) <= MaxEmail
}
