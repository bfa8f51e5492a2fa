package opendata

import (
	"net/url"
	"time"
)

// Webhook is an API key's endpoint, where every event of its project's
// submissions is POSTed, signed per Standard Webhooks (SPEC §2.4).
type Webhook struct {
	KeyPrefix      string
	URL            string
	OldSecretUntil *time.Time // after a rotation, the old secret signs too until then
	FailingSince   *time.Time // the first failed delivery since the last success
	DisabledAt     *time.Time // after failing every delivery for WebhookDisableAfter
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// The webhook rules of SPEC §2.4.
const (
	WebhookDisableAfter = 72 * time.Hour // an endpoint failing every delivery this long is disabled
	WebhookOldSecretFor = 24 * time.Hour // after a rotation the old secret still signs this long
	MaxWebhookURL       = 500
)

// Status says whether the endpoint receives events.
func (w Webhook) Status() string {
	switch {
	case w.DisabledAt != nil:
		return "disabled"
	case w.FailingSince != nil:
		return "failing"
	}
	return "active"
}

// CheckWebhookURL says what is wrong with a callback URL as given, or nil:
// an absolute http(s) URL without credentials or fragment, at most
// MaxWebhookURL characters. Where it may point is checked at every delivery,
// when it is dialled (the file check's address policy).
func CheckWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return Errorf(EINVALID, "the webhook URL must be an absolute http(s) URL")
	case u.User != nil:
		return Errorf(EINVALID, "the webhook URL must not carry a user name or password")
	case u.Fragment != "" || len(raw) > MaxWebhookURL:
		return Errorf(EINVALID, "the webhook URL must have no fragment and at most %d characters", MaxWebhookURL)
	}
	return nil
}

// Delivery is one delivery of one event to one endpoint.
type Delivery struct {
	ID         int64
	EventID    string
	EventType  EventType
	KeyPrefix  string
	Attempts   int
	LastStatus int    // the endpoint's HTTP status at the last attempt; 0 when it did not answer
	LastError  string // why the last attempt failed
	LastAt     *time.Time
	NextAt     *time.Time // when the next attempt is due, while pending
	DoneAt     *time.Time
	Outcome    string // pending, delivered or failed
	CreatedAt  time.Time
}

// The outcomes of a delivery.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)
