package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/opendata-datahub/datahub/internal/ckan"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/publish"
	"github.com/opendata-datahub/datahub/internal/store"
)

// PublishArgs asks for a submission to be put on its project's registry
// (SPEC §5): the effect of approval, of an admin's retry and of publishing again.
type PublishArgs struct {
	SubmissionID string `json:"submission_id"`
}

// Kind names the job kind.
func (PublishArgs) Kind() string { return string(opendata.EffectPublish) }

// PublishAttempts is how many times the registry is tried while it fails in a
// way that may pass (5xx, proxy pages, timeouts, dropped connections): about
// 10 s, 1 min, 5 min, 30 min and 2 h apart.
const PublishAttempts = 6

// InsertOpts gives publishing its own retry budget.
func (PublishArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: PublishAttempts}
}

// UnpublishArgs asks for a submission's dataset to be deleted on the registry.
type UnpublishArgs struct {
	SubmissionID string `json:"submission_id"`
}

// Kind names the job kind.
func (UnpublishArgs) Kind() string { return string(opendata.EffectUnpublish) }

// InsertOpts gives unpublishing the same retry budget as publishing.
func (UnpublishArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: PublishAttempts}
}

// defaultPublishDelay spaces the attempts at about 10 s, 1 min, 5 min, 30 min and 2 h.
func defaultPublishDelay(attempt int) time.Duration {
	delays := []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}
	return delays[min(max(attempt, 1), len(delays))-1]
}

// registryTimeout bounds one attempt's calls to the registry.
const registryTimeout = 2 * time.Minute

// publishMetrics counts outcomes and times the registry work.
type publishMetrics struct {
	outcomes *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newPublishMetrics(reg prometheus.Registerer) *publishMetrics {
	m := &publishMetrics{
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "datahub_publish_outcomes_total",
			Help: "Publishing attempts by operation (publish, unpublish) and outcome (published, dry_run, retry, failed, unpublished)."},
			[]string{"operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "datahub_registry_call_seconds",
			Help:    "Time of one attempt's registry calls, by operation.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 10)}, []string{"operation"}),
	}
	if reg != nil {
		m.outcomes = registered(reg, m.outcomes)
		m.duration = registered(reg, m.duration)
	}
	return m
}

// registered registers c, or returns the collector already registered under
// its name: two queues of one process (replicas in tests and benchmarks, a
// restarted queue) share the counters instead of panicking.
func registered[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var dup prometheus.AlreadyRegisteredError
		if errors.As(err, &dup) {
			if prev, ok := dup.ExistingCollector.(C); ok {
				return prev
			}
		}
		panic(err) // a name taken by another kind of metric is a programming error
	}
	return c
}

// publishWorker moves an approved submission through publishing to the
// registry: approved → publishing → published, or publish_failed with the
// registry's refusals field by field. With no target it records the payload
// it would send (dry run) and leaves the submission approved.
type publishWorker struct {
	river.WorkerDefaults[PublishArgs]
	registryWork
}

// registryWork is what the publish and unpublish workers share.
type registryWork struct {
	db       *store.DB
	registry publish.Registry
	delay    func(attempt int) time.Duration // after a failed attempt
	metrics  *publishMetrics
	now      func() time.Time
	log      *slog.Logger
}

// outcome counts and logs what an attempt came to: one line per attempt, the
// registry's words included (a token never reaches them: see ckan.Client).
func (w *registryWork) outcome(ctx context.Context, op, outcome string, p *opendata.Publication) {
	w.metrics.outcomes.WithLabelValues(op, outcome).Inc()
	level := slog.LevelInfo
	switch outcome {
	case "retry":
		level = slog.LevelWarn
	case "failed":
		level = slog.LevelError
	}
	w.log.Log(ctx, level, "registry "+op+": "+outcome, "submission_id", p.SubmissionID, "target", p.Target,
		"attempts", p.Attempts, "error", p.LastError)
}

// NextRetry spaces the attempts (defaultPublishDelay).
func (w *publishWorker) NextRetry(job *river.Job[PublishArgs]) time.Time {
	return time.Now().Add(w.delay(job.Attempt))
}

// Timeout outlasts one attempt's registry calls and the saving of its outcome.
func (w *publishWorker) Timeout(*river.Job[PublishArgs]) time.Duration {
	return registryTimeout + time.Minute
}

var systemActor = opendata.Actor{Kind: opendata.ActorSystem}

// Work publishes the submission once, recording the attempt; a failure that
// may pass is returned for River to retry until the last attempt, when it,
// like any final refusal, moves the submission to publish_failed.
func (w *publishWorker) Work(ctx context.Context, job *river.Job[PublishArgs]) error {
	sub, err := w.db.Submission(ctx, job.Args.SubmissionID)
	if opendata.ErrorCode(err) == opendata.ENOTFOUND {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	target, sealed, err := w.db.TargetFor(ctx, sub.Project)
	if err != nil && opendata.ErrorCode(err) != opendata.ENOTFOUND {
		return err
	}
	pub, err := w.publication(ctx, sub.ID)
	if err != nil {
		return err
	}
	switch sub.State {
	case opendata.StateApproved:
		if target == nil {
			return w.dryRun(ctx, sub, pub)
		}
		if err := w.move(ctx, sub, opendata.ActionStartPublishing, ""); err != nil {
			return err
		}
	case opendata.StatePublishing:
	default: // withdrawn meanwhile, or already done
		return river.JobCancel(fmt.Errorf("submission %s is %s: nothing to publish", sub.ID, sub.State))
	}
	pub.Attempts++
	at := w.now().UTC()
	pub.LastAttemptAt, pub.DryRun, pub.RegistryID = &at, false, sub.ID
	if target == nil {
		pub.LastError = "no publishing target for project " + sub.Project + " and no default"
		return w.fail(ctx, sub, pub)
	}
	pub.Target = target.Project
	check, err := w.db.FileCheck(ctx, sub.ID)
	if err != nil && opendata.ErrorCode(err) != opendata.ENOTFOUND {
		return err
	}
	payload := publish.Payload(sub, target.Organization, check)
	pub.Payload = payload.JSON()
	client, err := w.registry.Client(target, sealed)
	if err != nil {
		pub.LastError = err.Error()
		return w.fail(ctx, sub, pub)
	}
	callCtx, cancel := context.WithTimeout(ctx, registryTimeout)
	start := time.Now()
	_, err = client.Publish(callCtx, payload)
	cancel()
	w.metrics.duration.WithLabelValues("publish").Observe(time.Since(start).Seconds())
	switch {
	case err == nil:
		pub.RegistryURL = ckan.RegistryURL(target.RegistryURL, sub.ID)
		pub.PublishedAt, pub.UnpublishedAt, pub.LastError, pub.Errors = &at, nil, "", nil
		step, err := sub.Apply(systemActor, opendata.ActionPublishSucceeded, "", opendata.Checklist{}, at)
		if err != nil {
			return err
		}
		step.WithPublication(pub)
		w.outcome(ctx, "publish", "published", pub)
		return w.db.RecordPublication(ctx, pub, &step)
	case ckan.IsRetryable(err) && job.Attempt < job.MaxAttempts && ctx.Err() == nil:
		pub.LastError, pub.Errors = err.Error(), nil
		if err := w.db.RecordPublication(ctx, pub, nil); err != nil {
			return err
		}
		w.outcome(ctx, "publish", "retry", pub)
		return err
	case ctx.Err() != nil:
		// Stopped (a shutdown) or out of time: not the registry's refusal, so no
		// publish_failed; River runs the job again and the state stays publishing.
		return err
	}
	pub.LastError, pub.Errors = err.Error(), registryErrors(ckan.FieldErrors(err))
	return w.fail(ctx, sub, pub)
}

// publication returns the submission's publication so far, or a new one.
func (w *registryWork) publication(ctx context.Context, id string) (*opendata.Publication, error) {
	pub, err := w.db.Publication(ctx, id)
	if opendata.ErrorCode(err) == opendata.ENOTFOUND {
		return &opendata.Publication{SubmissionID: id}, nil
	}
	return pub, err
}

// dryRun records the payload that would be sent, sends nothing, and leaves
// the submission approved until an admin publishes it once a target exists.
func (w *publishWorker) dryRun(ctx context.Context, sub *opendata.Submission, pub *opendata.Publication) error {
	check, err := w.db.FileCheck(ctx, sub.ID)
	if err != nil && opendata.ErrorCode(err) != opendata.ENOTFOUND {
		return err
	}
	pub.DryRun, pub.Target, pub.RegistryID, pub.RegistryURL = true, "", "", ""
	pub.Payload = publish.Payload(sub, "", check).JSON()
	w.outcome(ctx, "publish", "dry_run", pub)
	return w.db.RecordPublication(ctx, pub, nil)
}

// fail records a final failure and moves the submission to publish_failed.
func (w *publishWorker) fail(ctx context.Context, sub *opendata.Submission, pub *opendata.Publication) error {
	step, err := sub.Apply(systemActor, opendata.ActionPublishFailed, pub.FailureReason(), opendata.Checklist{}, w.now())
	if err != nil {
		return err
	}
	step.WithPublication(pub)
	w.outcome(ctx, "publish", "failed", pub)
	return w.db.RecordPublication(ctx, pub, &step)
}

// move takes a step of the service's own on the submission; a submission
// that moved meanwhile (withdrawn, say) ends the job.
func (w *publishWorker) move(ctx context.Context, sub *opendata.Submission, act opendata.Action, reason string) error {
	step, err := sub.Apply(systemActor, act, reason, opendata.Checklist{}, w.now())
	if err != nil {
		return river.JobCancel(err)
	}
	err = w.db.ApplyTransition(ctx, sub.ID, step)
	if opendata.ErrorCode(err) == opendata.ECONFLICT {
		return river.JobCancel(err)
	}
	return err
}

func registryErrors(in []ckan.FieldError) []opendata.RegistryError {
	if len(in) == 0 {
		return nil
	}
	out := make([]opendata.RegistryError, len(in))
	for i, e := range in {
		out[i] = opendata.RegistryError{Field: e.Field, Message: e.Message}
	}
	return out
}

// unpublishWorker deletes an unpublished submission's dataset on the
// registry, retrying as publishing does; the outcome is kept on its publication.
type unpublishWorker struct {
	river.WorkerDefaults[UnpublishArgs]
	registryWork
}

// NextRetry spaces the attempts (defaultPublishDelay).
func (w *unpublishWorker) NextRetry(job *river.Job[UnpublishArgs]) time.Time {
	return time.Now().Add(w.delay(job.Attempt))
}

// Work deletes the dataset; one already gone counts as deleted.
func (w *unpublishWorker) Work(ctx context.Context, job *river.Job[UnpublishArgs]) error {
	sub, err := w.db.Submission(ctx, job.Args.SubmissionID)
	if opendata.ErrorCode(err) == opendata.ENOTFOUND {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	if sub.State != opendata.StateUnpublished {
		return river.JobCancel(fmt.Errorf("submission %s is %s: nothing to unpublish", sub.ID, sub.State))
	}
	pub, err := w.publication(ctx, sub.ID)
	if err != nil {
		return err
	}
	at := w.now().UTC()
	pub.Attempts++
	pub.LastAttemptAt = &at
	target, sealed, err := w.db.TargetFor(ctx, sub.Project)
	if err == nil {
		var client *ckan.Client
		if client, err = w.registry.Client(target, sealed); err == nil {
			callCtx, cancel := context.WithTimeout(ctx, registryTimeout)
			start := time.Now()
			err = client.Unpublish(callCtx, sub.ID)
			cancel()
			w.metrics.duration.WithLabelValues("unpublish").Observe(time.Since(start).Seconds())
		}
	}
	if err == nil {
		pub.UnpublishedAt, pub.LastError, pub.Errors = &at, "", nil
		w.outcome(ctx, "unpublish", "unpublished", pub)
		return w.db.RecordPublication(ctx, pub, nil)
	}
	pub.LastError = "unpublish: " + err.Error()
	if rerr := w.db.RecordPublication(ctx, pub, nil); rerr != nil {
		return errors.Join(err, rerr)
	}
	if ckan.IsRetryable(err) && job.Attempt < job.MaxAttempts {
		w.outcome(ctx, "unpublish", "retry", pub)
		return err
	}
	w.outcome(ctx, "unpublish", "failed", pub)
	return river.JobCancel(err) // kept on the publication for an admin to see
}
