package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/web"
)

// patterns records the routes a server registers.
type patterns []string

func (p *patterns) HandleFunc(pattern string, _ func(http.ResponseWriter, *http.Request)) {
	*p = append(*p, pattern)
}

// Every POST route refuses a form without the token of the sender's own
// session (or, signed out, of their own cookie), and changes nothing.
func TestEveryPostNeedsItsCSRFToken(t *testing.T) {
	rig := pendingRig(t)
	rig.grant(t, approver, opendata.RoleAdmin, "") // one person who may use every form
	boss := signIn(t, rig.testServer, approver)
	pages, err := web.New(rig.cfg)
	if err != nil {
		t.Fatal(err)
	}
	var routes patterns
	pages.Register(&routes)
	values := strings.NewReplacer("{id}", subID, "{action}", "approve", "{prefix}", "nokey", "{project}", testProject)
	posts := 0
	for _, p := range routes {
		path, ok := strings.CutPrefix(p, "POST ")
		if !ok {
			continue
		}
		posts++
		path = values.Replace(path)
		t.Run(path, func(t *testing.T) {
			for _, token := range []string{"", "wrong", rig.contact.csrf} {
				var r response
				if strings.HasSuffix(path, "/signed-approval") {
					r = boss.uploadWith(t, path, token, "a.pdf", signedPDF(t))
				} else {
					r = boss.postRaw(t, path, "csrf", token, "reason", "x", "email", approver, "role", "admin")
				}
				wantCode(t, r, http.StatusForbidden)
				has(t, r, `id="error-csrf"`)
			}
			// Signed out, the sign-in forms compare with the visitor's own cookie, which a stranger's page cannot set.
			if r := rig.anonymous().postRaw(t, path, "csrf", "forged", "email", approver); r.status < 400 {
				t.Fatalf("anonymous post: status %d", r.status)
			}
		})
	}
	if posts < 12 {
		t.Fatalf("only %d POST routes found: %v", posts, routes)
	}
	wantState(t, rig.testServer, subID, "pending_approval")
	if a, err := rig.db.SignedApproval(t.Context(), subID); err != nil || a.FileName != "signed.pdf" {
		t.Errorf("signed approval %+v, %v", a, err)
	} else if open, _ := rig.db.Opened(t.Context(), subID, approver, a.SHA256); open {
		t.Error("opening recorded")
	}
	if n := len(rig.notices(t, subID)); n != 2 {
		t.Errorf("%d notices, want the 2 of the submission", n)
	}
}
