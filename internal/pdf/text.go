package pdf

import "github.com/opendata-datahub/datahub/internal/i18n"

// label is a text of the form in both official languages; the form prints both.
type label struct{ en, fr string }

// text is the catalogue's message for key in both languages, with {name}
// placeholders filled from name, value pairs. The catalogue holds the form's
// wording once, for the web editor and the signed PDF alike.
func text(key string, pairs ...string) label {
	return label{i18n.T(i18n.EN, key, pairs...), i18n.T(i18n.FR, key, pairs...)}
}

// fieldLabel names a field, criterion or choice of the approval form, by its
// opendata.Form* or opendata.Type* name, as the web editor does.
func fieldLabel(name string) label { return text("editor.approval." + name) }

// typeLabel names a type of data.
func typeLabel(t string) label { return text("editor.approval.type." + t) }
