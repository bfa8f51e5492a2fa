package opendata

import (
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Role is what an address may do beyond acting on its own submissions.
type Role string

// The roles of SPEC §3.
const (
	RoleApprover Role = "approver" // approves submissions of a project, or of every project
	RoleAdmin    Role = "admin"    // manages keys, roles and publishing; acts on any submission
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleApprover || r == RoleAdmin }

// Grant is one role held by an address, for one project or, with Project "", for all.
type Grant struct {
	Email     string
	Role      Role
	Project   string
	GrantedAt time.Time
	GrantedBy string // who granted it: "cli" or the actor name of an admin
}

// Normalize puts the grant's address and project in the form they are stored and compared in.
func (g *Grant) Normalize() { g.Email, g.Project = NormEmail(g.Email), NormProject(g.Project) }

// Validate checks a normalized grant: a known role, an address, a valid
// project or none, and admin only for every project. (What address the CLI
// and the admin page accept is opendata.OneAddress.)
func (g Grant) Validate() error {
	switch {
	case !g.Role.Valid():
		return Errorf(EINVALID, "unknown role %q: use approver or admin", g.Role)
	case g.Email == "":
		return Errorf(EINVALID, "a role needs an email address")
	case g.Project != "" && !ValidProject(g.Project):
		return Errorf(EINVALID, "%q is not a project acronym", g.Project)
	case g.Role == RoleAdmin && g.Project != "":
		return Errorf(EINVALID, "the admin role is for every project: give no project")
	}
	return nil
}

// APIKey is an API key as stored: its hash, never the key itself.
type APIKey struct {
	Prefix      string // public, names the key in lists and logs
	Hash        []byte // SHA-256 of the whole key
	Project     string
	Client      string
	Contact     string
	CallbackURL string
	CreatedAt   time.Time
	ExpiresAt   *time.Time
	LastUsedAt  *time.Time
	RevokedAt   *time.Time
}

// KeyStatus says whether a key works.
type KeyStatus string

// The key statuses.
const (
	KeyActive  KeyStatus = "active"
	KeyExpired KeyStatus = "expired"
	KeyRevoked KeyStatus = "revoked"
)

// Status says whether the key works at now.
func (k APIKey) Status(now time.Time) KeyStatus {
	switch {
	case k.RevokedAt != nil:
		return KeyRevoked
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
		return KeyExpired
	}
	return KeyActive
}

// DefaultTarget is the project name of the publishing target used by
// projects that have none of their own.
const DefaultTarget = "*"

// PublishingTarget is where a project's datasets are published: a CKAN
// registry and the organization (owner_org) that owns them there (SPEC §5).
type PublishingTarget struct {
	Project      string // a project acronym, or DefaultTarget
	RegistryURL  string // the registry's base URL, absolute http(s)
	Organization string // owner_org: the organization's name or id on the registry
	TokenSet     bool   // an API token is stored (it is never read back in clear here)
	UpdatedBy    string
	UpdatedAt    time.Time
}

// organizationPattern is a CKAN organization's name or id, as CKAN accepts
// them for owner_org: 2 to 100 lower-case letters, digits, - and _.
var organizationPattern = regexp.MustCompile(`^[a-z0-9_-]{2,100}$`)

// MaxRegistryURL bounds a registry's base URL.
const MaxRegistryURL = 500

// Normalize trims the target and puts its project in normal form.
func (t *PublishingTarget) Normalize() {
	t.Project, t.Organization = NormProject(t.Project), strings.TrimSpace(t.Organization)
	t.RegistryURL = strings.TrimRight(strings.TrimSpace(t.RegistryURL), "/")
}

// Validate lists what is wrong with a normalized target, by field: project
// (an acronym, or DefaultTarget), registry_url (ValidRegistryURL) and
// organization (a registry name or id). The CLI, the admin page and the store
// all check a target with it.
func (t PublishingTarget) Validate() []FieldError {
	var out []FieldError
	if t.Project != DefaultTarget && !ValidProject(t.Project) {
		out = append(out, FieldError{Field: "project", Code: CodeInvalidFormat})
	}
	if !ValidRegistryURL(t.RegistryURL) {
		out = append(out, FieldError{Field: "registry_url", Code: CodeInvalidFormat})
	}
	if !organizationPattern.MatchString(t.Organization) {
		out = append(out, FieldError{Field: "organization", Code: CodeInvalidFormat})
	}
	return out
}

// ValidRegistryURL reports whether u is a registry's base URL: absolute
// http(s), without credentials, query or fragment.
func ValidRegistryURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != "" && p.User == nil &&
		p.RawQuery == "" && p.Fragment == "" && !strings.HasSuffix(u, "?") && !strings.HasSuffix(u, "#") &&
		len(u) <= MaxRegistryURL
}

// KeyRequest is what an admin asks for when issuing an API key.
type KeyRequest struct {
	Project   string
	Client    string // the client system's name
	Contact   string // the client's technical contact
	ExpiresAt *time.Time
}

// MaxClientName bounds a key's client name.
const MaxClientName = 200

// Validate lists what is wrong with the request, by field (project, client,
// contact, expires), with stable codes; the CLI and the admin page both check with it.
func (r KeyRequest) Validate(now time.Time) []FieldError {
	var out []FieldError
	if !ValidProject(strings.TrimSpace(r.Project)) {
		out = append(out, FieldError{Field: "project", Code: CodeInvalidFormat})
	}
	if c := strings.TrimSpace(r.Client); c == "" || len(c) > MaxClientName || hasControl(c, false) {
		out = append(out, FieldError{Field: "client", Code: CodeInvalidFormat, Limit: MaxClientName})
	}
	if !OneAddress(r.Contact) {
		out = append(out, FieldError{Field: "contact", Code: CodeInvalidFormat, Reason: ReasonEmail})
	}
	if r.ExpiresAt != nil && !r.ExpiresAt.After(now) {
		out = append(out, FieldError{Field: "expires", Code: CodeInvalidDate})
	}
	return out
}

// FieldsError is the EINVALID *Error of problems by field, for callers that
// do not show them field by field.
func FieldsError(what string, errs []FieldError) error {
	if len(errs) == 0 {
		return nil
	}
	fields := make([]string, len(errs))
	for i, e := range errs {
		fields[i] = e.Field
	}
	return Errorf(EINVALID, "the %s is not valid: check %s", what, strings.Join(fields, ", "))
}
