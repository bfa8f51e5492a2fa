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
		if err := db.SavePublishingTarget(ctx, cfs, nil); err != nil {
			t.Fatal(err)
		}
		if err := db.SavePublishingTarget(ctx, opendata.PublishingTarget{Project: "DFO", RegistryURL: "http://127.0.0.1:5000",
			Organization: "dfo-mpo", UpdatedBy: "x"}, nil); err != nil {
			t.Fatal(err)
		}
		// The same project in another case replaces the target.
		cfs.Project, cfs.Organization = "CFS", "cfs-scf"
		if err := db.SavePublishingTarget(ctx, cfs, nil); err != nil {
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
			wantCode(t, name, db.SavePublishingTarget(ctx, bad, nil), opendata.EINVALID)
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

// A target's sealed token is kept until replaced, and never listed; a
// project without a target of its own publishes to the default.
func TestTargetTokensAndDefault(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		_, _, err := db.TargetFor(ctx, "CFS")
		wantCode(t, "no target at all", err, opendata.ENOTFOUND)
		sealed := "v1:k1:c2VhbGVk"
		def := opendata.PublishingTarget{Project: opendata.DefaultTarget, RegistryURL: "https://registry.example", Organization: "tbs-sct"}
		if err := db.SavePublishingTarget(ctx, def, &sealed); err != nil {
			t.Fatal(err)
		}
		got, token, err := db.TargetFor(ctx, "cfs")
		if err != nil || got.Project != opendata.DefaultTarget || token != sealed || !got.TokenSet {
			t.Fatalf("default: %+v %q %v", got, token, err)
		}
		own := opendata.PublishingTarget{Project: "CFS", RegistryURL: "https://other.example", Organization: "nrcan-rncan"}
		if err := db.SavePublishingTarget(ctx, own, nil); err != nil {
			t.Fatal(err)
		}
		if got, token, err := db.TargetFor(ctx, "CFS"); err != nil || got.Project != "CFS" || token != "" || got.TokenSet {
			t.Fatalf("own target without token: %+v %q %v", got, token, err)
		}
		other := "v1:k1:b3duCg"
		if err := db.SavePublishingTarget(ctx, own, &other); err != nil {
			t.Fatal(err)
		}
		own.Organization = "nrcan"
		if err := db.SavePublishingTarget(ctx, own, nil); err != nil { // an edit without a token keeps it
			t.Fatal(err)
		}
		if got, token, err := db.TargetFor(ctx, "CFS"); err != nil || token != other || got.Organization != "nrcan" {
			t.Fatalf("edited target: %+v %q %v", got, token, err)
		}
	})
}
