package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/web"
)

// Times are shown in the service's time zone, with the zone named as each language names it.
func TestTimesInTheServiceZone(t *testing.T) {
	toronto, err := time.LoadLocation("America/Toronto")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	srv := newTestServer(t, func(c *web.Config) { c.Location = toronto })
	srv.submission(t, subID, fields())
	jane := signIn(t, srv, contact)
	sub, err := srv.db.Submission(t.Context(), subID)
	if err != nil {
		t.Fatal(err)
	}
	at := sub.CreatedAt.In(toronto)
	zone, _ := at.Zone()
	fr := map[string]string{"EST": "HNE", "EDT": "HAE"}[zone]
	for _, tt := range []struct{ lang, want string }{
		{"en", at.Format("2006-01-02 15:04") + " " + zone},
		{"fr", at.Format("2006-01-02 15:04") + " " + fr},
	} {
		r := jane.get(t, "/flow/"+subID+"?lang="+tt.lang)
		wantCode(t, r, http.StatusOK)
		has(t, r, "<dd>"+tt.want+"</dd>")
		lacks(t, r, " UTC<")
	}
}
