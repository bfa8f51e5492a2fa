package opendata

import "strings"

// NormEmail is how addresses are compared and stored: trimmed, with ASCII
// letters lower-cased. Only ASCII is folded: Unicode case folding would make
// "ſam@…" (long s) the same person as "sam@…". A non-ASCII address is kept
// as written and matches only itself.
func NormEmail(email string) string { return asciiLower(strings.TrimSpace(email)) }

// NormProject is how project acronyms are compared and stored: trimmed and
// upper-cased (ValidProject allows only ASCII letters, digits, - and _).
func NormProject(project string) string { return asciiUpper(strings.TrimSpace(project)) }

func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

func asciiUpper(s string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}
