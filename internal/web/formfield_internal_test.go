package web

import (
	"testing"

	"github.com/opendata-datahub/datahub/internal/i18n"
)

func TestFormFieldRefusesWrongArguments(t *testing.T) {
	for name, pairs := range map[string][]any{
		"odd":          {"id"},
		"unknown name": {"id", "x", "size", 3},
		"wrong type":   {"id", "x", "maxlength", "32"},
	} {
		if _, err := newFormField(i18n.EN, pairs...); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestFormFieldDescribedby(t *testing.T) {
	errs := inputErrors{{"other", "no"}, {"x", "Bad."}}
	for _, tc := range []struct {
		pairs []any
		want  string
	}{
		{[]any{"id", "x"}, ""},
		{[]any{"id", "x", "hint", "form.required"}, "x-hint"},
		{[]any{"id", "x", "errors", errs}, "error-x"},
		{[]any{"id", "x", "hint", "form.required", "error", "Bad."}, "x-hint error-x"},
	} {
		f, err := newFormField(i18n.EN, tc.pairs...)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Describedby(); got != tc.want {
			t.Errorf("%v: Describedby() = %q, want %q", tc.pairs, got, tc.want)
		}
	}
}
