package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/opendata-datahub/datahub/internal/ckan/ckantest"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

func TestAdminSavesAndDeletesTargets(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	ctx := context.Background()

	page := admin.get(t, "/admin/targets")
	wantCode(t, page, http.StatusOK)
	has(t, page, `id="targets-empty"`, `id="token"`, `type="password"`)

	r := admin.post(t, "/admin/targets", "project", "CFS", "registry_url", "https://registry.example/data/", "organization", "cfs-scf")
	seeOther(t, r, "/admin/targets?flash=target_saved")
	got, err := rig.db.PublishingTarget(ctx, "cfs")
	if err != nil {
		t.Fatal(err)
	}
	if got.RegistryURL != "https://registry.example/data" || got.Organization != "cfs-scf" ||
		got.UpdatedBy != "admin:admin@example.gc.ca" || !got.UpdatedAt.Equal(rig.now) {
		t.Errorf("stored %+v", got)
	}
	page = admin.get(t, r.header.Get("Location"))
	has(t, page, "The publishing target was saved.", `id="targets"`, "https://registry.example/data", "cfs-scf",
		`action="/admin/targets/CFS/delete"`)

	// Saving again replaces the project's target.
	seeOther(t, admin.post(t, "/admin/targets", "project", "cfs", "registry_url", "http://127.0.0.1:5000", "organization", "other-org"),
		"/admin/targets?flash=target_saved")
	all, _ := rig.db.PublishingTargets(ctx)
	if len(all) != 1 || all[0].Organization != "other-org" {
		t.Errorf("targets %+v, want one, replaced", all)
	}

	seeOther(t, admin.post(t, "/admin/targets/"+all[0].Project+"/delete"), "/admin/targets?flash=target_deleted")
	if _, err := rig.db.PublishingTarget(ctx, "CFS"); opendata.ErrorCode(err) != opendata.ENOTFOUND {
		t.Errorf("after delete: %v", err)
	}
	wantCode(t, admin.post(t, "/admin/targets/CFS/delete"), http.StatusNotFound)
}

func TestAdminTargetFormErrors(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	for name, c := range map[string]struct {
		project, url, org, field string
	}{
		"no project":          {"", "https://registry.example", "org", "project"},
		"bad project":         {"CFS NRC", "https://registry.example", "org", "project"},
		"no url":              {"CFS", "", "org", "registry_url"},
		"relative url":        {"CFS", "registry.example/data", "org", "registry_url"},
		"ftp url":             {"CFS", "ftp://registry.example", "org", "registry_url"},
		"url with password":   {"CFS", "https://u:p@registry.example", "org", "registry_url"},
		"url with query":      {"CFS", "https://registry.example/?a=1", "org", "registry_url"},
		"url with script":     {"CFS", `javascript:alert(1)`, "org", "registry_url"},
		"no organization":     {"CFS", "https://registry.example", " ", "organization"},
		"upper organization":  {"CFS", "https://registry.example", "NRCan", "organization"},
		"spaced organization": {"CFS", "https://registry.example", "nrc cnrc", "organization"},
	} {
		t.Run(name, func(t *testing.T) {
			r := admin.post(t, "/admin/targets", "project", c.project, "registry_url", c.url, "organization", c.org)
			wantCode(t, r, http.StatusUnprocessableEntity)
			has(t, r, `class="dh-error-summary"`, `href="#`+c.field+`"`, `id="error-`+c.field+`"`, `aria-invalid="true"`)
			for _, v := range []string{c.project, c.url, c.org} {
				if v != "" && v != " " {
					has(t, r, `value="`+attr(v)+`"`)
				}
			}
			if n := len(rig.snapshot(t).targets); n != 0 {
				t.Errorf("%d targets saved from an invalid form", n)
			}
		})
	}
}

func TestAdminTargetsInFrench(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	r := admin.get(t, "/admin/targets?lang=fr")
	wantCode(t, r, http.StatusOK)
	has(t, r, "Destinations de publication", "Adresse du registre", "Organisation", "Jeton d’API")
	bad := admin.post(t, "/admin/targets", "project", "CFS", "registry_url", "x", "organization", "X")
	wantCode(t, bad, http.StatusUnprocessableEntity)
	has(t, bad, "Entrez l’adresse du registre", "Entrez le nom ou l’identifiant de l’organisation")
}

// A token is stored sealed, shown only as set or not set, kept when the form
// leaves it empty, and checked against the registry (a CKAN double on loopback).
func TestAdminTargetTokenAndCheck(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	ctx := context.Background()
	registry := ckantest.New(t)
	registry.AddOrganization("cfs-scf")

	seeOther(t, admin.post(t, "/admin/targets", "project", "CFS", "registry_url", registry.URL, "organization", "cfs-scf",
		"token", registry.Token), "/admin/targets?flash=target_saved")
	page := admin.get(t, "/admin/targets")
	has(t, page, ">Set<", `action="/admin/targets/CFS/check"`)
	lacks(t, page, registry.Token)
	_, sealed, err := rig.db.SealedTarget(ctx, "CFS")
	if err != nil || sealed == "" || strings.Contains(sealed, registry.Token) {
		t.Fatalf("stored token %q: %v", sealed, err)
	}

	r := admin.post(t, "/admin/targets/CFS/check")
	wantCode(t, r, http.StatusOK)
	has(t, r, `id="target-check"`, "The registry answered", "cfs-scf")
	lacks(t, r, registry.Token)

	// An edit without a token keeps it; a wrong organization fails the check in the registry's words.
	seeOther(t, admin.post(t, "/admin/targets", "project", "CFS", "registry_url", registry.URL, "organization", "no-such-org"),
		"/admin/targets?flash=target_saved")
	if _, again, _ := rig.db.SealedTarget(ctx, "CFS"); again != sealed {
		t.Error("saving without a token replaced the token")
	}
	r = admin.post(t, "/admin/targets/CFS/check")
	has(t, r, "The check failed", "organization_show", "Not found")

	// A token with a line break is refused and nothing is saved.
	bad := admin.post(t, "/admin/targets", "project", "DFO", "registry_url", registry.URL, "organization", "cfs-scf",
		"token", "abc\ndef")
	wantCode(t, bad, http.StatusUnprocessableEntity)
	has(t, bad, `id="error-token"`)
	lacks(t, bad, "abc")
	wantCode(t, admin.post(t, "/admin/targets/NOPE/check"), http.StatusNotFound)
}
