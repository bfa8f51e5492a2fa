package opendata

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// RawValue is one submitted value before validation: a string, a list of
// strings, or something of the wrong type.
type RawValue struct {
	Str     string
	List    []string
	IsList  bool
	BadType bool
}

// Str is a submitted string value.
func Str(s string) RawValue { return RawValue{Str: s} }

// List is a submitted list value.
func List(items []string) RawValue { return RawValue{List: items, IsList: true} }

// RawFields maps field names to submitted values; absent and null fields are missing.
type RawFields map[string]RawValue

// DecodeJSON reads one JSON object of submission fields. It reports a
// malformed body and unknown fields; values of the wrong type are marked for
// Validate, so that all problems are reported together in field order.
func DecodeJSON(body []byte) (RawFields, []FieldError) {
	// Unmarshal, unlike a Decoder, rejects anything after the object (even a stray "]" or "}").
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, []FieldError{{Code: CodeMalformedJSON}}
	}
	raw := make(RawFields, len(obj))
	var errs []FieldError
	for _, name := range FieldNames {
		msg, ok := obj[name]
		if !ok {
			continue
		}
		delete(obj, name)
		v, ok := decodeValue(msg)
		switch {
		case !ok:
			raw[name] = RawValue{BadType: true} // reported by Validate, in field order
		case v != nil:
			raw[name] = *v
		}
	}
	if len(obj) > 0 {
		unknown := make([]string, 0, len(obj))
		for name := range obj {
			unknown = append(unknown, name)
		}
		slices.Sort(unknown)
		for _, name := range unknown {
			errs = append(errs, FieldError{Field: name, Code: CodeUnknownField})
		}
	}
	return raw, errs
}

// decodeValue accepts a string, a list of strings or null (returned as nil).
func decodeValue(msg json.RawMessage) (*RawValue, bool) {
	switch first := firstByte(msg); first {
	case 'n':
		return nil, string(msg) == "null"
	case '"':
		var s string
		if json.Unmarshal(msg, &s) != nil {
			return nil, false
		}
		return &RawValue{Str: s}, true
	case '[':
		// *string, because a null item would otherwise decode silently as "".
		var items []*string
		if json.Unmarshal(msg, &items) != nil {
			return nil, false
		}
		list := make([]string, len(items))
		for i, it := range items {
			if it == nil {
				return nil, false
			}
			list[i] = *it
		}
		return &RawValue{List: list, IsList: true}, true
	}
	return nil, false
}

func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// Items returns the non-empty, trimmed items of a list value; a string is
// split on commas.
func (v RawValue) Items() []string {
	src := v.List
	if !v.IsList {
		if strings.TrimSpace(v.Str) == "" {
			return nil
		}
		src = strings.Split(v.Str, ",")
	}
	out := make([]string, 0, len(src))
	for _, s := range src {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
