package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

func TestAdminSavesAndDeletesTargets(t *testing.T) {
	rig := newUIRig(t)
	admin := rig.as(t, "admin@example.gc.ca", adminRole)
	ctx := context.Background()

	page := admin.get(t, "/admin/targets")
	wantCode(t, page, http.StatusOK)
	has(t, page, `id="targets-later"`, "Publishing comes with a later release", `id="targets-empty"`)

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
	has(t, r, "Destinations de publication", "La publication viendra dans une version ultérieure",
		"Adresse du registre", "Organisation")
	bad := admin.post(t, "/admin/targets", "project", "CFS", "registry_url", "x", "organization", "X")
	wantCode(t, bad, http.StatusUnprocessableEntity)
	has(t, bad, "Entrez l’adresse du registre", "Entrez le nom ou l’identifiant de l’organisation")
}
