package i18n

import (
	"strconv"
	"strings"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// FieldError renders one validation problem in lang.
func FieldError(lang Lang, fe opendata.FieldError) string {
	key := "field." + fe.Code
	switch {
	case fe.Code == opendata.CodeInvalidFormat && fe.Reason == opendata.ReasonType && opendata.IsListField(fe.Field):
		key += ".type_list"
	case fe.Code == opendata.CodeInvalidFormat:
		key += "." + fe.Reason
	}
	if fe.Value != "" && (fe.Code == opendata.CodeTooLong || fe.Code == opendata.CodeTooShort ||
		fe.Code == opendata.CodeInvalidFormat) {
		key += ".item" // a keyword, named by its value
	}
	msg := T(lang, key,
		"field", fe.Field, "value", fe.Value, "limit", strconv.Itoa(fe.Limit),
		"allowed", strings.Join(fe.Allowed, ", "))
	if fe.Suggestion != "" {
		msg += " " + T(lang, "field.suggestion", "suggestion", fe.Suggestion)
	}
	return msg
}
