package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io"
	"strings"
	texttemplate "text/template"
	"time"
)

// Data is what the workflow messages say; each constructor uses the fields its step needs.
type Data struct {
	To         []string      // the recipients: the contact, the approvers or the admins
	ReplyTo    string        // optional, e.g. the team's support address
	TitleEN    string        // the dataset's English title
	TitleFR    string        // the dataset's French title
	FlowURL    string        // the submission's workflow page
	SignInURL  string        // SignInLink: the one-time link
	ValidFor   time.Duration // SignInLink: how long the link works
	QueueURL   string        // ApprovalRequested: the approver queue
	DatasetURL string        // Published: the dataset on the registry
	Reason     string        // ChangesRequested, Rejected, Withdrawn (optional): the reason given
	Detail     string        // PublishFailed: the publishing error, for admins
	DryRun     bool          // Approved: no registry is configured for the project, so nothing will be sent yet
	Lang       string        // "fr" puts French first (subject, body); anything else English first
}

// SignInLink carries a one-time sign-in link, valid for d.ValidFor.
func SignInLink(d Data) Message { return signInLink.render(d) }

// SubmissionReceived tells the contact the dataset arrived and what to do next at d.FlowURL.
func SubmissionReceived(d Data) Message { return submissionReceived.render(d) }

// ApprovalRequested asks approvers to review the dataset, with a link to their queue.
func ApprovalRequested(d Data) Message { return approvalRequested.render(d) }

// ChangesRequested gives the contact the approver's reason and the way back to the dataset.
func ChangesRequested(d Data) Message { return changesRequested.render(d) }

// Approved tells the contact the dataset was approved and is being published.
func Approved(d Data) Message { return approved.render(d) }

// Rejected tells the contact the dataset was rejected, and why.
func Rejected(d Data) Message { return rejected.render(d) }

// Withdrawn confirms the dataset left the workflow.
func Withdrawn(d Data) Message { return withdrawn.render(d) }

// Published gives the contact the dataset's registry URL.
func Published(d Data) Message { return published.render(d) }

// PublishFailed tells the admins publishing failed and where to retry.
func PublishFailed(d Data) Message { return publishFailed.render(d) }

// WebhookDisabled tells a key's contact that its webhook endpoint (d.Detail: the key's prefix) was disabled.
func WebhookDisabled(d Data) Message { return webhookDisabled.render(d) }

//go:embed templates
var templateFiles embed.FS

// The parsed templates are read-only after init; a template error fails every test at once.
var (
	signInLink         = mustStep("sign_in_link")
	submissionReceived = mustStep("submission_received")
	approvalRequested  = mustStep("approval_requested")
	changesRequested   = mustStep("changes_requested")
	approved           = mustStep("approved")
	rejected           = mustStep("rejected")
	withdrawn          = mustStep("withdrawn")
	published          = mustStep("published")
	publishFailed      = mustStep("publish_failed")
	webhookDisabled    = mustStep("webhook_disabled")
)

// step is one message: a plain-text template (subject_en, subject_fr, en, fr) and an HTML one (en, fr),
// each parsed with the layout that puts English first and French after.
type step struct {
	name string
	text *texttemplate.Template
	html *htmltemplate.Template
}

// view is what the templates see.
type view struct {
	Data
	Subject     string
	Minutes     int
	FrenchFirst bool
}

func mustStep(name string) step {
	funcs := map[string]any{"indent": indent}
	text := texttemplate.Must(texttemplate.New("layout.txt").Funcs(funcs).
		ParseFS(templateFiles, "templates/layout.txt", "templates/"+name+".txt"))
	html := htmltemplate.Must(htmltemplate.New("layout.html").
		ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html"))
	return step{name: name, text: text, html: html}
}

func (s step) render(d Data) Message {
	v := view{Data: d, Minutes: int(d.ValidFor.Round(time.Minute) / time.Minute), FrenchFirst: d.Lang == "fr"}
	en, fr := oneLine(s.exec(s.text, "subject_en", v)), oneLine(s.exec(s.text, "subject_fr", v))
	v.Subject, v.Data.Lang = en+" / "+fr, "en"
	if v.FrenchFirst {
		v.Subject, v.Data.Lang = fr+" / "+en, "fr"
	}
	return Message{
		To:      append([]string(nil), d.To...),
		ReplyTo: d.ReplyTo,
		Lang:    v.Data.Lang,
		Subject: v.Subject,
		Text:    tidy(s.exec(s.text, "layout.txt", v)),
		HTML:    s.exec(s.html, "layout.html", v),
	}
}

// executor is what text/template and html/template have in common.
type executor interface {
	ExecuteTemplate(w io.Writer, name string, data any) error
}

// exec runs one template. The data is a fixed struct of strings, so an error is a bug in an embedded
// template, which the tests render for every step: panic rather than send a broken message.
func (s step) exec(t executor, name string, v view) string {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, v); err != nil {
		panic(fmt.Sprintf("mail: template %s/%s: %v", s.name, name, err))
	}
	return buf.String()
}

// oneLine keeps a subject on one header line, whatever the titles hold.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// indent sets user text (a reason, an error) apart in the plain-text body, line by line.
func indent(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = "    " + strings.TrimRight(l, " \r\t")
	}
	return strings.Join(lines, "\n")
}

// tidy drops trailing spaces and runs of blank lines left by the template actions.
func tidy(s string) string {
	var out []string
	blank := 0
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRight(l, " \t\r")
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n")) + "\n"
}
