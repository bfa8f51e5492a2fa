package opendata

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EventType names what happened to a submission, for the events feed and webhooks.
type EventType string

// The event types (SPEC §2.4).
const (
	EventReceived     EventType = "submission.received"      // stored, its file check pending
	EventFileChecked  EventType = "submission.file_checked"  // a file check finished: passed, failed or refused
	EventStateChanged EventType = "submission.state_changed" // every workflow transition
)

// EventTypes lists every event type.
var EventTypes = []EventType{EventReceived, EventFileChecked, EventStateChanged}

// Event is one change to a submission as its API client learns of it. It is
// written in the transaction of the change, so an event exists if and only if
// the change does.
type Event struct {
	ID        string    `json:"id"` // EventID of its place in the project's feed: ids sort in the order written
	Type      EventType `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      EventData `json:"data"`
}

// EventData is what an event says of its submission.
type EventData struct {
	DatahubID     string          `json:"datahub_id"`
	FileID        string          `json:"file_id"`
	State         State           `json:"state"`
	PreviousState State           `json:"previous_state,omitempty"`
	Reason        string          `json:"reason,omitempty"`
	FileCheck     *EventFileCheck `json:"file_check,omitempty"`
	RegistryURL   string          `json:"registry_url,omitempty"`
	Errors        []RegistryError `json:"errors,omitempty"`
}

// EventFileCheck is a finished file check as an event tells it.
type EventFileCheck struct {
	State      CheckState `json:"state"`
	HTTPStatus int        `json:"http_status,omitempty"`
	Size       int64      `json:"size,omitempty"`
	Format     string     `json:"format,omitempty"`
	SHA256     string     `json:"sha256,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	ReasonCode string     `json:"reason_code,omitempty"`
	CheckedAt  *time.Time `json:"checked_at,omitempty"`
}

// EventID names the event at position seq of the feed: "evt_" and 16 hex
// digits, so that ids sort as the events were written.
func EventID(seq int64) string { return fmt.Sprintf("evt_%016x", seq) }

// EventSeq reads an event id (or a feed cursor) back; "" is the feed's start.
func EventSeq(id string) (int64, error) {
	if id == "" {
		return 0, nil
	}
	hex, ok := strings.CutPrefix(id, "evt_")
	n, err := strconv.ParseInt(hex, 16, 64)
	if !ok || err != nil || n < 0 || EventID(n) != id { // one spelling per event: lower-case, 16 digits
		return 0, Errorf(EINVALID, "%q is not an event id", id)
	}
	return n, nil
}

// eventEffect is the effect that writes an event.
func eventEffect(typ EventType, d EventData) Effect {
	return Effect{Kind: EffectEvent, Event: &EventDraft{Type: typ, Data: d}}
}

// EventDraft is an event before the store gives it its place in the feed.
type EventDraft struct {
	Type EventType
	Data EventData
}

// stateChanged is the event of a transition.
func stateChanged(s *Submission, t Transition) Effect {
	return eventEffect(EventStateChanged, EventData{DatahubID: s.ID, FileID: s.Fields.FileID, State: t.To,
		PreviousState: t.From, Reason: t.Reason})
}

// FileCheckedEffects are what a finished file check causes: its event. A
// check still pending (an attempt that will be retried) causes nothing.
func FileCheckedEffects(s *Submission, c *FileCheck) []Effect {
	if c.State == CheckPending {
		return nil
	}
	return []Effect{eventEffect(EventFileChecked, EventData{DatahubID: s.ID, FileID: s.Fields.FileID, State: s.State,
		FileCheck: &EventFileCheck{State: c.State, HTTPStatus: c.HTTPStatus, Size: c.Size, Format: c.Format,
			SHA256: c.SHA256, Reason: c.Reason, ReasonCode: c.ReasonCode, CheckedAt: c.CheckedAt}})}
}

// WithPublication adds what the publication says (the registry's page, or its
// refusals) to the transition's event, for published and publish_failed.
func (t *Transition) WithPublication(p *Publication) {
	for i := range t.Effects {
		if e := t.Effects[i].Event; e != nil && e.Type == EventStateChanged {
			e.Data.RegistryURL, e.Data.Errors = p.RegistryURL, p.Errors
		}
	}
}
