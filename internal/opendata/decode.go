package opendata

import (
	"bytes"
	"encoding/json"
	"io"
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
	obj, ok := decodeObject(body)
	if !ok {
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

// decodeObject reads one JSON object and nothing after it. A name given twice
// makes the body malformed: which of the two values counts would otherwise
// depend on the parser, and a proxy or a log reader may take the other.
func decodeObject(body []byte) (map[string]json.RawMessage, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	obj := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		name, isName := tok.(string)
		if err != nil || !isName {
			return nil, false
		}
		if _, seen := obj[name]; seen {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		obj[name] = v
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, false
	}
	// Anything after the object, even a stray "]" or "}", is refused.
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return obj, true
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
