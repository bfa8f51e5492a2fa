package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/opendata-datahub/datahub/internal/auth"
)

// staticJSON is a JSON document computed once and served with an ETag.
type staticJSON struct {
	body   []byte
	etag   string
	header map[string][]string // prebuilt, shared read-only by every response
}

func newStaticJSON(v any) (staticJSON, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return staticJSON{}, fmt.Errorf("encode static document: %w", err)
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	return staticJSON{body: body, etag: etag, header: map[string][]string{
		"Content-Type":   {contentJSON},
		"Content-Length": {strconv.Itoa(len(body))},
		"Etag":           {etag},
		"Cache-Control":  {"private, max-age=3600"},
	}}, nil
}

func (d staticJSON) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for k, v := range d.header {
		h[k] = v
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, d.etag) {
		delete(h, "Content-Length")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(d.body)
	}
}

// etagMatches applies If-None-Match's weak comparison to a list of tags.
func etagMatches(header, etag string) bool {
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
			return true
		}
	}
	return false
}

func (s *Server) serveChoices(w http.ResponseWriter, r *http.Request, _ *auth.Client) {
	s.choices.serve(w, r)
}
