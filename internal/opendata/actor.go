package opendata

import "strings"

// ActorKind says how an actor is known to the service.
type ActorKind string

// The kinds of actor. The zero Actor is anonymous and may do nothing.
const (
	ActorUser   ActorKind = "user"   // a person signed in to the web UI (or the CLI on the server)
	ActorSystem ActorKind = "system" // a background job of the service
	ActorAPIKey ActorKind = "api"    // an API client, by its key
)

// Actor is who asks to act on a submission. Roles count only for users.
type Actor struct {
	Kind      ActorKind
	Email     string // for users
	KeyPrefix string // for API clients: the public prefix of their key
	Admin     bool
	// Approver grants the approver role for every project; ApproverOf for some.
	// Admins are not approvers unless granted.
	Approver   bool
	ApproverOf []string // project acronyms
}

// SystemActorName names the service's background jobs in the history.
const SystemActorName = "system"

// IsUser reports whether a is a signed-in person.
func (a Actor) IsUser() bool { return a.Kind == ActorUser && strings.TrimSpace(a.Email) != "" }

// anonymous reports whether a is no one the service knows: the zero Actor, or a user without an email.
func (a Actor) anonymous() bool { return a.Kind == "" || (a.Kind == ActorUser && !a.IsUser()) }

// IsContact reports whether a is the submission's contact: their addresses
// are the same once normalised (NormEmail), never by Unicode case folding.
func (a Actor) IsContact(s *Submission) bool {
	return a.IsUser() && NormEmail(a.Email) == NormEmail(s.Fields.EmailContact)
}

// IsAdmin reports whether a is a user with the admin role.
func (a Actor) IsAdmin() bool { return a.IsUser() && a.Admin }

// Approves reports whether a holds the approver role for project, globally or for that project.
func (a Actor) Approves(project string) bool {
	if !a.IsUser() {
		return false
	}
	if a.Approver {
		return true
	}
	for _, p := range a.ApproverOf {
		if NormProject(p) == NormProject(project) {
			return true
		}
	}
	return false
}

// UserActorName names a person acting in their own right (as contact or approver) in the history.
func UserActorName(email string) string { return "user:" + NormEmail(email) }

// AdminActorName names a person acting by virtue of the admin role in the history.
func AdminActorName(email string) string { return "admin:" + NormEmail(email) }
