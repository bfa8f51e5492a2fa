package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/opendata-datahub/datahub/internal/auth"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

// WebhookView is a key's endpoint as the API shows it; Secret only on the
// answer that made it (a new endpoint, or a rotation).
type WebhookView struct {
	URL            string     `json:"url"`
	Status         string     `json:"status"` // active, failing or disabled
	Secret         string     `json:"secret,omitempty"`
	FailingSince   *time.Time `json:"failing_since,omitempty"`
	DisabledAt     *time.Time `json:"disabled_at,omitempty"`
	OldSecretUntil *time.Time `json:"old_secret_until,omitempty"`
}

// DeliveryView is one delivery of an event to the key's endpoint.
type DeliveryView struct {
	ID         string             `json:"id"`
	EventID    string             `json:"event_id"`
	EventType  opendata.EventType `json:"event_type"`
	Outcome    string             `json:"outcome"` // pending, delivered or failed
	Attempts   int                `json:"attempts"`
	LastStatus int                `json:"last_status,omitempty"`
	LastError  string             `json:"last_error,omitempty"`
	LastAt     *time.Time         `json:"last_attempt_at,omitempty"`
	NextAt     *time.Time         `json:"next_attempt_at,omitempty"`
	CreatedAt  time.Time          `json:"created_at"`
}

func webhookView(w *opendata.Webhook, secret string) WebhookView {
	return WebhookView{URL: w.URL, Status: w.Status(), Secret: secret, FailingSince: w.FailingSince,
		DisabledAt: w.DisabledAt, OldSecretUntil: w.OldSecretUntil}
}

// putWebhook handles PUT /api/opendata/webhook {"url": ...}: the key's
// endpoint, created (201, with its secret, shown once) or changed (200).
func (s *Server) putWebhook(w http.ResponseWriter, r *http.Request, c *auth.Client) {
	body, ok := s.readJSON(w, r)
	if !ok {
		return
	}
	var in struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		s.sendInvalid(w, r, "bad_request", "", opendata.CodeMalformedJSON, "field.malformed_json")
		return
	}
	if err := opendata.CheckWebhookURL(in.URL); err != nil {
		s.sendInvalid(w, r, "bad_request", "url", opendata.CodeInvalidFormat, "field.invalid_format.url", "field", "url")
		return
	}
	secret, err := s.cfg.Webhooks.Set(r.Context(), c.Prefix, in.URL, time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showWebhook(w, r, c, secret)
}

// rotateWebhook handles POST /api/opendata/webhook/rotate: a new secret, shown
// once; the old one signs too for a day.
func (s *Server) rotateWebhook(w http.ResponseWriter, r *http.Request, c *auth.Client) {
	secret, err := s.cfg.Webhooks.Rotate(r.Context(), c.Prefix, time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showWebhook(w, r, c, secret)
}

// getWebhook handles GET /api/opendata/webhook.
func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request, c *auth.Client) {
	s.showWebhook(w, r, c, "")
}

func (s *Server) showWebhook(w http.ResponseWriter, r *http.Request, c *auth.Client, secret string) {
	hook, err := s.db.Webhook(r.Context(), c.Prefix)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if secret != "" && r.Method == http.MethodPut {
		status = http.StatusCreated
	}
	writeJSON(w, status, webhookView(hook, secret))
}

// deleteWebhook handles DELETE /api/opendata/webhook.
func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, c *auth.Client) {
	if err := s.db.RemoveWebhook(r.Context(), c.Prefix); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// listDeliveries handles GET /api/opendata/webhook/deliveries?limit=.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, c *auth.Client) {
	limit := defaultPageSize
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			s.sendInvalid(w, r, "bad_query", "limit", opendata.CodeInvalidFormat, "query.limit", "max", strconv.Itoa(maxPageSize))
			return
		}
		limit = n
	}
	list, err := s.db.Deliveries(r.Context(), c.Prefix, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := struct {
		Deliveries []DeliveryView `json:"deliveries"`
	}{Deliveries: make([]DeliveryView, 0, len(list))}
	for _, d := range list {
		out.Deliveries = append(out.Deliveries, DeliveryView{ID: strconv.FormatInt(d.ID, 10), EventID: d.EventID,
			EventType: d.EventType, Outcome: d.Outcome, Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError,
			LastAt: d.LastAt, NextAt: d.NextAt, CreatedAt: d.CreatedAt})
	}
	writeJSON(w, http.StatusOK, out)
}

// retryDelivery handles POST /api/opendata/webhook/deliveries/{id}/retry:
// the delivery's event is sent again, as a new delivery (202).
func (s *Server) retryDelivery(w http.ResponseWriter, r *http.Request, c *auth.Client) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeProblem(w, r, http.StatusNotFound, "not_found", nil)
		return
	}
	if err := s.db.RetryDelivery(r.Context(), c.Prefix, id); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}
