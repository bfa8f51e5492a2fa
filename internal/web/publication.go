package web

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

// publicationView is a submission's publication in words (SPEC §5).
type publicationView struct {
	DryRun        bool
	RegistryURL   string
	Attempts      int
	LastAttemptAt *time.Time
	LastError     string
	Errors        []registryErrorView
	Payload       string // the JSON, indented for people
	PublishedAt   *time.Time
	UnpublishedAt *time.Time
}

// registryErrorView is one of the registry's refusals, with our field's label where it has one.
type registryErrorView struct {
	Field, Label, Message string
}

func newPublicationView(lang i18n.Lang, p *opendata.Publication) *publicationView {
	if p == nil {
		return nil
	}
	v := &publicationView{DryRun: p.DryRun, RegistryURL: p.RegistryURL, Attempts: p.Attempts,
		LastAttemptAt: p.LastAttemptAt, LastError: p.LastError, PublishedAt: p.PublishedAt, UnpublishedAt: p.UnpublishedAt}
	for _, e := range p.Errors {
		label := e.Field
		if key := "editor.field." + e.Field; i18n.Has(lang, key) {
			label = t(lang, key)
		} else if key := "publication.field." + e.Field; i18n.Has(lang, key) {
			label = t(lang, key)
		}
		v.Errors = append(v.Errors, registryErrorView{Field: e.Field, Label: label, Message: e.Message})
	}
	var out bytes.Buffer
	if json.Indent(&out, p.Payload, "", "  ") == nil {
		v.Payload = out.String()
	}
	return v
}
