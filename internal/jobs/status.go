package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/opendata-datahub/datahub/internal/store"
)

// OpenStates returns the states `datahub jobs list` shows by default: jobs
// waiting, running, retrying or given up.
func OpenStates() []string {
	return []string{string(rivertype.JobStateAvailable), string(rivertype.JobStateScheduled),
		string(rivertype.JobStatePending), string(rivertype.JobStateRunning),
		string(rivertype.JobStateRetryable), string(rivertype.JobStateDiscarded)}
}

// States returns every job state.
func States() []string {
	var out []string
	for _, s := range rivertype.JobStates() {
		out = append(out, string(s))
	}
	return out
}

// Statuses returns the jobs with these ids that River still keeps, newest
// first (finished jobs are deleted after a day, discarded ones after a week).
func (q *Queue) Statuses(ctx context.Context, ids []int64) ([]store.JobStatus, error) {
	if len(ids) == 0 {
		return []store.JobStatus{}, nil
	}
	if len(ids) <= fewJobs {
		return q.get(ctx, ids)
	}
	params := river.NewJobListParams().IDs(ids...).OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(len(ids))
	return q.list(ctx, params)
}

// fewJobs is how many jobs Statuses reads one by one: River's read of one
// job is a prepared statement, its list a query built for each call, which
// costs a status lookup more than the rest of its reads together.
const fewJobs = 4

// get reads the jobs one by one, newest first, leaving out those River no longer keeps.
func (q *Queue) get(ctx context.Context, ids []int64) ([]store.JobStatus, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	slices.Reverse(ids)
	out := make([]store.JobStatus, 0, len(ids))
	for _, id := range slices.Compact(ids) {
		j, err := q.reader.JobGet(ctx, id)
		if errors.Is(err, river.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("get job %d: %w", id, err)
		}
		out = append(out, status(j))
	}
	return out, nil
}

// List returns up to limit jobs in the given states, newest first.
func (q *Queue) List(ctx context.Context, states []string, limit int) ([]store.JobStatus, error) {
	js := make([]rivertype.JobState, 0, len(states))
	for _, s := range states {
		if !slices.Contains(rivertype.JobStates(), rivertype.JobState(s)) {
			return nil, fmt.Errorf("list jobs: unknown state %q", s)
		}
		js = append(js, rivertype.JobState(s))
	}
	params := river.NewJobListParams().States(js...).OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit)
	return q.list(ctx, params)
}

func (q *Queue) list(ctx context.Context, params *river.JobListParams) ([]store.JobStatus, error) {
	res, err := q.reader.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	out := make([]store.JobStatus, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		out = append(out, status(j))
	}
	return out, nil
}

func status(j *rivertype.JobRow) store.JobStatus {
	s := store.JobStatus{ID: j.ID, Kind: j.Kind, State: string(j.State), Attempt: j.Attempt, MaxAttempts: j.MaxAttempts,
		ScheduledAt: j.ScheduledAt.UTC()}
	if n := len(j.Errors); n > 0 {
		s.LastError = j.Errors[n-1].Error
	}
	var args struct {
		SubmissionID  string   `json:"submission_id"`
		SubmissionIDs []string `json:"submission_ids"` // a notice about several submissions
	}
	if json.Unmarshal(j.EncodedArgs, &args) == nil {
		s.SubmissionID = args.SubmissionID
		if n := len(args.SubmissionIDs); n > 0 {
			s.SubmissionID += fmt.Sprintf(" (and %d more)", n)
		}
	}
	return s
}
