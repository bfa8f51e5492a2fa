package ckan

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Result says what a publication did on the registry.
type Result struct {
	RegistryID string // the dataset's id (our datahub_id)
	Name       string // the dataset's name on the registry
	Created    bool   // true when this call created it, false when it patched it
}

// Publish makes the registry hold payload: package_show by id, then package_create
// (with our id) or package_patch, then a read-back compared with what was sent.
// Calling it again after any failure is safe: an id that already exists is patched,
// never created twice. A retryable error means the caller should try again later.
func (c *Client) Publish(ctx context.Context, p Payload) (Result, error) {
	if p.ID == "" {
		return Result{}, &Error{Action: "publish", Type: TypeBadRequest, Message: "payload has no id"}
	}
	if p.OwnerOrg == "" {
		p.OwnerOrg = c.target.Organization
	}
	org, err := c.OrganizationShow(ctx, p.OwnerOrg)
	if err != nil {
		return Result{}, ownerOrgProblem(err)
	}
	res := Result{RegistryID: p.ID}
	existing, err := c.PackageShow(ctx, p.ID)
	switch {
	case IsNotFound(err):
		_, err = c.PackageCreate(ctx, p)
		if err == nil {
			res.Created = true
			break
		}
		if !idExists(err) {
			return res, err
		}
		// Created by an earlier attempt whose answer was lost: patch it instead.
		if existing, err = c.PackageShow(ctx, p.ID); err != nil {
			return res, err
		}
		fallthrough
	case err == nil:
		if _, err := c.PackagePatch(ctx, patchBody(p, existing)); err != nil {
			return res, err
		}
	default:
		return res, err
	}
	got, err := c.PackageShow(ctx, p.ID)
	if err != nil {
		return res, err
	}
	res.Name = got.Name()
	if diffs := compare(p, got, org); len(diffs) > 0 {
		return res, &Error{Action: "publish", Status: 200, Type: TypeDifference,
			Message: "the registry holds something other than what was sent", Fields: diffs}
	}
	return res, nil
}

// patchBody is the payload as a patch; a dataset deleted on the registry is made
// active again, since publishing means it should be there.
func patchBody(p Payload, existing Dataset) any {
	if existing.State() == "" || existing.State() == "active" {
		return p
	}
	return struct {
		Payload
		State string `json:"state"`
	}{p, "active"}
}

// Unpublish deletes the dataset on the registry; one already gone is not an error.
func (c *Client) Unpublish(ctx context.Context, id string) error {
	if err := c.PackageDelete(ctx, id); err != nil && !IsNotFound(err) {
		return err
	}
	return nil
}

// Republish makes a deleted dataset active again and checks that it is.
func (c *Client) Republish(ctx context.Context, id string) (Result, error) {
	res := Result{RegistryID: id}
	if _, err := c.PackagePatch(ctx, map[string]any{"id": id, "state": "active"}); err != nil {
		return res, err
	}
	got, err := c.PackageShow(ctx, id)
	if err != nil {
		return res, err
	}
	res.Name = got.Name()
	if got.State() != "active" {
		return res, &Error{Action: "republish", Status: 200, Type: TypeDifference,
			Message: fmt.Sprintf("the dataset is %q on the registry, not active", got.State())}
	}
	return res, nil
}

// idExists reports a create refused because the id is taken (by an earlier attempt).
func idExists(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Type != TypeValidation {
		return false
	}
	for _, f := range e.Fields {
		if f.Field == FieldID && strings.Contains(f.Message, "already exists") {
			return true
		}
	}
	return false
}

// ownerOrgProblem turns a missing organization into a field error on owner_org,
// which an admin fixes on the publishing target, not the dataset's contact.
func ownerOrgProblem(err error) error {
	var e *Error
	if errors.As(err, &e) && e.Action == "organization_show" && e.NotFound() {
		e.Type = TypeValidation
		e.Fields = append(e.Fields, FieldError{Field: FieldOwnerOrg, Message: "Organization does not exist"})
	}
	return err
}

// RegistryURL is the dataset's page on the registry: base with "{id}" replaced when
// base is a template (e.g. "https://registry.example/{id}/view"), else base/dataset/id.
func RegistryURL(base, id string) string {
	esc := url.PathEscape(id)
	if strings.Contains(base, "{id}") {
		return strings.ReplaceAll(base, "{id}", esc)
	}
	return strings.TrimRight(base, "/") + "/dataset/" + esc
}
