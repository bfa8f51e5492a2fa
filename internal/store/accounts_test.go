package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

func TestRolesMakeTheActor(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		db, ctx, now := open(), context.Background(), time.Now()
		grant := func(email string, r opendata.Role, project string) bool {
			t.Helper()
			added, err := db.AddGrant(ctx, opendata.Grant{Email: email, Role: r, Project: project, GrantedAt: now, GrantedBy: "cli"})
			if err != nil {
				t.Fatal(err)
			}
			return added
		}
		if !grant(" Bob@Example.gc.ca ", opendata.RoleApprover, "cfs") || grant("bob@example.gc.ca", opendata.RoleApprover, "CFS") {
			t.Fatal("a second identical grant must report it was already held")
		}
		grant("ann@example.gc.ca", opendata.RoleAdmin, "")
		grant("cy@example.gc.ca", opendata.RoleApprover, "")
		if _, err := db.AddGrant(ctx, opendata.Grant{Email: "x@example.gc.ca", Role: "owner", GrantedAt: now}); opendata.ErrorCode(err) != opendata.EINVALID {
			t.Fatalf("unknown role: %v", err)
		}
		if _, err := db.AddGrant(ctx, opendata.Grant{Email: "x@example.gc.ca", Role: opendata.RoleAdmin, Project: "CFS", GrantedAt: now}); opendata.ErrorCode(err) != opendata.EINVALID {
			t.Fatalf("admin of one project: %v", err)
		}

		bob, err := db.Actor(ctx, "BOB@example.gc.ca")
		if err != nil {
			t.Fatal(err)
		}
		if !bob.Approves("CFS") || bob.Approves("NRC") || bob.IsAdmin() || bob.Email != "bob@example.gc.ca" {
			t.Fatalf("bob = %+v", bob)
		}
		if ann, _ := db.Actor(ctx, "ann@example.gc.ca"); !ann.IsAdmin() || ann.Approves("CFS") {
			t.Fatalf("ann = %+v", ann)
		}
		if nobody, _ := db.Actor(ctx, "zed@example.gc.ca"); nobody.IsAdmin() || nobody.Approves("CFS") || !nobody.IsUser() {
			t.Fatalf("zed = %+v", nobody)
		}
		if got, _ := db.Approvers(ctx, "cfs"); !slices.Equal(got, []string{"bob@example.gc.ca", "cy@example.gc.ca"}) {
			t.Fatalf("approvers of CFS = %q", got)
		}
		if got, _ := db.Approvers(ctx, "NRC"); !slices.Equal(got, []string{"cy@example.gc.ca"}) {
			t.Fatalf("approvers of NRC = %q", got)
		}
		if got, _ := db.Admins(ctx); !slices.Equal(got, []string{"ann@example.gc.ca"}) {
			t.Fatalf("admins = %q", got)
		}

		if removed, err := db.RemoveGrant(ctx, "bob@example.gc.ca", opendata.RoleApprover, "cfs"); err != nil || !removed {
			t.Fatalf("revoke: %v %v", removed, err)
		}
		if removed, _ := db.RemoveGrant(ctx, "bob@example.gc.ca", opendata.RoleApprover, "CFS"); removed {
			t.Fatal("revoking twice must report nothing removed")
		}
		if bob, _ := db.Actor(ctx, "bob@example.gc.ca"); bob.Approves("CFS") {
			t.Fatal("a revoked role still counts")
		}
		if gs, _ := db.Grants(ctx); len(gs) != 2 {
			t.Fatalf("grants = %+v", gs)
		}
	})
}

func TestLoginTokenIsSpentOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		db, ctx, now := open(), context.Background(), time.Now()
		hash := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
		for _, tok := range []string{"good", "old"} {
			exp := now.Add(15 * time.Minute)
			if tok == "old" {
				exp = now.Add(-time.Second)
			}
			if err := db.CreateLoginToken(ctx, store.LoginToken{Hash: hash(tok), Email: "Alice@Example.gc.ca", Next: "/flow/x",
				CreatedAt: now.Add(-time.Minute), ExpiresAt: exp}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.UseLoginToken(ctx, hash("old"), now); !errors.Is(err, store.ErrTokenExpired) {
			t.Fatalf("expired: %v", err)
		}
		if _, err := db.UseLoginToken(ctx, hash("nope"), now); !errors.Is(err, store.ErrTokenUnknown) {
			t.Fatalf("unknown: %v", err)
		}
		// Of many concurrent uses, exactly one signs in.
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, used := 0, 0
		for range 16 {
			wg.Go(func() {
				tok, err := db.UseLoginToken(ctx, hash("good"), now)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
					if tok.Email != "alice@example.gc.ca" || tok.Next != "/flow/x" {
						t.Errorf("token = %+v", tok)
					}
				case errors.Is(err, store.ErrTokenUsed):
					used++
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if wins != 1 || used != 15 {
			t.Fatalf("%d sign-ins and %d refusals as used, want 1 and 15", wins, used)
		}
	})
}

func TestSessions(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		db, ctx, now := open(), context.Background(), time.Now()
		h := sha256.Sum256([]byte("cookie"))
		s := store.Session{Hash: h[:], Email: "Alice@example.gc.ca", CSRF: "c", Method: "link", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		got, err := db.Session(ctx, h[:], now)
		if err != nil || got.Email != "alice@example.gc.ca" || got.CSRF != "c" || got.Method != "link" {
			t.Fatalf("session = %+v, %v", got, err)
		}
		if _, err := db.Session(ctx, h[:], now.Add(2*time.Hour)); opendata.ErrorCode(err) != opendata.ENOTFOUND {
			t.Fatalf("an ended session: %v", err)
		}
		if err := db.EndSession(ctx, h[:]); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Session(ctx, h[:], now); opendata.ErrorCode(err) != opendata.ENOTFOUND {
			t.Fatalf("a signed-out session: %v", err)
		}
	})
}

func TestLanguages(t *testing.T) {
	forEachDB(t, func(t *testing.T, open func() *store.DB) {
		db, ctx, now := open(), context.Background(), time.Now()
		h := sha256.Sum256([]byte("cookie"))
		if err := db.CreateSession(ctx, store.Session{Hash: h[:], Email: "Alice@example.gc.ca", CSRF: "c", Method: "link",
			CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Session(ctx, h[:], now); err != nil || got.Lang != "" {
			t.Fatalf("before any page: session = %+v, %v", got, err)
		}
		if err := db.SetLanguage(ctx, " ALICE@example.gc.ca", "fr"); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Session(ctx, h[:], now); err != nil || got.Lang != "fr" {
			t.Fatalf("after a French page: session = %+v, %v", got, err)
		}
		if err := db.SetLanguage(ctx, "bob@example.gc.ca", "en"); err != nil {
			t.Fatal(err)
		}
		if err := db.SetLanguage(ctx, "alice@example.gc.ca", "en"); err != nil {
			t.Fatal(err)
		}
		if err := db.SetLanguage(ctx, "carol@example.gc.ca", "de"); opendata.ErrorCode(err) != opendata.EINVALID {
			t.Fatalf("an unknown language: %v", err)
		}
		got, err := db.Languages(ctx, []string{"Alice@Example.gc.ca", "bob@example.gc.ca", "carol@example.gc.ca", "alice@example.gc.ca", ""})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"alice@example.gc.ca": "en", "bob@example.gc.ca": "en"}
		if len(got) != len(want) || got["alice@example.gc.ca"] != "en" || got["bob@example.gc.ca"] != "en" {
			t.Fatalf("languages = %v, want %v", got, want)
		}
		if got, err := db.Languages(ctx, nil); err != nil || len(got) != 0 {
			t.Fatalf("no addresses: %v, %v", got, err)
		}
	})
}
