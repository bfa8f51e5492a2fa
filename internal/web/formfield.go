package web

import (
	"fmt"
	"strings"

	"github.com/opendata-datahub/datahub/internal/i18n"
)

// formField is one labelled control of the small forms (sign-in, admin
// pages), as the "form_field" partial draws it: label, hint, error next to
// it and the control, tied together by aria-describedby.
type formField struct {
	Lang         i18n.Lang
	ID           string // the control's id and name
	Type         string // the input's type: text unless set
	Label, Hint  string // translated; no hint, no hint paragraph
	Value        string
	Error        string // the message shown next to the control, if any
	Required     bool   // says so in the label and asks the browser
	MaxLength    int
	Autocomplete string // off unless set: these forms are not the person's profile
	InputMode    string
	Class        string
	Spellcheck   bool          // off unless set: addresses, acronyms and URLs are not prose
	Options      []fieldOption // a select instead of an input when set
}

// fieldOption is one choice of a select.
type fieldOption struct {
	Value, Label string
	Selected     bool
}

// Describedby is the ids of the hint and the error, as the control names them.
func (f *formField) Describedby() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, "error-"+f.ID)
	}
	return strings.Join(ids, " ")
}

// newFormField builds a field in a template from name/value pairs: id, type,
// label and hint (catalogue keys), value, errors (the form's inputErrors, of
// which the one for id is shown) or error (a message), required, maxlength,
// autocomplete, inputmode, class, spellcheck and options. A wrong pair fails
// the render, so that a typo in a template shows in the tests.
func newFormField(lang i18n.Lang, pairs ...any) (*formField, error) {
	if len(pairs)%2 != 0 {
		return nil, fmt.Errorf("field: odd number of arguments")
	}
	f := &formField{Lang: lang, Type: "text", Autocomplete: "off"}
	var errs inputErrors
	for i := 0; i < len(pairs); i += 2 {
		name, _ := pairs[i].(string)
		var ok bool
		switch v := pairs[i+1]; name {
		case "id":
			f.ID, ok = v.(string)
		case "type":
			f.Type, ok = v.(string)
		case "label", "hint":
			var key string
			if key, ok = v.(string); ok && name == "label" {
				f.Label = t(lang, key)
			} else if ok {
				f.Hint = t(lang, key)
			}
		case "value":
			f.Value, ok = v.(string)
		case "errors":
			errs, ok = v.(inputErrors)
		case "error":
			f.Error, ok = v.(string)
		case "required":
			f.Required, ok = v.(bool)
		case "maxlength":
			f.MaxLength, ok = v.(int)
		case "autocomplete":
			f.Autocomplete, ok = v.(string)
		case "inputmode":
			f.InputMode, ok = v.(string)
		case "class":
			f.Class, ok = v.(string)
		case "spellcheck":
			f.Spellcheck, ok = v.(bool)
		case "options":
			f.Options, ok = v.([]fieldOption)
		}
		if !ok {
			return nil, fmt.Errorf("field %q: bad argument %v = %v", f.ID, pairs[i], pairs[i+1])
		}
	}
	if e := errs.For(f.ID); e != nil {
		f.Error = e.Message
	}
	return f, nil
}
