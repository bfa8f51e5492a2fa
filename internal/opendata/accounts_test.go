package opendata

import (
	"slices"
	"testing"
	"time"
)

func fieldsOf(errs []FieldError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field)
	}
	return out
}

// TestTargetValidate is the one rule for publishing targets, used by the CLI, the admin page and the store.
func TestTargetValidate(t *testing.T) {
	ok := PublishingTarget{Project: "cfs", RegistryURL: " https://registry.example/ ", Organization: "nrcan-rncan"}
	for _, c := range []struct {
		name string
		edit func(*PublishingTarget)
		want []string
	}{
		{"valid", func(*PublishingTarget) {}, nil},
		{"default", func(p *PublishingTarget) { p.Project = "*" }, nil},
		{"bad project", func(p *PublishingTarget) { p.Project = "C F S" }, []string{"project"}},
		{"no project", func(p *PublishingTarget) { p.Project = "" }, []string{"project"}},
		{"ftp", func(p *PublishingTarget) { p.RegistryURL = "ftp://registry.example" }, []string{"registry_url"}},
		{"credentials", func(p *PublishingTarget) { p.RegistryURL = "https://u:p@registry.example" }, []string{"registry_url"}},
		{"query", func(p *PublishingTarget) { p.RegistryURL = "https://registry.example/?a=1" }, []string{"registry_url"}},
		{"too long", func(p *PublishingTarget) { p.RegistryURL = "https://r.example/" + string(make([]byte, 500)) }, []string{"registry_url"}},
		{"organization case", func(p *PublishingTarget) { p.Organization = "NRCan" }, []string{"organization"}},
		{"organization short", func(p *PublishingTarget) { p.Organization = "n" }, []string{"organization"}},
	} {
		tg := ok
		c.edit(&tg)
		tg.Normalize()
		if got := fieldsOf(tg.Validate()); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	tg := ok
	tg.Normalize()
	if tg.Project != "CFS" || tg.RegistryURL != "https://registry.example" {
		t.Errorf("normalized %+v", tg)
	}
}

func TestKeyRequestValidate(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	for _, c := range []struct {
		req  KeyRequest
		want []string
	}{
		{KeyRequest{Project: "CFS", Client: "Inventory", Contact: "a@b.gc.ca", ExpiresAt: &future}, nil},
		{KeyRequest{Project: "", Client: " ", Contact: "A <a@b.gc.ca>", ExpiresAt: &past}, []string{"project", "client", "contact", "expires"}},
		{KeyRequest{Project: "CFS", Client: "a\x07", Contact: "a@b.gc.ca"}, []string{"client"}},
	} {
		if got := fieldsOf(c.req.Validate(now)); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.req, got, c.want)
		}
	}
}

func TestGrantValidate(t *testing.T) {
	for _, c := range []struct {
		g    Grant
		want bool
	}{
		{Grant{Email: "A@b.gc.ca", Role: RoleApprover, Project: "cfs"}, true},
		{Grant{Email: "a@b.gc.ca", Role: RoleAdmin}, true},
		{Grant{Email: "a@b.gc.ca", Role: RoleAdmin, Project: "CFS"}, false},
		{Grant{Email: "a@b.gc.ca", Role: "owner"}, false},
		{Grant{Email: " ", Role: RoleApprover}, false},
		{Grant{Email: "a@b.gc.ca", Role: RoleApprover, Project: "C F S"}, false},
	} {
		c.g.Normalize()
		if err := c.g.Validate(); (err == nil) != c.want {
			t.Errorf("%+v: %v", c.g, err)
		}
	}
}
