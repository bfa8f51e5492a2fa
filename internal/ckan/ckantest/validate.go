package ckantest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Choice lists the double takes from ckanext-canada where we offer no vocabulary of
// our own. Licences and restrictions accept only what we publish under.
var (
	registryCollections = []string{"consultations", "primary", "code", "api", "app", "geogratis", "fgp",
		"publication", "transition", "transition_deputy", "parliament_report", "question_period",
		"parliament_committee", "parliament_committee_deputy", "aia", "federated"}
	licenseIDs    = []string{"ca-ogl-lgo"}
	restrictions  = []string{"unrestricted"}
	trueFalse     = []string{"false", "true"}
	resourceTypes = []string{"application", "api", "dataset", "guide", "faq", "specification",
		"terminology", "tool", "website", "data_dictionary"}
	languages = []string{"en", "fr", "iu", "zxx"}
	formats   = []string{"CSV", "TSV", "JSON", "JSONL", "GEOJSON", "XML", "XLS", "XLSX", "ODS", "PDF",
		"HTML", "TXT", "ZIP", "GZ", "SHP", "KML", "KMZ", "GPKG", "NetCDF", "SQL", "RDF", "GML", "RSS",
		"DOC", "DOCX", "PPT", "PPTX", "ODT", "ODP", "HDF", "SQLITE", "DBF", "RTF", "PNG", "JPG", "GIF",
		"TIFF", "SVG", "other"}
	emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// datasetKeys are the dataset fields the registry keeps; anything else is dropped.
var datasetKeys = []string{"id", "name", "type", "state", "private", "collection", "title_translated",
	"notes_translated", "keywords", "subject", "audience", "frequency", "jurisdiction", "date_published",
	"time_period_coverage_start", "time_period_coverage_end", "digital_object_identifier",
	"maintainer_email", "owner_org", "license_id", "restrictions", "imso_approval", "ready_to_publish",
	"portal_release_date", "program_page_url", "spatial", "resources", "metadata_created", "metadata_modified"}

var resourceKeys = []string{"id", "package_id", "position", "name_translated", "resource_type", "format",
	"language", "url", "size", "character_set"}

// checker gathers validation errors and the normalized dataset.
type checker struct {
	s    *Server
	in   map[string]any
	out  map[string]any
	errs map[string]any
}

func (c *checker) fail(key, msg string) {
	list, _ := c.errs[key].([]string)
	c.errs[key] = append(list, msg)
}

// validate checks a whole dataset as package_create and package_update do and
// returns it as stored, or the answer refusing it. The caller holds s.mu.
func (s *Server) validate(in map[string]any) (map[string]any, *answer) {
	c := &checker{s: s, in: in, out: map[string]any{}, errs: map[string]any{}}
	for _, k := range datasetKeys {
		if v, ok := in[k]; ok {
			c.out[k] = v
		}
	}
	if t, _ := in["type"].(string); t != "" && t != "dataset" {
		c.fail("type", "Value must be one of ['dataset']")
	}
	c.out["type"], c.out["private"] = "dataset", true
	c.choice("collection", registryCollections, true)
	c.fluentText("title_translated", c.in, c.out, c.errs)
	c.fluentText("notes_translated", c.in, c.out, c.errs)
	c.keywords()
	c.multiple("subject", s.vocab.Values("subject"), true, c.in, c.out, c.errs)
	c.multiple("audience", s.vocab.Values("audience"), false, c.in, c.out, c.errs)
	c.choice("frequency", s.vocab.Values("frequency"), true)
	c.choice("jurisdiction", s.vocab.Values("jurisdiction"), true)
	c.choice("license_id", licenseIDs, true)
	c.choice("restrictions", restrictions, true)
	c.choice("imso_approval", trueFalse, true)
	c.choice("ready_to_publish", trueFalse, true)
	if bad := c.dates(); bad {
		// ckanext-canada compares a malformed date_published with today and fails.
		return nil, &answer{500, map[string]any{"help": "", "success": false,
			"error": map[string]any{"__type": "Internal Server Error", "message": "Internal Server Error"}}}
	}
	c.email()
	c.ownerOrg()
	if a := c.resources(); a != nil {
		return nil, a
	}
	if len(c.errs) > 0 {
		a := invalid(c.errs)
		return nil, &a
	}
	return c.out, nil
}

func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return strings.TrimSpace(x) != ""
	case []any:
		return len(x) > 0
	}
	return true
}

// choice checks a single-choice field; only the strings of the list are accepted.
func (c *checker) choice(key string, allowed []string, required bool) {
	v := c.in[key]
	if !present(v) {
		if required {
			c.fail(key, "Missing value")
		}
		delete(c.out, key)
		return
	}
	if s, isStr := v.(string); !isStr || !slices.Contains(allowed, s) {
		c.fail(key, "Value must be one of "+pyList(allowed))
	}
}

// multiple checks a multiple-choice field and stores it in schema order without repeats.
func (c *checker) multiple(key string, allowed []string, required bool, in, out, errs map[string]any) {
	fail := func(msg string) { list, _ := errs[key].([]string); errs[key] = append(list, msg) }
	var vals []any
	switch x := in[key].(type) {
	case nil:
	case string:
		if x != "" {
			vals = []any{x}
		}
	case []any:
		vals = x
	default:
		fail("expecting list of strings")
		return
	}
	if len(vals) == 0 {
		if required {
			fail("Select at least one")
		}
		delete(out, key)
		return
	}
	seen := map[string]bool{}
	for _, v := range vals {
		s, _ := v.(string)
		if !slices.Contains(allowed, s) {
			fail(fmt.Sprintf("unexpected choice %q", fmt.Sprint(v)))
			continue
		}
		seen[s] = true
	}
	ordered := []any{}
	for _, a := range allowed {
		if seen[a] {
			ordered = append(ordered, a)
		}
	}
	out[key] = ordered
}

// fluentText checks an {en, fr} text as ckanext-fluent's fluent_text does.
func (c *checker) fluentText(key string, in, out, errs map[string]any) {
	fail := func(k, msg string) { list, _ := errs[k].([]string); errs[k] = append(list, msg) }
	v, has := in[key]
	if !has || v == nil {
		fail(key+"-en", "Missing value")
		fail(key+"-fr", "Missing value")
		return
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		fail(key, "expecting JSON object")
		return
	}
	for lang, text := range obj {
		if _, isStr := text.(string); !isStr {
			fail(key, fmt.Sprintf("invalid type for %q value", lang))
		}
	}
	for _, lang := range []string{"en", "fr"} {
		if t, _ := obj[lang].(string); t == "" {
			fail(key, fmt.Sprintf("Required language %q missing", lang))
		}
	}
	out[key] = obj
}

// keywords checks {en: [...], fr: [...]} as fluent_tags with ckanext-canada's tag rules.
func (c *checker) keywords() {
	v, has := c.in["keywords"]
	if !has || v == nil {
		c.fail("keywords-en", "Missing value")
		c.fail("keywords-fr", "Missing value")
		return
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		c.fail("keywords", "expecting JSON object")
		return
	}
	stored := map[string]any{}
	for lang, raw := range obj {
		list, isList := raw.([]any)
		if !isList {
			c.fail("keywords", fmt.Sprintf("invalid type for %q value", lang))
			continue
		}
		tags := []any{}
		for i, t := range list {
			s, isStr := t.(string)
			if !isStr {
				c.fail("keywords", fmt.Sprintf("invalid type for %q value item %d", lang, i))
				continue
			}
			s = strings.TrimSpace(s)
			if msg := tagProblem(s); msg != "" {
				c.fail("keywords", msg)
			}
			tags = append(tags, s)
		}
		stored[lang] = tags
	}
	for _, lang := range []string{"en", "fr"} {
		if l, _ := stored[lang].([]any); len(l) == 0 {
			c.fail("keywords", fmt.Sprintf("Required language %q missing", lang))
		}
	}
	c.out["keywords"] = stored
}

func tagProblem(s string) string {
	n := utf8.RuneCountInString(s)
	switch {
	case n < 2:
		return fmt.Sprintf("Tag %q length is less than minimum 2", s)
	case n > 140:
		return fmt.Sprintf("Tag %q length is more than maximum 140", s)
	case strings.Contains(s, "  "):
		return fmt.Sprintf("Tag %q may not contain consecutive spaces", s)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Sprintf("Tag %q may not contain control characters", s)
	}
	return ""
}

// dates checks and normalizes the date fields; it reports a malformed date_published
// sent with ready_to_publish "true", which the registry answers with a 500.
func (c *checker) dates() (serverError bool) {
	for _, key := range []string{"date_published", "time_period_coverage_start", "time_period_coverage_end"} {
		v := c.in[key]
		if !present(v) {
			if key == "date_published" {
				c.fail(key, "Missing value")
			}
			delete(c.out, key)
			continue
		}
		s, _ := v.(string)
		d, ok := parseDate(s)
		if !ok {
			if key == "date_published" && c.in["ready_to_publish"] == "true" {
				return true
			}
			c.fail(key, "Date format incorrect. Expecting YYYY-MM-DD")
			continue
		}
		if key == "date_published" && c.in["ready_to_publish"] == "true" &&
			d.After(c.s.now().UTC().Truncate(24*time.Hour)) {
			c.fail(key, "Date published cannot be in the future")
		}
		c.out[key] = d.Format("2006-01-02 15:04:05")
	}
	return false
}

func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02", "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if d, err := time.Parse(layout, s); err == nil {
			return d, true
		}
	}
	return time.Time{}, false
}

func (c *checker) email() {
	v := c.in["maintainer_email"]
	if !present(v) {
		delete(c.out, "maintainer_email")
		return
	}
	if s, _ := v.(string); !emailPattern.MatchString(s) {
		c.fail("maintainer_email", fmt.Sprintf("Email %v is not a valid format", v))
	}
}

// ownerOrg stores the organization's id, whichever of id or name was sent.
func (c *checker) ownerOrg() {
	v := c.in["owner_org"]
	if !present(v) {
		c.fail("owner_org", "An organization must be provided")
		return
	}
	o, found := c.s.findOrg(v)
	if !found {
		c.fail("owner_org", "Organization does not exist")
		return
	}
	c.out["owner_org"] = o.ID
}

// resources checks the resource list; errors come back as a list in resource order.
func (c *checker) resources() *answer {
	v, has := c.in["resources"]
	if !has || v == nil {
		c.out["resources"] = []any{}
		return nil
	}
	list, isList := v.([]any)
	if !isList {
		c.fail("resources", "Not a list")
		return nil
	}
	errList, stored, bad := make([]any, len(list)), make([]any, len(list)), false
	for i, item := range list {
		res, _ := item.(map[string]any)
		if _, isStr := res["url"].(string); !isStr { // a resource without a string url fails inside CKAN
			return &answer{500, map[string]any{"help": "", "success": false,
				"error": map[string]any{"__type": "Internal Server Error", "message": "Internal Server Error"}}}
		}
		out, errs := map[string]any{}, map[string]any{}
		for _, k := range resourceKeys {
			if x, ok := res[k]; ok {
				out[k] = x
			}
		}
		c.fluentText("name_translated", res, out, errs)
		rc := &checker{s: c.s, in: res, out: out, errs: errs}
		rc.choice("resource_type", resourceTypes, true)
		rc.choice("format", formats, false)
		c.multiple("language", languages, true, res, out, errs)
		if sz, ok := res["size"]; ok && sz != nil {
			if n, ok := integer(sz); ok {
				out["size"] = json.Number(strconv.FormatInt(n, 10))
			} else {
				errs["size"] = []string{"Invalid integer"}
			}
		}
		if id, _ := out["id"].(string); id == "" {
			out["id"] = fmt.Sprintf("%s-r%d", c.in["id"], i)
		}
		out["package_id"], out["position"] = c.in["id"], i
		errList[i], stored[i] = errs, out
		bad = bad || len(errs) > 0
	}
	if bad {
		c.errs["resources"] = errList
	}
	c.out["resources"] = stored
	return nil
}

func integer(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		return n, err == nil && n >= 0
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil && n >= 0
	}
	return 0, false
}

// pyList writes a list as Python prints it, as CKAN's messages show it.
func pyList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = "'" + v + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}
