package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/opendata-datahub/datahub/internal/mail"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

// NotifyArgs asks for the email that tells people about a step of a
// submission's workflow (opendata.Notice). One job may carry the same step of
// several submissions (SubmissionIDs): the "received" emails of a group
// commit go to the queue as one job, not one each, which keeps the submit
// path's cost per submission down.
type NotifyArgs struct {
	SubmissionID  string          `json:"submission_id,omitempty"`
	SubmissionIDs []string        `json:"submission_ids,omitempty"`
	Event         opendata.Notice `json:"event"`
	Reason        string          `json:"reason,omitempty"`
}

// ids lists the submissions the notice is about.
func (a NotifyArgs) ids() []string {
	if a.SubmissionID != "" {
		return append([]string{a.SubmissionID}, a.SubmissionIDs...)
	}
	return a.SubmissionIDs
}

// Kind names the job kind.
func (NotifyArgs) Kind() string { return string(opendata.EffectNotify) }

// mergeKey lets the notices of one step and reason share a job.
func (a NotifyArgs) mergeKey() string { return string(a.Event) + "\x00" + a.Reason }

// merge adds j's submission to the notice.
func (a NotifyArgs) merge(j store.Job) merger {
	a.SubmissionIDs = append(a.SubmissionIDs, j.SubmissionID)
	return a
}

// NotifyAttempts is how many times a notice is tried while the mail server
// fails; River's backoff spaces them over about twenty minutes.
const NotifyAttempts = 6

// InsertOpts gives notices their own retry budget.
func (NotifyArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: NotifyAttempts} }

// notifyTimeout bounds one attempt to send; a slow mail server is tried again later.
const notifyTimeout = 2 * time.Minute

// notifyWorker builds a notice's bilingual message and sends it.
type notifyWorker struct {
	river.WorkerDefaults[NotifyArgs]
	db        *store.DB
	mailer    mail.Mailer
	publicURL string
	log       *slog.Logger
}

func newNotifyWorker(db *store.DB, cfg Config) *notifyWorker {
	return &notifyWorker{db: db, mailer: cfg.Mailer, publicURL: strings.TrimRight(cfg.PublicURL, "/"), log: cfg.Logger}
}

// Timeout bounds one attempt: a slow mail server is tried again later.
// A job for many submissions gets time for each email.
func (w *notifyWorker) Timeout(job *river.Job[NotifyArgs]) time.Duration {
	return notifyTimeout + time.Duration(len(job.Args.ids()))*5*time.Second
}

// Work sends the notice about each of the job's submissions, recording each
// email once sent, so that a retry after a failure sends only the rest. A
// send that fails is retried by River; a submission that no longer exists is
// skipped (the job is cancelled when it was the only one); an unknown event
// cancels the job; a notice nobody should receive (no approvers or admins
// yet) is logged and counts as done.
func (w *notifyWorker) Work(ctx context.Context, job *river.Job[NotifyArgs]) error {
	ids := job.Args.ids()
	langs := map[string]string{}
	for _, id := range ids {
		sent, err := w.db.NoticeSent(ctx, job.ID, id)
		if err != nil {
			return err
		}
		if sent {
			continue
		}
		err = w.send(ctx, job, id, langs)
		if opendata.ErrorCode(err) == opendata.ENOTFOUND && len(ids) > 1 {
			w.log.WarnContext(ctx, "notice for a submission that does not exist", "submission_id", id, "event", job.Args.Event)
		} else if opendata.ErrorCode(err) == opendata.ENOTFOUND {
			return river.JobCancel(err)
		} else if err != nil {
			return err
		}
		if err := w.db.MarkNoticeSent(ctx, job.ID, id); err != nil {
			return err
		}
	}
	return nil
}

// send sends the notice about one submission: one message for the
// recipients who read the service in French, French first, and one for the
// others, English first. langs holds the languages already read for the job.
func (w *notifyWorker) send(ctx context.Context, job *river.Job[NotifyArgs], id string, langs map[string]string) error {
	sub, err := w.db.Submission(ctx, id)
	if err != nil {
		return err
	}
	d, build, err := w.message(ctx, sub, job.Args)
	if err != nil {
		return err
	}
	if len(d.To) == 0 {
		w.log.WarnContext(ctx, "notice has no recipients", "submission_id", sub.ID, "event", job.Args.Event,
			"project", sub.Project)
		return nil
	}
	groups, err := w.byLanguage(ctx, d.To, langs)
	if err != nil {
		return err
	}
	for _, lang := range []string{"en", "fr"} {
		if len(groups[lang]) == 0 {
			continue
		}
		d.To, d.Lang = groups[lang], lang
		msg := build(d)
		// The same id on every attempt: a message sent again after a crash is recognisably the same one.
		msg.ID = fmt.Sprintf("notify-%d-%s-%s@%s", job.ID, sub.ID, lang, w.messageDomain())
		if err := w.mailer.Send(ctx, msg); err != nil {
			return fmt.Errorf("send %s notice: %w", job.Args.Event, err)
		}
	}
	return nil
}

// byLanguage groups to by the language each recipient reads the service in
// ("en" when they have none), reading from the store, in one query, only the
// addresses langs does not hold yet.
func (w *notifyWorker) byLanguage(ctx context.Context, to []string, langs map[string]string) (map[string][]string, error) {
	var unknown []string
	for _, a := range to {
		if _, ok := langs[opendata.NormEmail(a)]; !ok {
			unknown = append(unknown, a)
		}
	}
	if len(unknown) > 0 {
		found, err := w.db.Languages(ctx, unknown)
		if err != nil {
			return nil, err
		}
		for _, a := range unknown {
			n := opendata.NormEmail(a)
			if l, ok := found[n]; ok {
				langs[n] = l
			} else {
				langs[n] = "en"
			}
		}
	}
	groups := map[string][]string{}
	for _, a := range to {
		l := langs[opendata.NormEmail(a)]
		groups[l] = append(groups[l], a)
	}
	return groups, nil
}

// message gathers what the notice says and to whom, and the step's message constructor.
func (w *notifyWorker) message(ctx context.Context, sub *opendata.Submission, args NotifyArgs) (mail.Data, func(mail.Data) mail.Message, error) {
	d := mail.Data{
		TitleEN: sub.Fields.TitleEN, TitleFR: sub.Fields.TitleFR,
		FlowURL: w.publicURL + "/flow/" + sub.ID, QueueURL: w.publicURL + "/queue",
		Reason: args.Reason,
	}
	contact := func() {
		if c := strings.TrimSpace(sub.Fields.EmailContact); c != "" {
			d.To = []string{c}
		}
	}
	var build func(mail.Data) mail.Message
	switch args.Event {
	case opendata.NoticeReceived:
		contact()
		build = mail.SubmissionReceived
	case opendata.NoticeApprovalRequested:
		approvers, err := w.db.Approvers(ctx, sub.Project)
		if err != nil {
			return d, nil, err
		}
		d.To = withoutAddress(approvers, sub.Fields.EmailContact) // a contact never approves their own
		build = mail.ApprovalRequested
	case opendata.NoticeChangesRequested:
		contact()
		build = mail.ChangesRequested
	case opendata.NoticeApproved: // say exactly what happens next: publishing, or a dry run
		contact()
		_, _, err := w.db.TargetFor(ctx, sub.Project)
		if err != nil && opendata.ErrorCode(err) != opendata.ENOTFOUND {
			return d, nil, err
		}
		d.DryRun = err != nil
		build = mail.Approved
	case opendata.NoticeRejected:
		contact()
		build = mail.Rejected
	case opendata.NoticeWithdrawn:
		contact()
		build = mail.Withdrawn
	case opendata.NoticePublished:
		contact()
		url, err := w.datasetURL(ctx, sub)
		if err != nil {
			return d, nil, err
		}
		d.DatasetURL = url
		build = mail.Published
	case opendata.NoticePublishFailed: // the contact, and the admins who can retry
		admins, err := w.db.Admins(ctx)
		if err != nil {
			return d, nil, err
		}
		contact()
		d.To = append(d.To, withoutAddress(admins, sub.Fields.EmailContact)...)
		d.Detail, d.Reason = args.Reason, ""
		build = mail.PublishFailed
	default:
		return d, nil, river.JobCancel(fmt.Errorf("unknown notice event %q", args.Event))
	}
	return d, build, nil
}

// datasetURL is the dataset's page on the registry as its publication
// recorded it; the flow page when there is none.
func (w *notifyWorker) datasetURL(ctx context.Context, sub *opendata.Submission) (string, error) {
	p, err := w.db.Publication(ctx, sub.ID)
	switch {
	case opendata.ErrorCode(err) == opendata.ENOTFOUND:
		return w.publicURL + "/flow/" + sub.ID, nil
	case err != nil:
		return "", err
	case p.RegistryURL == "":
		return w.publicURL + "/flow/" + sub.ID, nil
	}
	return p.RegistryURL, nil
}

// messageDomain is the public host, so Message-IDs are unique to this service.
func (w *notifyWorker) messageDomain() string {
	if u, err := url.Parse(w.publicURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "datahub.invalid"
}

// withoutAddress drops addr (compared in normal form) from list.
func withoutAddress(list []string, addr string) []string {
	out := make([]string, 0, len(list))
	for _, a := range list {
		if opendata.NormEmail(a) != opendata.NormEmail(addr) {
			out = append(out, a)
		}
	}
	return out
}
