// Package i18n holds the English and French catalogues and picks the reader's language.
package i18n

import (
	"strconv"
	"strings"
)

// Lang is a language the service speaks.
type Lang string

// The two official languages; English is the default.
const (
	EN Lang = "en"
	FR Lang = "fr"
)

// Other returns the other official language, for language toggles.
func (l Lang) Other() Lang {
	if l == FR {
		return EN
	}
	return FR
}

// Negotiate picks English or French from an Accept-Language header: the
// highest-weighted of the two wins (the first listed on a tie), English when neither is named.
func Negotiate(header string) Lang {
	if header == "" {
		return EN
	}
	best, bestQ := EN, -1.0
	for part := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		var lang Lang
		switch {
		case tag == "fr" || strings.HasPrefix(tag, "fr-"):
			lang = FR
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			lang = EN
		default:
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		if q > bestQ && q > 0 {
			best, bestQ = lang, q
		}
	}
	return best
}

// T returns the message for key in lang with {name} placeholders filled from
// name, value pairs. A missing key returns the key itself, so that it shows.
func T(lang Lang, key string, pairs ...string) string {
	msg, ok := catalogs[lang][key]
	if !ok {
		if msg, ok = catalogs[EN][key]; !ok {
			return key
		}
	}
	if len(pairs) == 0 || !strings.Contains(msg, "{") {
		return msg
	}
	args := make([]string, 0, len(pairs))
	for i := 0; i+1 < len(pairs); i += 2 {
		args = append(args, "{"+pairs[i]+"}", pairs[i+1])
	}
	return strings.NewReplacer(args...).Replace(msg)
}

// Has reports whether lang's catalogue has key.
func Has(lang Lang, key string) bool {
	_, ok := catalogs[lang][key]
	return ok
}

// Keys returns every key of lang's catalogue.
func Keys(lang Lang) []string {
	out := make([]string, 0, len(catalogs[lang]))
	for k := range catalogs[lang] {
		out = append(out, k)
	}
	return out
}

var catalogs = map[Lang]map[string]string{EN: english, FR: french}

// extend adds the keys of one area's catalogue (a pair of files such as
// signin_en.go and signin_fr.go) to lang's, from an init function. A key
// defined twice is a programming error.
func extend(lang Lang, keys map[string]string) {
	c := catalogs[lang]
	for k, v := range keys {
		if _, dup := c[k]; dup {
			panic("i18n: key " + k + " is defined twice in " + string(lang))
		}
		c[k] = v
	}
}
