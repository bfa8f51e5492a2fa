package main

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/opendata-datahub/datahub/internal/ckan/ckantest"
	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/mail"
)

// The real binary publishes to a CKAN double on loopback (SPEC §5): the
// workflow is driven through the pages, and each step is checked in the
// status API, on the submission's page and on the double.

// specPayloadKeys are the dataset fields SPEC §5 lists, with the id.
var specPayloadKeys = []string{"type", "id", "collection", "title_translated", "notes_translated", "keywords",
	"subject", "audience", "frequency", "jurisdiction", "date_published", "time_period_coverage_start",
	"time_period_coverage_end", "digital_object_identifier", "maintainer_email", "owner_org", "license_id",
	"restrictions", "imso_approval", "ready_to_publish", "resources"}

// checkPayload checks the payload the status API recorded against what was
// submitted, field by field, and that it holds exactly the fields of SPEC §5.
func (e *pubEnv) checkPayload(payload map[string]any, owner string) {
	t := e.t
	t.Helper()
	keys := slices.Sorted(maps.Keys(payload))
	if want := slices.Sorted(slices.Values(specPayloadKeys)); !slices.Equal(keys, want) {
		t.Fatalf("payload fields %v, want %v", keys, want)
	}
	want := map[string]any{
		"type": "dataset", "id": e.id, "collection": "primary",
		"title_translated": map[string]any{"en": "Forest inventory", "fr": "Inventaire forestier"},
		"notes_translated": map[string]any{"en": "Plots.", "fr": "Placettes."},
		"keywords":         map[string]any{"en": []any{"forests"}, "fr": []any{"forêts"}},
		"subject":          []any{"agriculture", "nature_and_environment"},
		"audience":         []any{"business", "government"},
		"frequency":        "P1Y", "jurisdiction": "federal", "date_published": "2024-03-15",
		"time_period_coverage_start": "2020-01-01", "time_period_coverage_end": "2023-12-31",
		"digital_object_identifier": "10.1234/forest.2024", "maintainer_email": alice, "owner_org": owner,
		"license_id": "ca-ogl-lgo", "restrictions": "unrestricted", "imso_approval": "true", "ready_to_publish": "true",
		"resources": []any{map[string]any{
			"name_translated": map[string]any{"en": "data.csv", "fr": "data.csv"}, "resource_type": "dataset",
			"format": "CSV", "language": []any{"en", "fr"}, "url": e.fileURL, "size": float64(len(publishCSV)),
		}},
	}
	for _, k := range specPayloadKeys {
		if !sameJSON(payload[k], want[k]) {
			t.Errorf("payload %s = %v, want %v", k, payload[k], want[k])
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// checkOnRegistry checks that the double holds the payload, as the registry
// returns it: owner_org as the organization's id, dates with a time, choice
// lists in schema order, and registry-managed keys besides.
func (e *pubEnv) checkOnRegistry(payload map[string]any, state string) {
	t := e.t
	t.Helper()
	got, ok := e.ckan.Dataset(e.id)
	if !ok {
		t.Fatalf("the double holds no dataset %s; calls %v", e.id, e.ckan.Calls())
	}
	if got["state"] != state {
		t.Fatalf("the dataset is %v on the double, want %s", got["state"], state)
	}
	for k, sent := range payload {
		stored := got[k]
		switch k {
		case "owner_org":
			sent = e.orgID
		case "date_published", "time_period_coverage_start", "time_period_coverage_end":
			sent = sent.(string) + " 00:00:00"
		case "resources":
			res := stored.([]any)[0].(map[string]any)
			for _, extra := range []string{"id", "package_id", "position"} {
				delete(res, extra) // the registry's own
			}
			if n, err := strconv.Atoi(string(res["size"].(json.Number))); err == nil {
				res["size"] = n
			}
		}
		if !sameJSON(stored, sent) {
			t.Errorf("on the double %s = %v, sent %v", k, stored, sent)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// TestPublishEndToEnd: approved through the pages, published on the double with
// exactly the payload recorded; unpublished by an admin with a reason, then published again.
func TestPublishEndToEnd(t *testing.T) {
	e := startPublishing(t, "publish-e2e")
	if r := e.setTarget(registryOrg, e.tokenFile); !strings.Contains(r.stdout, "token stored encrypted") ||
		strings.Contains(r.stdout+r.stderr, e.ckan.Token) {
		t.Fatalf("targets set said: %s %s", r.stdout, r.stderr)
	}
	mark := markOutbox(t, e.data)
	e.approveThroughPages()
	m := e.waitState("published")

	pub := publicationOf(m)
	wantURL := e.ckan.URL + "/dataset/" + e.id
	if pub["dry_run"] != false || pub["registry_id"] != e.id || pub["registry_url"] != wantURL ||
		pub["published_at"] == nil || pub["last_attempt_at"] == nil || pub["attempts"] != 1.0 || pub["last_error"] != nil ||
		len(pub["errors"].([]any)) != 0 {
		t.Fatalf("publication %v", pub)
	}
	if raw, _ := json.Marshal(m); strings.Contains(string(raw), e.ckan.Token) {
		t.Fatal("the status API shows the registry token")
	}
	payload := pub["payload"].(map[string]any)
	e.checkPayload(payload, registryOrg)
	e.checkOnRegistry(payload, "active")
	if n := e.ckan.CountCalls("package_create"); n != 1 {
		t.Fatalf("%d package_create calls, want 1: %v", n, e.ckan.Calls())
	}

	// The contact sees the registry link and the payload as sent.
	_, p := signInWeb(t, e.public, e.data, alice, e.flow)
	if got := registryLink(p.body); got != wantURL {
		t.Fatalf("the page's registry link is %q, want %s\n%s", got, wantURL, section(p.body, "section", "publication"))
	}
	if strings.Contains(p.body, `id="publication-dry-run"`) {
		t.Fatal("a published submission's page says dry run")
	}
	if !sameJSON(pagePayload(t, p.body), payload) {
		t.Fatal("the page's payload differs from the status API's")
	}
	if got, want := textOf(section(p.body, "span", "state")), i18n.T(i18n.EN, "state.published"); got != want {
		t.Fatalf("the page's state %q, want %q", got, want)
	}
	published := waitEmail(t, e.data, alice, mark, func(m email) bool {
		return m.Subject == mail.Published(mail.Data{}).Subject
	}, "published")
	if !strings.Contains(published.Text, wantURL) || !strings.Contains(published.HTML, `href="`+wantURL+`"`) {
		t.Fatalf("the published email does not link %s:\n%s", wantURL, published.Text)
	}
	if r := datahub(t, nil, "outbox", "--data", e.data, "--to", alice, "--last", "0"); r.code != 0 ||
		!strings.Contains(r.stdout, wantURL) {
		t.Fatalf("datahub outbox: %d %s %s", r.code, r.stdout, r.stderr)
	}

	t.Run("unpublish and publish again", func(t *testing.T) {
		e.t = t
		admin := e.admin()
		if tp := admin.get("/admin/targets"); tp.status != 200 || !strings.Contains(tp.body, e.ckan.URL) ||
			strings.Contains(tp.body, e.ckan.Token) {
			t.Fatalf("/admin/targets: status %d, lists the target %v, shows the token %v", tp.status,
				strings.Contains(tp.body, e.ckan.URL), strings.Contains(tp.body, e.ckan.Token))
		}
		// Unpublish is final: the overview links to its confirmation page.
		if !strings.Contains(admin.get(e.flow).body, `id="action-unpublish"`) {
			t.Fatal("the admin's page offers no Unpublish")
		}
		if strings.Contains(p.body, `id="action-unpublish"`) {
			t.Fatal("the contact is offered Unpublish")
		}
		// A reason is required: refused on the page, nothing sent.
		admin.get(e.flow)
		if r := admin.post(e.flow+"/actions/unpublish", "confirmed", "yes"); r.status != 422 || !strings.Contains(r.body, `id="error-reason-unpublish"`) {
			t.Fatalf("unpublish without a reason: status %d", r.status)
		}
		if n := e.ckan.CountCalls("package_delete"); n != 0 {
			t.Fatalf("package_delete sent without a reason: %d", n)
		}
		reason := "The file holds a plot that must not be public."
		e.act(admin, "unpublish", "reason", reason)
		m := e.waitFor("deleted on the registry", func(m map[string]any) bool {
			return publicationOf(m)["unpublished_at"] != nil
		})
		if m["state"] != "unpublished" {
			t.Fatalf("state %v", m["state"])
		}
		if n := e.ckan.CountCalls("package_delete"); n != 1 {
			t.Fatalf("%d package_delete calls, want 1: %v", n, e.ckan.Calls())
		}
		if d, _ := e.ckan.Dataset(e.id); d["state"] != "deleted" {
			t.Fatalf("on the double the dataset is %v", d["state"])
		}
		hist, _ := m["history"].([]any)
		last, _ := hist[len(hist)-1].(map[string]any)
		if last["to"] != "unpublished" || last["reason"] != reason || !strings.Contains(last["actor"].(string), dana) {
			t.Fatalf("the last transition %v", last)
		}
		page := admin.get(e.flow)
		if got := textOf(section(page.body, "span", "state")); got != i18n.T(i18n.EN, "state.unpublished") {
			t.Fatalf("the page's state %q", got)
		}
		if !strings.Contains(textOf(section(page.body, "section", "timeline")), reason) {
			t.Fatal("the timeline does not show the reason")
		}

		patches := e.ckan.CountCalls("package_patch")
		e.act(admin, "publish_again")
		m = e.waitFor("published again", func(m map[string]any) bool {
			return m["state"] == "published" && publicationOf(m)["unpublished_at"] == nil
		})
		if e.ckan.CountCalls("package_patch") != patches+1 || e.ckan.CountCalls("package_create") != 1 {
			t.Fatalf("publishing again: calls %v", e.ckan.Calls())
		}
		e.checkOnRegistry(publicationOf(m)["payload"].(map[string]any), "active")
		if got := registryLink(admin.get(e.flow).body); got != wantURL {
			t.Fatalf("after publishing again the registry link is %q", got)
		}
	})

	e.t = t
	e.srv.stop(t)
	e.noSecretAt(e.ckan.Token)
}

// TestPublishDryRunThenPublishNow: with no target nothing is sent, the page
// says so and shows the JSON; once a target is set, an admin publishes it.
func TestPublishDryRunThenPublishNow(t *testing.T) {
	e := startPublishing(t, "publish-dry-run")
	e.approveThroughPages()
	m := e.waitFor("recorded as a dry run", func(m map[string]any) bool {
		p := publicationOf(m)
		return p != nil && p["dry_run"] == true
	})
	if m["state"] != "approved" {
		t.Fatalf("a dry run left the submission %v, want approved", m["state"])
	}
	pub := publicationOf(m)
	if pub["registry_url"] != nil || pub["published_at"] != nil || pub["attempts"] != 0.0 {
		t.Fatalf("dry-run publication %v", pub)
	}
	payload := pub["payload"].(map[string]any)
	e.checkPayload(payload, "")
	if calls := e.ckan.Calls(); len(calls) != 0 {
		t.Fatalf("a dry run called the registry: %v", calls)
	}

	admin := e.admin()
	p := admin.get(e.flow)
	dry := section(p.body, "section", "publication")
	if !strings.Contains(dry, `id="publication-dry-run"`) || !strings.Contains(textOf(dry), i18n.T(i18n.EN, "publication.dry_run.text")) {
		t.Fatalf("the page does not say nothing was sent:\n%s", dry)
	}
	if !sameJSON(pagePayload(t, p.body), payload) {
		t.Fatal("the page's JSON differs from the status API's payload")
	}
	if registryLink(p.body) != "" {
		t.Fatal("a dry run shows a registry link")
	}
	if found, disabled := buttonState(p.body, "action-publish_now"); !found || !disabled {
		t.Fatalf("Publish now without a target: found %v, disabled %v", found, disabled)
	}

	e.setTarget(registryOrg, e.tokenFile)
	if found, disabled := buttonState(admin.get(e.flow).body, "action-publish_now"); !found || disabled {
		t.Fatalf("Publish now with a target: found %v, disabled %v", found, disabled)
	}
	e.act(admin, "publish_now")
	m = e.waitState("published")
	pub = publicationOf(m)
	if pub["dry_run"] != false || pub["registry_url"] != e.ckan.URL+"/dataset/"+e.id {
		t.Fatalf("publication %v", pub)
	}
	payload = pub["payload"].(map[string]any)
	e.checkPayload(payload, registryOrg)
	e.checkOnRegistry(payload, "active")
	p = admin.get(e.flow)
	if strings.Contains(p.body, `id="publication-dry-run"`) || registryLink(p.body) != e.ckan.URL+"/dataset/"+e.id {
		t.Fatalf("after publishing, the page:\n%s", section(p.body, "section", "publication"))
	}
	e.srv.stop(t)
	e.noSecretAt(e.ckan.Token)
}

// TestPublishWrongOrganization: the registry refuses the target's organization;
// the refusal shows field by field; the admin fixes the target and retries.
func TestPublishWrongOrganization(t *testing.T) {
	e := startPublishing(t, "publish-wrong-org")
	e.setTarget("no-such-org", e.tokenFile)
	e.approveThroughPages()
	m := e.waitState("publish_failed")
	pub := publicationOf(m)
	errs, _ := pub["errors"].([]any)
	found := false
	for _, x := range errs {
		fe := x.(map[string]any)
		found = found || (fe["field"] == "owner_org" && strings.Contains(fe["message"].(string), "Organization does not exist"))
	}
	if !found || pub["last_error"] == nil || pub["published_at"] != nil {
		t.Fatalf("publication %v", pub)
	}
	if e.ckan.CountCalls("package_create")+e.ckan.CountCalls("package_patch") != 0 {
		t.Fatalf("a dataset was sent under a missing organization: %v", e.ckan.Calls())
	}

	admin := e.admin()
	p := admin.get(e.flow)
	list := section(p.body, "ul", "publication-errors")
	if !strings.Contains(list, "<code>owner_org</code>") || !strings.Contains(textOf(list), "Organization does not exist") {
		t.Fatalf("the page does not show the owner_org refusal:\n%s", section(p.body, "section", "publication"))
	}
	if got := textOf(section(p.body, "span", "state")); got != i18n.T(i18n.EN, "state.publish_failed") {
		t.Fatalf("the page's state %q", got)
	}

	if r := e.setTarget(registryOrg, ""); !strings.Contains(r.stdout, "token kept") {
		t.Fatalf("targets set without a token: %s", r.stdout)
	}
	e.act(admin, "retry_publishing")
	m = e.waitState("published")
	pub = publicationOf(m)
	if len(pub["errors"].([]any)) != 0 || pub["last_error"] != nil || pub["attempts"] != 2.0 {
		t.Fatalf("publication after the retry %v", pub)
	}
	payload := pub["payload"].(map[string]any)
	e.checkPayload(payload, registryOrg)
	e.checkOnRegistry(payload, "active")
	p = admin.get(e.flow)
	if strings.Contains(p.body, `id="publication-errors"`) || registryLink(p.body) != e.ckan.URL+"/dataset/"+e.id {
		t.Fatalf("after the retry, the page:\n%s", section(p.body, "section", "publication"))
	}
	e.srv.stop(t)
	e.noSecretAt(e.ckan.Token)
}

// TestPublishTargetsCommands: targets list never shows the token; targets
// check says in one line that the target works, and plainly when it does not.
func TestPublishTargetsCommands(t *testing.T) {
	e := &pubEnv{t: t, data: t.TempDir()}
	e.ckan = ckantest.New(t)
	e.orgID = e.ckan.AddOrganization(registryOrg)
	e.tokenFile = writeToken(t, e.ckan.Token)
	check := func() result {
		return datahub(t, nil, "targets", "check", "--data", e.data, "--project", "CFS", "--allow-private-fetch")
	}
	e.setTarget(registryOrg, e.tokenFile)

	list := datahub(t, nil, "targets", "list", "--data", e.data)
	if list.code != 0 || !strings.Contains(list.stdout, e.ckan.URL) || !strings.Contains(list.stdout, registryOrg) ||
		strings.Contains(list.stdout+list.stderr, e.ckan.Token) {
		t.Fatalf("targets list: %d %s %s", list.code, list.stdout, list.stderr)
	}

	r := check()
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 1 || !strings.Contains(lines[0], "reachable") || !strings.Contains(lines[0], e.orgID) {
		t.Fatalf("targets check: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if n := e.ckan.CountCalls("organization_show"); n != 1 {
		t.Fatalf("%d organization_show calls, want 1", n)
	}

	wrong := "not-the-registry-token-" + strings.Repeat("x", 24)
	e.setTarget(registryOrg, writeToken(t, wrong))
	r = check()
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "target CFS does not work") ||
		!strings.Contains(r.stderr, "403") || strings.Contains(r.stderr, wrong) {
		t.Fatalf("targets check with a wrong token: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if list := datahub(t, nil, "targets", "list", "--data", e.data); strings.Contains(list.stdout, wrong) {
		t.Fatalf("targets list shows the token:\n%s", list.stdout)
	}
	e.noSecretInFiles(e.ckan.Token)
	e.noSecretInFiles(wrong)
}
