package web_test

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/pdf"
	"github.com/opendata-datahub/datahub/internal/pdf/pdftest"
	"github.com/opendata-datahub/datahub/internal/web"
)

// renderOther is a readable PDF of the same submission other than signedPDF's.
func renderOther(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := pdf.Render(&b, pdf.FormData{ID: subID, Project: testProject, Fields: fields(), Form: completeForm(),
		Generated: created.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// protectedPDF is a one-page PDF that needs a password to open.
func protectedPDF(t *testing.T) []byte {
	t.Helper()
	p := fpdf.New("P", "mm", "Letter", "")
	p.SetProtection(fpdf.CnProtectPrint, "open-sesame", "owner")
	p.AddPage()
	p.SetFont("Helvetica", "", 12)
	p.Cell(40, 10, "Signed")
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The contact attaches the signed approval; the page then links to it and
// the checklist counts it.
func TestSignedUpload(t *testing.T) {
	rig := newFlowRig(t)
	page := "/flow/" + subID
	data := signedPDF(t)
	name := `C:\Users\jane\..\Signed ` + "\u202e" + `fdp.exe` + strings.Repeat("x", 300) + ".pdf"
	seeOther(t, rig.contact.upload(t, page+"/signed-approval", name, data), page+"/submit?flash=signed_uploaded")

	a, err := rig.db.SignedApproval(context.Background(), subID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Size != int64(len(data)) || a.Pages < 1 || a.UploadedBy != "user:"+contact {
		t.Errorf("stored %+v", a)
	}
	if strings.ContainsAny(a.FileName, `\/`+"\u202e") || !strings.HasPrefix(a.FileName, "Signed fdp.exe") ||
		utf8.RuneCountInString(a.FileName) != 200 {
		t.Errorf("file name %q (%d characters) is not cleaned", a.FileName, utf8.RuneCountInString(a.FileName))
	}
	r := rig.contact.get(t, page+"/signed-approval?lang=en&flash=signed_uploaded")
	has(t, r, "The signed approval is attached.", `id="open-signed"`, `<dd id="signed-name">Signed fdp.exe`,
		"Attaching another file replaces the one above.")
	lacks(t, r, `id="signed-must-open"`) // the contact does not approve

	// An admin may replace it; the record says in which capacity.
	seeOther(t, rig.admin.upload(t, page+"/signed-approval", "new.pdf", renderOther(t)), page+"/submit?flash=signed_uploaded")
	if a, _ := rig.db.SignedApproval(context.Background(), subID); a.UploadedBy != "admin:"+admin || a.FileName != "new.pdf" {
		t.Errorf("after the admin's upload: %+v", a)
	}
}

// A file that is not an acceptable PDF is refused next to the field, in the
// reader's language, and nothing is stored.
func TestSignedUploadRefusals(t *testing.T) {
	const limit = 64 << 10
	srv := newTestServer(t, func(c *web.Config) { c.UploadMaxBytes = limit })
	srv.submission(t, subID, fields())
	jane := signIn(t, srv, contact)
	page := "/flow/" + subID
	good := signedPDF(t)
	tests := []struct {
		name, file string
		data       []byte
		lang, msg  string
	}{
		{"not a PDF", "signed.pdf", []byte("GIF89a not a pdf"), "en", "The file is not a PDF. Attach the signed approval as a PDF file."},
		{"not a PDF, in French", "signed.pdf", []byte("hello"), "fr", "Le fichier n’est pas un PDF.|Le fichier n&#39;est pas un PDF."},
		{"damaged", "signed.pdf", append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("garbage "), 100)...), "en", "The PDF is damaged or has no pages."},
		{"truncated", "signed.pdf", good[:len(good)/2], "en", "The PDF is damaged or has no pages."},
		{"password-protected", "signed.pdf", protectedPDF(t), "en", "The PDF is password-protected."},
		{"no file chosen", "", nil, "en", "Choose the signed approval PDF to attach."},
		{"too large", "big.pdf", append(append([]byte{}, good...), bytes.Repeat([]byte{'%'}, limit)...), "en",
			"The file is too large: attach a PDF of at most 64 KB."},
		{"far too large", "huge.pdf", append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{' '}, 4*limit)...), "en",
			"The file is too large: attach a PDF of at most 64 KB."},
		{"too large, in French", "big.pdf", bytes.Repeat([]byte("%PDF-"), limit), "fr",
			"Le fichier est trop volumineux : joignez un PDF d’au plus 64 Ko.|Le fichier est trop volumineux : joignez un PDF d&#39;au plus 64 Ko."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jane.get(t, page+"?lang="+tt.lang)
			r := jane.upload(t, page+"/signed-approval", tt.file, tt.data)
			if strings.HasPrefix(tt.name, "too large") || strings.HasPrefix(tt.name, "far too large") {
				wantCode(t, r, http.StatusRequestEntityTooLarge)
			} else {
				wantCode(t, r, http.StatusUnprocessableEntity)
			}
			found := false
			for _, msg := range strings.Split(tt.msg, "|") {
				found = found || strings.Contains(r.body, `<p class="dh-error" id="error-file">`+msg)
			}
			if !found {
				t.Errorf("page lacks %q next to the field", tt.msg)
			}
			has(t, r, `<a href="#file">`, `aria-describedby="file-hint error-file" aria-invalid="true">`)
			if _, err := srv.db.SignedApproval(context.Background(), subID); opendata.ErrorCode(err) != opendata.ENOTFOUND {
				t.Errorf("something was stored: %v", err)
			}
		})
	}
	// A good file within the limit is still accepted.
	jane.get(t, page+"?lang=en")
	seeOther(t, jane.upload(t, page+"/signed-approval", "signed.pdf", good), page+"/submit?flash=signed_uploaded")
}

// Only the contact and admins attach, and only while the submission is with the contact.
func TestSignedUploadPermissions(t *testing.T) {
	rig := newFlowRig(t)
	page := "/flow/" + subID
	data := signedPDF(t)
	wantCode(t, rig.approver.upload(t, page+"/signed-approval", "a.pdf", data), http.StatusForbidden)
	wantCode(t, rig.stranger.upload(t, page+"/signed-approval", "a.pdf", data), http.StatusForbidden)
	r := rig.anonymous().upload(t, page+"/signed-approval", "a.pdf", data)
	wantCode(t, r, http.StatusUnauthorized)
	has(t, r, `id="error-signed-out"`)
	if r := rig.approver.get(t, page+"/signed-approval"); strings.Contains(section(t, r.body, "signed-approval"), "<form") {
		t.Error("an approver is offered the upload form")
	}
	rig.makeReady(t, subID)
	seeOther(t, rig.contact.post(t, page+"/actions/submit_for_approval"), page+"?flash=submit_for_approval")
	r = rig.contact.upload(t, page+"/signed-approval", "late.pdf", renderOther(t))
	wantCode(t, r, http.StatusConflict)
	if a, _ := rig.db.SignedApproval(context.Background(), subID); a.FileName != "signed.pdf" {
		t.Errorf("the signed approval was replaced by %q", a.FileName)
	}
}

// The PDF is served inline, sandboxed, to those who may read it; fetching it
// records nothing (the approver's form does, below).
func TestSignedDownload(t *testing.T) {
	rig := newFlowRig(t)
	ctx := context.Background()
	path := "/flow/" + subID + "/signed-approval.pdf"
	wantCode(t, rig.contact.get(t, path), http.StatusNotFound) // nothing attached yet
	rig.attachSigned(t, subID)
	a, err := rig.db.SignedApproval(ctx, subID)
	if err != nil {
		t.Fatal(err)
	}
	want := signedPDF(t)
	for _, who := range []*visitor{rig.contact, rig.admin, rig.approver} {
		r := who.get(t, path)
		wantCode(t, r, http.StatusOK)
		for name, value := range map[string]string{
			"Content-Type":            "application/pdf",
			"Content-Disposition":     `inline; filename="signed-approval-` + subID + `.pdf"`,
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "sandbox; default-src 'none'",
			"Cache-Control":           "no-store",
		} {
			if got := r.header.Get(name); got != value {
				t.Errorf("%s: %s = %q, want %q", who.email, name, got, value)
			}
		}
		if r.body != string(want) {
			t.Errorf("%s: served %d bytes, not the stored file", who.email, len(r.body))
		}
		opened, err := rig.db.Opened(ctx, subID, who.email, a.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if opened {
			t.Errorf("%s: opened recorded by a GET", who.email)
		}
	}
	wantCode(t, rig.stranger.get(t, path), http.StatusForbidden)
	wantCode(t, signIn(t, rig.testServer, otherAppr).get(t, path), http.StatusForbidden)
	r := rig.anonymous().get(t, path)
	seeOther(t, r, "/signin?next=%2Fflow%2F"+subID+"%2Fsigned-approval.pdf")
	for _, who := range []string{stranger, otherAppr} {
		if opened, _ := rig.db.Opened(ctx, subID, who, a.SHA256); opened {
			t.Errorf("%s: opened recorded", who)
		}
	}
}

// openSigned opens the signed approval as an approver does, with the form on
// the submission page that records the opening and leads to the file.
func (v *visitor) openSigned(t *testing.T, id string) {
	t.Helper()
	page := "/flow/" + id
	m := regexp.MustCompile(`<input type="hidden" name="sha256" value="([0-9a-f]{64})">`).FindStringSubmatch(v.get(t, page).body)
	if m == nil {
		t.Fatalf("%s: no form opens the signed approval", v.email)
	}
	r := v.post(t, page+"/signed-approval/open", "sha256", m[1])
	seeOther(t, r, page+"/signed-approval.pdf?sha256="+m[1])
	r = v.get(t, r.header.Get("Location"))
	if wantCode(t, r, http.StatusOK); r.header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("opened %s", r.header.Get("Content-Type"))
	}
}

// Only the approver's own form records the opening: not a fetch of the file
// (a prefetch, a link from another site), not a form without its token, not
// the form of a version since replaced, and not anyone else's.
func TestSignedOpenedOnlyByTheApproversForm(t *testing.T) {
	rig := newFlowRig(t)
	ctx := context.Background()
	rig.attachSigned(t, subID)
	a, err := rig.db.SignedApproval(ctx, subID)
	if err != nil {
		t.Fatal(err)
	}
	page := "/flow/" + subID
	opened := func(email string) bool {
		t.Helper()
		ok, err := rig.db.Opened(ctx, subID, email, a.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	// The contact and the admin see a link; the approver, the form.
	for _, who := range []*visitor{rig.contact, rig.admin} {
		lacks(t, who.get(t, page), `/signed-approval/open"`)
	}
	wantCode(t, rig.approver.get(t, page+"/signed-approval.pdf"), http.StatusOK)
	req, _ := http.NewRequest("GET", rig.URL+page+"/signed-approval.pdf", nil)
	req.Header.Set("Sec-Purpose", "prefetch")
	wantCode(t, rig.approver.do(t, req), http.StatusOK)
	for _, tt := range []struct {
		name   string
		who    *visitor
		pairs  []string
		status int
	}{
		{"no token", rig.approver, []string{"sha256", a.SHA256}, http.StatusForbidden},
		{"another session's token", rig.approver, []string{"csrf", rig.contact.csrf, "sha256", a.SHA256}, http.StatusForbidden},
		{"a replaced version", rig.approver, []string{"csrf", rig.approver.csrf, "sha256", strings.Repeat("0", 64)}, http.StatusConflict},
		{"no version", rig.approver, []string{"csrf", rig.approver.csrf}, http.StatusConflict},
		{"the contact", rig.contact, []string{"csrf", rig.contact.csrf, "sha256", a.SHA256}, http.StatusForbidden},
		{"an admin", rig.admin, []string{"csrf", rig.admin.csrf, "sha256", a.SHA256}, http.StatusForbidden},
		{"another project's approver", signIn(t, rig.testServer, otherAppr), nil, http.StatusForbidden},
		{"a stranger", rig.stranger, nil, http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, tt.who.postRaw(t, page+"/signed-approval/open", tt.pairs...), tt.status)
		})
	}
	for _, email := range []string{approver, contact, admin, otherAppr, stranger} {
		if opened(email) {
			t.Fatalf("%s: opened recorded without the approver's form", email)
		}
	}
	rig.approver.openSigned(t, subID)
	if !opened(approver) {
		t.Fatal("the approver's form recorded nothing")
	}
	// A link to a version that is no longer the one attached is refused.
	wantCode(t, rig.approver.get(t, page+"/signed-approval.pdf?sha256="+strings.Repeat("0", 64)), http.StatusConflict)
}

// The approver sees whether the signed approval carries a digital signature
// and whose, said as read, not verified; a file without one sends them to
// the handwritten signature.
func TestSignedUploadDigitalSignature(t *testing.T) {
	rig := newFlowRig(t)
	page := "/flow/" + subID
	at := time.Date(2026, 12, 3, 15, 4, 0, 0, time.UTC)
	seeOther(t, rig.contact.upload(t, page+"/signed-approval", "signed.pdf", pdftest.Sign(t, signedPDF(t), "Jeanne Tremblay", at)),
		page+"/submit?flash=signed_uploaded")
	for lang, want := range map[string]string{
		"en": "Signed digitally by Jeanne Tremblay on 2026-12-03 15:04 UTC. The signature matches the file; its certificate is not checked against a trust list.",
		"fr": "Signé numériquement par Jeanne Tremblay le 2026-12-03 15:04 UTC. La signature correspond au fichier; son certificat n’est pas vérifié auprès d’une liste de confiance.",
	} {
		r := rig.approver.get(t, page+"/signed-approval?lang="+lang)
		if got := section(t, r.body, "signed-approval"); !strings.Contains(got, `<dd id="signed-signatures">`+want+`</dd>`) {
			t.Errorf("%s: the approver's page lacks %q:\n%s", lang, want, got)
		}
	}

	// Changed after signing (one byte the signature covers): the approver is told.
	changed := pdftest.Sign(t, signedPDF(t), "Jeanne Tremblay", at)
	changed[len("%PDF-1.")]++
	seeOther(t, rig.contact.upload(t, page+"/signed-approval", "changed.pdf", changed), page+"/submit?flash=signed_uploaded")
	has(t, rig.approver.get(t, page+"/signed-approval?lang=en"),
		`<dd id="signed-signatures">Signed digitally by Jeanne Tremblay, but the file was changed after it was signed`)

	seeOther(t, rig.contact.upload(t, page+"/signed-approval", "scanned.pdf", renderOther(t)), page+"/submit?flash=signed_uploaded")
	for lang, want := range map[string]string{
		"en": "No digital signature found: check the handwritten signature.",
		"fr": "Aucune signature numérique trouvée : vérifiez la signature manuscrite.",
	} {
		has(t, rig.approver.get(t, page+"/signed-approval?lang="+lang), `<dd id="signed-signatures">`+want+`</dd>`)
	}
}
