package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"time"
)

// static holds the stylesheet of the pages and, under gcds/, the GC Design System
// files that web/vendor.sh copies from npm.
//
//go:embed static
var static embed.FS

// assetTypes are the only files served, by extension; anything else is a 404.
var assetTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".woff2": "font/woff2",
	".woff":  "font/woff",
	".ttf":   "font/ttf",
}

// assets serves the embedded files under /static/{version}/, where version is a
// hash of them all: each build's URLs differ, so browsers may cache them for a year.
type assets struct {
	files   fs.FS
	version string
}

func newAssets() (*assets, error) {
	files, err := fs.Sub(static, "static")
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	h := sha256.New()
	err = fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hash static files: %w", err)
	}
	return &assets{files: files, version: hex.EncodeToString(h.Sum(nil))[:12]}, nil
}

// url returns the address of the embedded file name; an unknown name is an
// error, so that a template naming one fails to render rather than link to a 404.
func (a *assets) url(name string) (string, error) {
	if _, ok := assetTypes[path.Ext(name)]; !ok {
		return "", fmt.Errorf("static file %q: not a served type", name)
	}
	if _, err := fs.Stat(a.files, name); err != nil {
		return "", fmt.Errorf("static file %q: %w", name, err)
	}
	return "/static/" + a.version + "/" + name, nil
}

func (a *assets) serve(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ctype, ok := assetTypes[path.Ext(name)]
	if !ok || r.PathValue("version") != a.version {
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(a.files, name)
	if err != nil { // missing, a directory, or not a valid path
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}
