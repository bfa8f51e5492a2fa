package api_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
)

func TestGetSubmission(t *testing.T) {
	e := newEnv(t)
	cfs := e.key("CFS")
	id := decode(t, e.submit(cfs, validBody(nil)))["datahub_id"].(string)
	w := e.do("GET", "/api/opendata/submissions/"+id, "", "DH-Auth-Key", cfs)
	wantStatus(t, w, 200)
	m := decode(t, w)
	md := m["metadata"].(map[string]any)
	hist := m["history"].([]any)
	if m["state"] != "in_preparation" || md["title_translated_fr"] != "Inventaire forestier" || len(hist) != 1 {
		t.Fatalf("view %v", m)
	}
	// Another project's key cannot tell it exists.
	other := e.do("GET", "/api/opendata/submissions/"+id, "", "DH-Auth-Key", e.key("NRC"))
	missing := e.do("GET", "/api/opendata/submissions/00000000-0000-0000-0000-000000000000", "", "DH-Auth-Key", cfs)
	wantStatus(t, other, 404)
	wantStatus(t, missing, 404)
	if decode(t, other)["code"] != decode(t, missing)["code"] {
		t.Fatal("another project's id answers differently from a missing one")
	}
}

func TestListSubmissions(t *testing.T) {
	e := newEnv(t)
	cfs := e.key("CFS")
	var ids []string
	for i := range 5 {
		m := decode(t, e.submit(cfs, validBody(map[string]any{"file_id": fmt.Sprintf("f%d", i)})))
		ids = append([]string{m["datahub_id"].(string)}, ids...) // newest first
	}
	e.submit(e.key("NRC"), validBody(nil)) // another project's
	var seen []string
	cursor := ""
	for range 5 {
		q := url.Values{"limit": {"2"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		m := decode(t, e.do("GET", "/api/opendata/submissions?"+q.Encode(), "", "DH-Auth-Key", cfs))
		for _, it := range m["items"].([]any) {
			seen = append(seen, it.(map[string]any)["datahub_id"].(string))
		}
		next, _ := m["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if !slices.Equal(seen, ids) {
		t.Fatalf("pages gave %v, want %v", seen, ids)
	}
	m := decode(t, e.do("GET", "/api/opendata/submissions?file_id=f3&state=in_preparation", "", "DH-Auth-Key", cfs))
	if items := m["items"].([]any); len(items) != 1 || items[0].(map[string]any)["file_id"] != "f3" {
		t.Fatalf("filter: %v", m)
	}
	w := e.do("GET", "/api/opendata/submissions?limit=0&state=done&cursor=zzz", "", "DH-Auth-Key", cfs)
	wantStatus(t, w, 400)
	if got := problemCodes(t, w); !slices.Equal(got, []string{"state:invalid_choice", "limit:invalid_format", "cursor:invalid_format"}) {
		t.Fatalf("errors %v", got)
	}
}
