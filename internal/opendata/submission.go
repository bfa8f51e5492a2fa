package opendata

import "time"

// State is where a submission is in the publishing workflow.
type State string

// The workflow states of SPEC §3.
const (
	StateInPreparation    State = "in_preparation"
	StatePendingApproval  State = "pending_approval"
	StateChangesRequested State = "changes_requested"
	StateApproved         State = "approved"
	StatePublishing       State = "publishing"
	StatePublished        State = "published"
	StatePublishFailed    State = "publish_failed"
	StateRejected         State = "rejected"
	StateWithdrawn        State = "withdrawn"
	StateUnpublished      State = "unpublished"
)

// States lists every state in workflow order.
var States = []State{
	StateInPreparation, StatePendingApproval, StateChangesRequested, StateApproved,
	StatePublishing, StatePublished, StatePublishFailed, StateRejected, StateWithdrawn, StateUnpublished,
}

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	for _, st := range States {
		if s == st {
			return true
		}
	}
	return false
}

// Transition is one recorded change of state.
type Transition struct {
	From   State     `json:"from,omitempty"`
	To     State     `json:"to"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`

	Action  Action   `json:"-"` // what was done, when Apply decided it
	Effects []Effect `json:"-"` // what the step causes, enqueued with it (effectsOf)
}

// Submission is a dataset handed to the publishing workflow.
type Submission struct {
	ID        string       // the datahub_id, a random UUID
	Project   string       // the project of the API key that submitted it
	KeyPrefix string       // the public prefix of that key
	State     State        //
	Fields    Fields       //
	CreatedAt time.Time    //
	UpdatedAt time.Time    //
	History   []Transition // oldest first
	Replaces  string       // the withdrawn or rejected submission of the same file_id it replaces, if any
}

// FileIDReusable reports whether a submission in state s leaves its file_id
// to a new submission: withdrawn or rejected, it will never be published.
func (s State) FileIDReusable() bool { return s == StateWithdrawn || s == StateRejected }

// NewSubmission starts a submission in preparation and records who created it.
func NewSubmission(id, project, keyPrefix string, f Fields, now time.Time) *Submission {
	now = now.UTC()
	s := &Submission{
		ID: id, Project: project, KeyPrefix: keyPrefix, State: StateInPreparation, Fields: f,
		CreatedAt: now, UpdatedAt: now,
		History: []Transition{{To: StateInPreparation, Actor: APIActor(keyPrefix), At: now}},
	}
	s.History[0].Effects = receivedEffects(s)
	return s
}

// APIActor names an API client in the history by its key's public prefix.
func APIActor(keyPrefix string) string { return "api:" + keyPrefix }
