package web

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/pdf"
	"github.com/opendata-datahub/datahub/internal/store"
)

// uploadOverhead is the room an upload's body has beyond the file itself:
// the multipart framing and the CSRF field.
const uploadOverhead = 64 << 10

// maxUploadName bounds the kept name of an uploaded file, in characters.
const maxUploadName = 200

// signedView is the signed approval section.
type signedView struct {
	Present    bool
	FileName   string
	Size       string
	Pages      int
	UploadedAt time.Time
	UploadedBy string
	Signatures []string // what the file's digital signatures say, in words; none for a file stored before they were read
	Open       string   // the PDF's address
	Record     string   // for an approver of the project: the form that records the opening, then opens it
	SHA256     string   // the version shown, which Record records
	MustOpen   bool     // the viewer is to approve and has not opened this version
	Opened     bool     // the viewer approves the project and has opened this version
	Upload     bool     // the viewer may attach a file
	Action     string   // the upload form's address
	Limit      string   // the largest file accepted, in words
	Error      string   // why the last upload was refused
}

func (s *Server) newSignedView(lang i18n.Lang, sub *opendata.Submission, v *viewer, f *flowFacts, editable bool, problem string) signedView {
	sv := signedView{Upload: editable, Action: flowPath(sub.ID) + "/signed-approval",
		Limit: byteSize(lang, s.cfg.UploadMaxBytes), Error: problem}
	if a := f.signed; a != nil {
		sv.Present, sv.FileName, sv.Size, sv.Pages = true, a.FileName, byteSize(lang, a.Size), a.Pages
		sv.UploadedAt, sv.UploadedBy, sv.Open = a.UploadedAt, actorName(lang, a.UploadedBy), signedPDFPath(sub.ID)
		sv.Signatures = s.signatureLines(lang, a.Signatures)
		if v.Actor.Approves(sub.Project) {
			sv.Record, sv.SHA256 = sv.Action+"/open", a.SHA256
		}
		approver := sub.CanReview(v.Actor)
		sv.Opened = approver && f.list.SignedApprovalOpened
		sv.MustOpen = approver && !sv.Opened && sub.State == opendata.StatePendingApproval
	}
	return sv
}

// signatureLines says what each digital signature read in the file is, or
// that there is none; nothing for a file stored before signatures were read.
func (s *Server) signatureLines(lang i18n.Lang, sigs []store.DigitalSignature) []string {
	if sigs == nil {
		return nil
	}
	if len(sigs) == 0 {
		return []string{t(lang, "signed.signature.none")}
	}
	lines := make([]string, 0, len(sigs))
	for _, sig := range sigs {
		switch {
		case sig.Problem == pdf.SignatureMismatch && sig.Signer != "":
			lines = append(lines, t(lang, "signed.signature.mismatch", "name", sig.Signer))
		case sig.Problem != "":
			lines = append(lines, t(lang, "signed.signature.unreadable"))
		case sig.Signer == "":
			lines = append(lines, t(lang, "signed.signature.unnamed"))
		case sig.SignedAt == nil:
			lines = append(lines, t(lang, "signed.signature.by_undated", "name", sig.Signer))
		default:
			lines = append(lines, t(lang, "signed.signature.by", "name", sig.Signer, "date", when(lang, s.cfg.Location, *sig.SignedAt)))
		}
	}
	return lines
}

// digitalSignatures is what the store keeps of the signatures read in an upload.
func digitalSignatures(sigs []pdf.Signature) []store.DigitalSignature {
	out := make([]store.DigitalSignature, 0, len(sigs))
	for _, sig := range sigs {
		d := store.DigitalSignature{Signer: sig.Signer, Problem: sig.Problem}
		if !sig.SignedAt.IsZero() {
			d.SignedAt = &sig.SignedAt
		}
		out = append(out, d)
	}
	return out
}

// signedPDFPath is where the signed approval's PDF is served; the task's page is its address without .pdf.
func signedPDFPath(id string) string { return taskPath(id, taskSignedApproval) + ".pdf" }

// openSigned serves the signed approval PDF to those who may read it; with
// ?sha256=, only that version. The PDF is the contact's file, so it is served
// sandboxed and never sniffed.
func (s *Server) openSigned(w http.ResponseWriter, r *http.Request, v *viewer) {
	sub, ok := s.loadSubmission(w, r, v)
	if !ok {
		return
	}
	f, meta, err := s.db.OpenSignedApproval(r.Context(), sub.ID)
	if err != nil {
		s.refuse(w, r, v, err)
		return
	}
	defer f.Close()
	if want := r.URL.Query().Get("sha256"); want != "" && !strings.EqualFold(want, meta.SHA256) {
		s.fail(w, r, v, http.StatusConflict, "error.conflict")
		return
	}
	sendDeadline(w, s.cfg.DownloadWriteTimeout)
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `inline; filename="signed-approval-`+sub.ID+`.pdf"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "no-store")
	http.ServeContent(w, r, "", time.Time{}, f)
}

// recordOpened records that an approver of the project opened the signed
// approval (Approve needs it), then sends them to that version. Only this
// form counts, so that neither a prefetch nor a link from another site does.
func (s *Server) recordOpened(w http.ResponseWriter, r *http.Request, v *viewer) {
	sub, ok := s.loadSubmission(w, r, v)
	if !ok {
		return
	}
	if !v.Actor.Approves(sub.Project) {
		s.fail(w, r, v, http.StatusForbidden, "error.forbidden")
		return
	}
	sum := r.PostForm.Get("sha256")
	if err := s.db.RecordOpened(r.Context(), sub.ID, v.Actor.Email, sum); err != nil {
		s.refuse(w, r, v, err)
		return
	}
	http.Redirect(w, r, signedPDFPath(sub.ID)+"?sha256="+url.QueryEscape(sum), http.StatusSeeOther)
}

// uploadSigned attaches the signed approval: the contact's or an admin's,
// while the submission is with its contact, checked by content. A refused
// file is shown next to the field; nothing stored changes.
func (s *Server) uploadSigned(w http.ResponseWriter, r *http.Request, v *viewer) {
	sub, ok := s.loadSubmission(w, r, v)
	if !ok {
		return
	}
	bodyDeadline(w, s.cfg.UploadReadTimeout)
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.UploadMaxBytes+uploadOverhead)
	up := readUpload(r, s.cfg.UploadMaxBytes, func(token string) bool { return s.validCSRF(r, v, token) })
	if !up.tokenOK {
		s.fail(w, r, v, http.StatusForbidden, "error.csrf")
		return
	}
	err := sub.CheckEdit(v.Actor)
	if err != nil {
		s.refuse(w, r, v, err)
		return
	}
	if up.problem == "" {
		if up.problem, err = s.forThisSubmission(r, sub, up); err != nil {
			s.internalError(w, r, err)
			return
		}
	}
	if up.problem != "" {
		l := lang(r)
		msg := t(l, up.problem, "size", byteSize(l, s.cfg.UploadMaxBytes))
		status := http.StatusUnprocessableEntity
		if up.problem == "signed.error.too_large" {
			status = http.StatusRequestEntityTooLarge // the page still says why, and the limit
		}
		s.renderFlow(w, r, v, sub, status, flowEdit{Task: taskSignedApproval}, flowProblems{Upload: msg})
		return
	}
	meta := store.SignedApproval{SHA256: up.info.SHA256, Size: up.info.Size, Pages: up.info.Pages,
		FileName: uploadName(up.name), UploadedBy: editedBy(v.Actor, sub), Signatures: digitalSignatures(up.info.Signatures)}
	if err := s.db.SaveSignedApproval(r.Context(), sub.ID, meta, up.data); err != nil {
		s.refuse(w, r, v, err)
		return
	}
	s.seeOther(w, r, v, taskPath(sub.ID, nextTask(taskSignedApproval)), "signed_uploaded")
}

// forThisSubmission says what keeps an acceptable PDF from being this
// submission's signed approval ("" when nothing does): the unsigned form the
// service generated, or a form that names another submission.
func (s *Server) forThisSubmission(r *http.Request, sub *opendata.Submission, up upload) (string, error) {
	if generated, err := s.db.GeneratedForm(r.Context(), up.info.SHA256); err != nil || generated {
		return "signed.error.unsigned", err
	}
	ids, err := pdf.NamedSubmissions(up.data)
	if err != nil {
		s.logger.DebugContext(r.Context(), "signed approval: no text read", "err", err, "submission_id", sub.ID)
	}
	for _, id := range ids {
		if id != strings.ToLower(sub.ID) {
			return "signed.error.other_submission", nil
		}
	}
	return "", nil
}

// upload is what an upload form sent.
type upload struct {
	tokenOK bool // the form's CSRF token came before the file, and is valid
	name    string
	data    []byte
	info    pdf.Info
	problem string // the catalogue key of what is wrong with the file, if anything
}

// readUpload streams the multipart body: the CSRF field, checked by
// validToken, then the file, checked as it is read and kept only when it is
// an acceptable PDF of at most limit bytes. Other fields are skipped. The
// form sends the token first: without a valid one, the file is not read.
func readUpload(r *http.Request, limit int64, validToken func(string) bool) upload {
	var up upload
	mr, err := r.MultipartReader()
	if err != nil { // not multipart: no file, but its CSRF token still counts
		_ = r.ParseForm()
		up.tokenOK, up.problem = validToken(r.PostForm.Get(csrfField)), "signed.error.required"
		return up
	}
	seen := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		} else if err != nil {
			if up.problem == "" {
				up.problem = bodyProblem(err)
			}
			break
		}
		switch part.FormName() {
		case csrfField:
			b, _ := io.ReadAll(io.LimitReader(part, 256))
			up.tokenOK = validToken(string(b))
		case "file":
			if !up.tokenOK {
				return up // unread: Part.Close would read it all
			}
			if !seen {
				seen = true
				up.readFile(part, limit, r.ContentLength)
			}
		}
		part.Close()
	}
	if !seen && up.problem == "" {
		up.problem = "signed.error.required"
	}
	return up
}

// readFile reads the file part; bodySize, the request's Content-Length (-1
// when unknown), sizes its buffer: the file is a little smaller than the body.
func (up *upload) readFile(part *multipart.Part, limit, bodySize int64) {
	up.name = part.FileName()
	data, info, err := pdf.ReadUpload(part, limit, bodySize) // one copy of the file, however large the body
	var refused *pdf.UploadError
	switch {
	case err == nil:
		up.info, up.data = info, data
	case errors.As(err, &refused) && refused.Reason == pdf.ReasonNotPDF && len(data) == 0 && up.name == "":
		up.problem = "signed.error.required" // the form was sent without choosing a file
	case errors.As(err, &refused):
		up.problem = "signed.error." + refused.Reason
	default:
		up.problem = bodyProblem(err)
	}
}

// bodyProblem names a failure to read the request body.
func bodyProblem(err error) string {
	if errors.As(err, new(*http.MaxBytesError)) {
		return "signed.error.too_large"
	}
	return "signed.error.unreadable"
}

// uploadName keeps the last element of an uploaded file's name, without
// control or formatting characters (which could disguise it), at most
// maxUploadName characters.
func uploadName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > maxUploadName {
		name = strings.TrimSpace(string([]rune(name)[:maxUploadName]))
	}
	if name == "" || name == "." || name == ".." {
		return "signed-approval.pdf"
	}
	return name
}
