package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

func TestPublishingTargets(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		if list, err := db.PublishingTargets(ctx); err != nil || len(list) != 0 {
			t.Fatalf("empty: %v %v", list, err)
		}
		at := time.Now().UTC().Truncate(time.Microsecond)
		cfs := opendata.PublishingTarget{Project: " cfs ", RegistryURL: "https://registry.example.gc.ca/", Organization: "nrcan-rncan",
			UpdatedBy: "admin:a@example.gc.ca", UpdatedAt: at}
		if err := db.SavePublishingTarget(ctx, cfs); err != nil {
			t.Fatal(err)
		}
		if err := db.SavePublishingTarget(ctx, opendata.PublishingTarget{Project: "DFO", RegistryURL: "http://127.0.0.1:5000",
			Organization: "dfo-mpo", UpdatedBy: "x"}); err != nil {
			t.Fatal(err)
		}
		// The same project in another case replaces the target.
		cfs.Project, cfs.Organization = "CFS", "cfs-scf"
		if err := db.SavePublishingTarget(ctx, cfs); err != nil {
			t.Fatal(err)
		}
		list, err := db.PublishingTargets(ctx)
		want := opendata.PublishingTarget{Project: "CFS", RegistryURL: "https://registry.example.gc.ca", Organization: "cfs-scf",
			UpdatedBy: "admin:a@example.gc.ca", UpdatedAt: at}
		if err != nil || len(list) != 2 || list[0] != want || list[1].Project != "DFO" || list[1].UpdatedAt.IsZero() {
			t.Fatalf("list %+v %v", list, err)
		}
		if got, err := db.PublishingTarget(ctx, "cfs"); err != nil || *got != want {
			t.Fatalf("get %+v %v", got, err)
		}
		_, err = db.PublishingTarget(ctx, "NRCan")
		wantCode(t, "get missing", err, opendata.ENOTFOUND)

		for name, bad := range map[string]opendata.PublishingTarget{
			"no project":      {RegistryURL: "https://r.example.gc.ca", Organization: "o"},
			"no organization": {Project: "P", RegistryURL: "https://r.example.gc.ca", Organization: " "},
			"relative":        {Project: "P", RegistryURL: "/ckan", Organization: "o"},
			"ftp":             {Project: "P", RegistryURL: "ftp://r.example.gc.ca", Organization: "o"},
			"credentials":     {Project: "P", RegistryURL: "https://u:p@r.example.gc.ca", Organization: "o"},
			"no host":         {Project: "P", RegistryURL: "https://", Organization: "o"},
		} {
			wantCode(t, name, db.SavePublishingTarget(ctx, bad), opendata.EINVALID)
		}

		if err := db.DeletePublishingTarget(ctx, "dfo"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "delete again", db.DeletePublishingTarget(ctx, "DFO"), opendata.ENOTFOUND)
		if list, _ := db.PublishingTargets(ctx); len(list) != 1 || list[0].Project != "CFS" {
			t.Fatalf("after delete: %+v", list)
		}
	})
}
