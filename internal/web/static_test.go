package web_test

import (
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"
)

var (
	moduleScript = regexp.MustCompile(`<script type="module" src="(/static/[0-9a-f]{12}/[^"]+)"></script>`)
	cssURL       = regexp.MustCompile(`url\(["']?([^)"']+)["']?\)`)
	jsImport     = regexp.MustCompile(`from"(\./[^"]+\.js)"`)
	// lazyBundle names a bundle in the loader's registry: [["p-1d3b1e1c",[[...
	lazyBundle = regexp.MustCompile(`\["(p-[0-9a-f]+)",\[\[`)
)

var wantTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".woff2": "font/woff2",
	".woff":  "font/woff",
	".ttf":   "font/ttf",
}

// checkAsset fetches a static file and checks the headers it comes with.
func checkAsset(t *testing.T, base, p string) response {
	t.Helper()
	r := get(t, nil, base+p)
	if r.status != http.StatusOK {
		t.Errorf("%s: status %d", p, r.status)
		return r
	}
	for name, want := range map[string]string{
		"Content-Type":           wantTypes[path.Ext(p)],
		"Cache-Control":          "public, max-age=31536000, immutable",
		"X-Content-Type-Options": "nosniff",
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s: %s = %q, want %q", p, name, got, want)
		}
	}
	if strings.Contains(r.body, "sourceMappingURL") {
		t.Errorf("%s: names a source map, which is not vendored", p)
	}
	return r
}

// Every file the page loads, and every file those load in turn (fonts, the
// loader's chunks), is served from the binary with long-lived cache headers.
func TestStaticServesWhatThePageLoads(t *testing.T) {
	db := openStore(t)
	addSubmission(t, db, subID, fields())
	ts := newServer(t, db)
	page := get(t, nil, ts.URL+"/flow/"+subID)

	queue := []string{}
	for _, m := range stylesheet.FindAllStringSubmatch(page.body, -1) {
		queue = append(queue, m[1])
	}
	for _, m := range moduleScript.FindAllStringSubmatch(page.body, -1) {
		queue = append(queue, m[1])
	}
	seen := map[string]bool{}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		r := checkAsset(t, ts.URL, p)
		dir := path.Dir(p) + "/"
		var refs []string
		switch path.Ext(p) {
		case ".css":
			for _, m := range cssURL.FindAllStringSubmatch(r.body, -1) {
				if u, err := url.Parse(m[1]); err != nil || u.Scheme != "" || u.Host != "" {
					t.Errorf("%s loads %q from elsewhere", p, m[1])
					continue
				}
				refs = append(refs, m[1])
			}
		case ".js":
			for _, m := range jsImport.FindAllStringSubmatch(r.body, -1) {
				refs = append(refs, m[1])
			}
			for _, m := range lazyBundle.FindAllStringSubmatch(r.body, -1) {
				refs = append(refs, m[1]+".entry.js")
			}
		}
		for _, ref := range refs {
			queue = append(queue, path.Clean(dir+ref))
		}
	}
	for _, want := range []string{"gcds.esm.js", "gcds.css", "fonts.css", "site.css", ".entry.js", "gcds-icons.woff", "gcds-lato.woff2", "gcds-noto-sans-regular.woff2"} {
		found := false
		for p := range seen {
			found = found || strings.HasSuffix(p, want)
		}
		if !found {
			t.Errorf("no file ending in %s among %d served", want, len(seen))
		}
	}
}

func TestStaticRefusesTheRest(t *testing.T) {
	db := openStore(t)
	addSubmission(t, db, subID, fields())
	ts := newServer(t, db)
	m := stylesheet.FindStringSubmatch(get(t, nil, ts.URL+"/flow/"+subID).body)
	if m == nil {
		t.Fatal("page has no stylesheet")
	}
	v := strings.Split(m[1], "/")[2]
	base := "/static/" + v + "/"
	if r := get(t, nil, ts.URL+base+"site.css"); r.status != http.StatusOK {
		t.Fatalf("site.css: status %d", r.status)
	}
	for _, p := range []string{
		base + "gcds/nope.js",
		base + "gcds/gcds.esm.js.map",
		base + "gcds/", // no directory listings
		base + "gcds",
		base,
		base + "site.css/",
		base + "gcds/LICENSE", // embedded, but not a type pages load
		base + "gcds/VERSIONS",
		base + "gcds/fonts/LICENSE-lato.txt",
		base + "%2e%2e/web.go",
		base + "../templates/layout.html",
		"/static/000000000000/site.css", // another build's files
		"/static/site.css",
		"/static/gcds/gcds.css",
	} {
		r := get(t, nil, ts.URL+p)
		if r.status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, r.status)
		}
		if r.header.Get("Cache-Control") != "" && strings.Contains(r.header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: a 404 cached as immutable", p)
		}
	}
	res, err := http.Post(ts.URL+base+"site.css", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", res.StatusCode)
	}
	res, err = http.Head(ts.URL + base + "site.css")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != wantTypes[".css"] {
		t.Errorf("HEAD: status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
}
