package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/opendata-datahub/datahub/client"
	"github.com/opendata-datahub/datahub/internal/i18n"
	"github.com/opendata-datahub/datahub/internal/opendata"
)

// localRules are the server's validation rules as far as a client can know
// them: this version's vocabulary and today in the default time zone (the
// server's allowed email domains are its own).
func localRules() (opendata.Rules, error) {
	vocab, err := opendata.LoadVocabulary()
	if err != nil {
		return opendata.Rules{}, err
	}
	loc, err := time.LoadLocation("America/Toronto")
	if err != nil {
		return opendata.Rules{}, fmt.Errorf("time zone: %w", err)
	}
	return opendata.Rules{Vocabulary: vocab, Today: time.Now().In(loc).Format(time.DateOnly)}, nil
}

// validateHere checks a row as the server's submit would, for servers without
// POST /api/opendata/validate: the same decoding and rules, then the file_id
// looked up among the project's submissions. It answers like the server would.
func (s *submitter) validateHere(ctx context.Context, r inputRow) error {
	body, err := json.Marshal(r.fields)
	if err != nil {
		return fmt.Errorf("encode row: %w", err)
	}
	raw, errs := opendata.DecodeJSON(body)
	if len(errs) != 1 || errs[0].Code != opendata.CodeMalformedJSON {
		_, verrs := s.rules.Validate(raw)
		errs = append(verrs, errs...) // in field order, then unknown fields, as the server reports them
	}
	p := &client.Problem{Status: http.StatusBadRequest, Code: "invalid"}
	idOK := r.fileID != ""
	for _, fe := range errs {
		p.Errors = append(p.Errors, client.FieldError{Field: fe.Field, Code: fe.Code,
			Message: i18n.FieldError(s.lang, fe), Allowed: fe.Allowed, Suggestion: fe.Suggestion})
		idOK = idOK && fe.Field != opendata.FieldFileID
	}
	if idOK {
		sub, err := s.c.ByFileID(ctx, r.fileID)
		if err != nil {
			return err
		}
		if sub != nil {
			fe := opendata.FieldError{Field: opendata.FieldFileID, Code: opendata.CodeDuplicate, Value: sub.DatahubID}
			dup := client.FieldError{Field: fe.Field, Code: fe.Code, Message: i18n.FieldError(s.lang, fe),
				ExistingID: sub.DatahubID, FlowURL: sub.FlowURL}
			p.Errors = append([]client.FieldError{dup}, p.Errors...)
			p.ExistingID, p.FlowURL = sub.DatahubID, sub.FlowURL
		}
	}
	if len(p.Errors) == 0 {
		return nil
	}
	return p
}
