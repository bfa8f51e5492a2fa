package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/opendata-datahub/datahub/internal/fetch"
	"github.com/opendata-datahub/datahub/internal/mail"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/secret"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/webhook"
)

// WebhookArgs asks for events to be delivered to one key's endpoint: those of
// one group commit share a job (one River row, as notices do), and each has a
// delivery of its own (webhook_deliveries), sent, recorded and retried on its own.
type WebhookArgs struct {
	Events   []int64 `json:"events"`   // the events' places in the feed, in the order written
	Endpoint string  `json:"endpoint"` // the key prefix whose endpoint receives it
}

// Kind names the job kind.
func (WebhookArgs) Kind() string { return "webhook" }

// WebhookAttempts is how many times a delivery is tried: about 5 s, 30 s,
// 2 min, 10 min, 30 min, 2 h and 6 h apart.
const WebhookAttempts = 8

// WebhookQueue is the queue deliveries run on, with workers of their own, so
// that slow file checks or registry calls never hold up telling the clients.
const WebhookQueue = "webhooks"

// InsertOpts gives deliveries their own queue and retry budget.
func (WebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: WebhookAttempts, Queue: WebhookQueue}
}

func defaultWebhookDelay(attempt int) time.Duration {
	delays := []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute,
		30 * time.Minute, 2 * time.Hour, 6 * time.Hour}
	return delays[min(max(attempt, 1), len(delays))-1]
}

// webhookTimeout is how long an endpoint has to answer: any 2xx within it is
// success; of its answer, at most webhookAnswerBytes are read.
const (
	webhookTimeout     = 15 * time.Second
	webhookAnswerBytes = 64 << 10
)

// webhookWorker POSTs an event to its endpoint, signed per Standard Webhooks.
// The body is the same bytes at every attempt, so a receiver never sees two
// bodies under one webhook-id.
type webhookWorker struct {
	river.WorkerDefaults[WebhookArgs]
	db     *store.DB
	keys   *secret.Keyring
	client *http.Client // dials through the file check's address policy; follows no redirect
	mailer mail.Mailer
	delay  func(attempt int) time.Duration
	now    func() time.Time
}

// NextRetry spaces the attempts.
func (w *webhookWorker) NextRetry(job *river.Job[WebhookArgs]) time.Time {
	return time.Now().Add(w.delay(job.Attempt))
}

// mergeKey lets the deliveries of one group commit to one endpoint share a job.
func (a WebhookArgs) mergeKey() string { return a.Endpoint }

// merge adds j's event to the job.
func (a WebhookArgs) merge(j store.Job) merger {
	a.Events = append(a.Events, j.Event)
	return a
}

// Timeout bounds an attempt: the endpoint's time for each event (an attempt
// stops at the first failure) and the saving of the outcomes.
func (w *webhookWorker) Timeout(job *river.Job[WebhookArgs]) time.Duration {
	return min(time.Duration(max(len(job.Args.Events), 1))*webhookTimeout, 10*time.Minute) + 30*time.Second
}

// Work makes one attempt of each delivery still pending, in the order the
// events were written, and records each. After a failure the endpoint is not
// called again in this attempt: the rest are recorded as failed with it, and
// River retries the job, which sends only what is still pending.
func (w *webhookWorker) Work(ctx context.Context, job *river.Job[WebhookArgs]) error {
	ds, err := w.db.DeliveriesOfJob(ctx, job.ID)
	if err != nil {
		return err
	} else if len(ds) == 0 {
		return river.JobCancel(fmt.Errorf("job %d has no deliveries", job.ID))
	}
	hook, current, old, err := w.db.WebhookSecrets(ctx, job.Args.Endpoint)
	if opendata.ErrorCode(err) == opendata.ENOTFOUND || (err == nil && hook.DisabledAt != nil) {
		gone := errors.New("the endpoint was removed or disabled")
		return w.record(ctx, job, ds, gone, true, river.JobCancel(gone))
	} else if err != nil {
		return err
	}
	secrets, err := w.open(job.Args.Endpoint, current, old)
	if err != nil {
		return err
	}
	last := job.Attempt >= job.MaxAttempts
	var failed error
	for i := range ds {
		d := &ds[i]
		if d.Outcome != opendata.DeliveryPending {
			continue
		}
		at := w.now().UTC()
		d.Attempts, d.LastAt, d.NextAt = job.Attempt, &at, nil
		var sendErr error
		if failed == nil {
			d.LastStatus, sendErr = w.deliver(ctx, hook.URL, d, at, secrets)
			failed = sendErr
		} else {
			d.LastStatus, sendErr = 0, fmt.Errorf("not sent: the endpoint failed earlier in this attempt (%w)", failed)
		}
		if sendErr == nil {
			d.Outcome, d.LastError, d.DoneAt = opendata.DeliveryDelivered, "", &at
		} else {
			w.failed(d, sendErr, at, last)
		}
		if err := w.save(ctx, job, *d); err != nil {
			return err
		}
	}
	if failed != nil && !last {
		return failed
	}
	return nil
}

// deliver sends d's event.
func (w *webhookWorker) deliver(ctx context.Context, url string, d *opendata.Delivery, at time.Time, secrets []string) (int, error) {
	seq, err := opendata.EventSeq(d.EventID)
	if err != nil {
		return 0, err
	}
	ev, _, err := w.db.Event(ctx, seq)
	if err != nil {
		return 0, err
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return 0, err
	}
	return w.post(ctx, url, ev.ID, at, body, secrets)
}

// failed marks d as failed at this attempt: for good on the last one, else due again after the delay.
func (w *webhookWorker) failed(d *opendata.Delivery, err error, at time.Time, last bool) {
	d.LastError = err.Error()
	if last {
		d.Outcome, d.DoneAt = opendata.DeliveryFailed, &at
		return
	}
	next := at.Add(w.delay(d.Attempts))
	d.NextAt = &next
}

// record marks every pending delivery of the job with err (for good when
// final) and returns then.
func (w *webhookWorker) record(ctx context.Context, job *river.Job[WebhookArgs], ds []opendata.Delivery, err error, final bool,
	then error) error {
	at := w.now().UTC()
	for _, d := range ds {
		if d.Outcome != opendata.DeliveryPending {
			continue
		}
		d.Attempts, d.LastAt = job.Attempt, &at
		w.failed(&d, err, at, final)
		if err := w.save(ctx, job, d); err != nil {
			return err
		}
	}
	return then
}

// open unseals the endpoint's secrets: the current one, and one being rotated out.
func (w *webhookWorker) open(prefix string, sealed ...string) ([]string, error) {
	var out []string
	for _, s := range sealed {
		if s == "" {
			continue
		}
		if w.keys == nil {
			return nil, fmt.Errorf("webhook %s: no secret key to open its signing secret", prefix)
		}
		b, err := w.keys.Open(s, webhook.SecretAAD(prefix))
		if err != nil {
			return nil, fmt.Errorf("webhook %s: %w", prefix, err)
		}
		out = append(out, string(b))
	}
	return out, nil
}

// post sends the event; a non-2xx answer, a timeout or a refused address is an error.
func (w *webhookWorker) post(ctx context.Context, url, id string, at time.Time, body []byte, secrets []string) (int, error) {
	sig, err := webhook.Signature(id, at, body, secrets...)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "DataHub-Webhooks/1")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	res, err := w.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post: %w", err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, webhookAnswerBytes)) // read a little, so the connection can be reused
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("the endpoint answered %d", res.StatusCode)
	}
	return res.StatusCode, nil
}

// save records an attempt of a delivery, and emails the key's contact when
// the endpoint is now disabled.
func (w *webhookWorker) save(ctx context.Context, job *river.Job[WebhookArgs], d opendata.Delivery) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	disabled, err := w.db.RecordDelivery(sctx, d)
	if err != nil {
		return err
	}
	if disabled {
		return w.tellDisabled(sctx, job.Args.Endpoint)
	}
	return nil
}

func (w *webhookWorker) tellDisabled(ctx context.Context, prefix string) error {
	keys, err := w.db.Keys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.Prefix == prefix && k.Contact != "" {
			langs, err := w.db.Languages(ctx, []string{k.Contact})
			if err != nil {
				return err
			}
			return w.mailer.Send(ctx, mail.WebhookDisabled(mail.Data{To: []string{k.Contact}, Detail: prefix,
				Lang: langs[opendata.NormEmail(k.Contact)]}))
		}
	}
	return nil
}

// NewWebhookClient is the client deliveries use: the address policy p at
// every dial, no redirects, the endpoint's answer capped. Zero Timeout and
// MaxResponseBytes in opts take the webhook's: 15 s and 64 KiB.
func NewWebhookClient(p fetch.Policy, opts fetch.HTTPOptions) *http.Client {
	if opts.Timeout <= 0 || opts.Timeout > webhookTimeout {
		opts.Timeout = webhookTimeout
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = webhookAnswerBytes
	}
	return fetch.NewHTTPClient(p, opts)
}
