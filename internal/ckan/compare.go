package ckan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// dateFields come back from the registry as "2024-03-15 00:00:00".
var dateFields = map[string]bool{
	"date_published": true, "time_period_coverage_start": true, "time_period_coverage_end": true,
}

// setFields come back in schema order without repeats.
var setFields = map[string]bool{"subject": true, "audience": true, "language": true}

// compare lists the fields whose read-back value differs from what was sent, allowing
// for what the registry changes on the way: owner_org becomes the organization's id,
// dates gain a time, choice lists are reordered, objects gain keys we did not send.
func compare(p Payload, got Dataset, org Organization) []FieldError {
	sent := asMap(p)
	keys := make([]string, 0, len(sent))
	for k := range sent {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []FieldError
	for _, k := range keys {
		want, have := sent[k], got[k]
		switch {
		case k == "owner_org":
			if s, _ := have.(string); s != org.ID && s != org.Name && s != want {
				out = append(out, difference(FieldOwnerOrg, want, have))
			}
		case k == "resources":
			out = append(out, compareResources(want, have)...)
		default:
			for _, d := range differing(k, want, have) {
				for _, f := range ourFields(d.path, "") {
					out = append(out, difference(f, d.want, d.have))
				}
			}
		}
	}
	return out
}

func compareResources(want, have any) []FieldError {
	ws, _ := want.([]any)
	hs, ok := have.([]any)
	if !ok || len(hs) != len(ws) {
		return []FieldError{{Field: FieldFile, Message: fmt.Sprintf("sent %d resources, registry has %d", len(ws), len(hs))}}
	}
	var out []FieldError
	for i := range ws {
		wm, _ := ws[i].(map[string]any)
		hm, _ := hs[i].(map[string]any)
		keys := make([]string, 0, len(wm))
		for k := range wm {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if len(differing(k, wm[k], hm[k])) > 0 { // the whole value, to show it
				out = append(out, difference(resourceField(k), wm[k], hm[k]))
			}
		}
	}
	return out
}

// diff is one differing value: key itself, or "key-lang" within an {en, fr} object.
type diff struct {
	path       string
	want, have any
}

// differing returns the values under key that differ.
func differing(key string, want, have any) []diff {
	if wm, ok := want.(map[string]any); ok {
		hm, ok := have.(map[string]any)
		if !ok {
			return []diff{{key, want, have}}
		}
		var out []diff
		for sub, w := range wm {
			if len(differing(sub, w, hm[sub])) > 0 {
				out = append(out, diff{key + "-" + sub, w, hm[sub]})
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
		return out
	}
	if !same(key, want, have) {
		return []diff{{key, want, have}}
	}
	return nil
}

func same(key string, want, have any) bool {
	if dateFields[key] {
		h, _ := have.(string)
		h = strings.TrimSuffix(strings.TrimSuffix(h, " 00:00:00"), "T00:00:00")
		return want == h
	}
	if setFields[key] {
		return reflect.DeepEqual(uniqueSorted(want), uniqueSorted(have))
	}
	return reflect.DeepEqual(scalar(want), scalar(have))
}

// scalar makes numbers and their string forms comparable ("1024" and 1024).
func scalar(v any) any {
	switch x := v.(type) {
	case json.Number:
		return x.String()
	case float64:
		return fmt.Sprint(x)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = scalar(x[i])
		}
		return out
	}
	return v
}

func uniqueSorted(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func difference(field string, want, have any) FieldError {
	return FieldError{Field: field, Message: fmt.Sprintf("sent %s, registry has %s", brief(want), brief(have))}
}

func brief(v any) string {
	if v == nil {
		return "nothing"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return clip(string(b), 200)
}

// asMap is the payload as the registry reads it.
func asMap(p Payload) map[string]any {
	b, _ := json.Marshal(p) // a Payload always encodes
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	_ = dec.Decode(&m)
	return m
}
