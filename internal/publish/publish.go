// Package publish is the use case of putting a submission on the registry
// (SPEC §5), shared by the publish job, the command line and the admin
// pages: it seals and opens the targets' API tokens, connects to a target's
// registry through the SSRF-safe client, and builds the dataset's payload.
package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/opendata-datahub/datahub/internal/ckan"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/secret"
)

// Registry reaches the publishing targets' registries.
type Registry struct {
	Keys *secret.Keyring // seals and opens tokens; nil when no key is configured
	HTTP *http.Client    // dials through the file check's address policy (fetch.NewHTTPClient)
}

// ErrNoKey is the error of sealing or opening a token without a secret key.
var ErrNoKey = errors.New("no secret key is configured to seal registry tokens (--secret-key-file)")

// tokenAAD binds a sealed token to its target's row: copied to another, it does not open.
func tokenAAD(project string) []byte {
	return []byte("publishing-target:" + opendata.NormProject(project) + ":token")
}

// SealToken seals the registry token of project's target for storage.
func (r Registry) SealToken(project, token string) (string, error) {
	if r.Keys == nil {
		return "", ErrNoKey
	}
	s, err := r.Keys.Seal([]byte(token), tokenAAD(project))
	if err != nil {
		return "", fmt.Errorf("seal token of target %s: %w", project, err)
	}
	return s, nil
}

// Client connects to t's registry with its token, sealed as stored ("" for none).
func (r Registry) Client(t *opendata.PublishingTarget, sealed string) (*ckan.Client, error) {
	var token string
	if sealed != "" {
		if r.Keys == nil {
			return nil, ErrNoKey
		}
		b, err := r.Keys.Open(sealed, tokenAAD(t.Project))
		if err != nil {
			return nil, fmt.Errorf("the registry token of target %s cannot be read with this secret key: %w", t.Project, err)
		}
		token = string(b)
	}
	if r.HTTP == nil {
		return nil, errors.New("publish: no HTTP client")
	}
	return ckan.New(ckan.Target{BaseURL: t.RegistryURL, Token: token, Organization: t.Organization}, r.HTTP)
}

// Check asks t's registry for its organization with its token, and says in
// one line whether the URL, the token and the organization work; an error
// carries the registry's own words.
func (r Registry) Check(ctx context.Context, t *opendata.PublishingTarget, sealed string) (string, error) {
	if sealed == "" {
		return "", fmt.Errorf("target %s has no API token: set one first", t.Project)
	}
	c, err := r.Client(t, sealed)
	if err != nil {
		return "", err
	}
	org, err := c.OrganizationShow(ctx, t.Organization)
	if err != nil {
		return "", fmt.Errorf("%s: %w", t.RegistryURL, err)
	}
	return fmt.Sprintf("%s answers: organization %q (%s, id %s) is reachable with this token", t.RegistryURL,
		t.Organization, org.Title, org.ID), nil
}

// Payload is the dataset the registry should hold for sub: its metadata, the
// target's organization and, from the passed file check, the file's format and size.
func Payload(sub *opendata.Submission, owner string, check *opendata.FileCheck) ckan.Payload {
	in := ckan.PayloadInput{ID: sub.ID, Fields: sub.Fields, OwnerOrg: owner}
	if check.Passed() {
		in.Format, in.Size = check.Format, check.Size
	}
	return ckan.BuildPayload(in)
}

// MaxToken bounds a registry API token.
const MaxToken = 4096

// CheckToken says what is wrong with a registry token as typed, or nil: it
// must be one line of visible characters, as registries issue them.
func CheckToken(token string) error {
	switch {
	case token == "":
		return errors.New("the token is empty")
	case len(token) > MaxToken:
		return fmt.Errorf("the token is longer than %d bytes", MaxToken)
	case strings.IndexFunc(token, func(r rune) bool { return r < 0x21 || r == 0x7f }) >= 0:
		return errors.New("the token must be one line without spaces or control characters")
	}
	return nil
}
