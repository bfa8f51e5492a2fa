package fetch

import (
	"bytes"
	"mime"
	"path"
	"slices"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// sniffLen is how much of the file's start is kept for sniffing; mimetype reads no further.
const sniffLen = 4096

// Sniff returns the content type of a file from its first bytes. It adds to mimetype the
// formats open data often uses and mimetype does not know: NetCDF, HDF5 and GeoPackage.
func Sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("CDF\x01")), bytes.HasPrefix(head, []byte("CDF\x02")),
		bytes.HasPrefix(head, []byte("CDF\x05")):
		return "application/x-netcdf"
	case bytes.HasPrefix(head, []byte("\x89HDF\r\n\x1a\n")):
		return "application/x-hdf5"
	}
	m := mimetype.Detect(head)
	// A GeoPackage is SQLite with application_id "GPKG" (or the older "GP10"/"GP11") at 68.
	if m.Is("application/vnd.sqlite3") && len(head) >= 72 && bytes.HasPrefix(head[68:], []byte("GP")) {
		return "application/geopackage+sqlite3"
	}
	return m.String()
}

// codeByType maps media types to CKAN format codes (ckanext-canada's exact spelling).
func codeByType(mediaType string) string {
	switch mediaType {
	case "text/csv", "text/comma-separated-values", "application/csv", "text/x-csv", "application/x-csv":
		return "CSV"
	case "text/tab-separated-values", "text/tsv":
		return "TSV"
	case "application/json", "text/json":
		return "JSON"
	case "application/x-ndjson", "application/jsonl", "application/json-l", "application/x-jsonlines", "application/jsonlines":
		return "JSONL"
	case "application/geo+json", "application/vnd.geo+json":
		return "GEOJSON"
	case "text/xml", "application/xml":
		return "XML"
	case "application/vnd.ms-excel":
		return "XLS"
	case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		return "XLSX"
	case "application/vnd.oasis.opendocument.spreadsheet":
		return "ODS"
	case "application/pdf":
		return "PDF"
	case "text/html", "application/xhtml+xml":
		return "HTML"
	case "text/plain":
		return "TXT"
	case "application/zip":
		return "ZIP"
	case "application/gzip":
		return "GZ"
	case "application/vnd.shp", "application/x-shapefile", "application/x-esri-shape":
		return "SHP"
	case "application/vnd.google-earth.kml+xml":
		return "KML"
	case "application/vnd.google-earth.kmz":
		return "KMZ"
	case "application/geopackage+sqlite3", "application/geopackage+vnd.sqlite3":
		return "GPKG"
	case "application/x-netcdf", "application/netcdf":
		return "NetCDF"
	case "application/sql", "application/x-sql", "text/x-sql":
		return "SQL"
	case "application/rdf+xml":
		return "RDF"
	}
	return otherCodeByType(mediaType)
}

// otherCodeByType covers further codes of the registry's list that sniffing can find.
func otherCodeByType(mediaType string) string {
	switch mediaType {
	case "application/gml+xml":
		return "GML"
	case "application/rss+xml":
		return "RSS"
	case "application/msword":
		return "DOC"
	case "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
		return "DOCX"
	case "application/vnd.ms-powerpoint":
		return "PPT"
	case "application/vnd.openxmlformats-officedocument.presentationml.presentation":
		return "PPTX"
	case "application/vnd.oasis.opendocument.text":
		return "ODT"
	case "application/vnd.oasis.opendocument.presentation":
		return "ODP"
	case "application/x-hdf5", "application/x-hdf":
		return "HDF"
	case "application/vnd.sqlite3":
		return "SQLITE"
	case "application/x-dbf", "application/dbf":
		return "DBF"
	case "text/rtf":
		return "RTF"
	case "image/png":
		return "PNG"
	case "image/jpeg":
		return "JPG"
	case "image/gif":
		return "GIF"
	case "image/tiff":
		return "TIFF"
	case "image/svg+xml":
		return "SVG"
	}
	return ""
}

// codeByExt maps a file name's extension to a CKAN format code.
func codeByExt(name string) string {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	switch ext {
	case "csv", "tsv", "json", "jsonl", "geojson", "xml", "xls", "xlsx", "ods", "pdf", "html",
		"txt", "zip", "gz", "shp", "kml", "kmz", "gpkg", "sql", "rdf", "gml", "rss", "doc", "docx",
		"ppt", "pptx", "odt", "odp", "dbf", "rtf", "png", "gif", "tiff", "svg":
		return strings.ToUpper(ext)
	case "tab":
		return "TSV"
	case "ndjson":
		return "JSONL"
	case "htm":
		return "HTML"
	case "nc", "nc4", "netcdf":
		return "NetCDF"
	case "jpg", "jpeg":
		return "JPG"
	case "tif":
		return "TIFF"
	case "h5", "hdf", "hdf5":
		return "HDF"
	case "sqlite", "sqlite3":
		return "SQLITE"
	}
	return ""
}

// family says which codes may refine a sniffed type that is only a container or a generic
// kind, and what to answer when neither the declared type nor the extension does.
type family struct {
	fallback string
	accepts  func(code string) bool
}

func oneOf(codes ...string) func(string) bool {
	return func(code string) bool { return slices.Contains(codes, code) }
}

func familyOf(sniffed string) (family, bool) {
	switch sniffed {
	case "application/octet-stream": // unknown binary: the server and the name decide
		return family{"other", func(string) bool { return true }}, true
	case "text/plain": // text: only a text format may refine it (a .xlsx name cannot)
		return family{"TXT", oneOf("CSV", "TSV", "JSON", "JSONL", "GEOJSON", "XML", "KML", "GML",
			"RDF", "RSS", "HTML", "TXT", "SQL", "SVG", "RTF")}, true
	case "application/zip":
		return family{"ZIP", oneOf("ZIP", "XLSX", "DOCX", "PPTX", "ODS", "ODT", "ODP", "KMZ", "SHP")}, true
	case "text/xml", "application/xml":
		return family{"XML", oneOf("XML", "RDF", "KML", "GML", "RSS")}, true
	case "application/json":
		return family{"JSON", oneOf("JSON", "GEOJSON", "JSONL")}, true
	case "application/x-ole-storage": // an old Office file mimetype could not place
		return family{"other", oneOf("XLS", "DOC", "PPT")}, true
	case "application/vnd.sqlite3":
		return family{"SQLITE", oneOf("SQLITE", "GPKG")}, true
	case "application/x-hdf5": // NetCDF-4 files are HDF5
		return family{"HDF", oneOf("HDF", "NetCDF")}, true
	}
	return family{}, false
}

// Format returns the CKAN format code for a file: the sniffed type decides when it is
// specific; when it is generic or a container, the declared Content-Type and then the
// extension of urlPath refine it. Anything unknown is "other".
func Format(sniffedMIME, declaredContentType, urlPath string) string {
	sniffed := mediaType(sniffedMIME)
	fam, generic := familyOf(sniffed)
	if !generic {
		if code := codeByType(sniffed); code != "" {
			return code
		}
		if !isText(sniffed) {
			return "other"
		}
		// A text kind with no code of its own (a script, a subtitle file): treat as plain text.
		fam, _ = familyOf("text/plain")
	}
	declared := mediaType(declaredContentType)
	if m := mimetype.Lookup(declared); m != nil {
		declared = mediaType(m.String()) // resolve aliases like application/x-gzip
	}
	// A declared text/plain says nothing more than sniffing did; let the extension speak.
	if code := codeByType(declared); code != "" && declared != "text/plain" && fam.accepts(code) {
		return code
	}
	if code := codeByExt(urlPath); code != "" && fam.accepts(code) {
		return code
	}
	return fam.fallback
}

// mediaType lowercases a Content-Type and drops its parameters.
func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(ct))
	}
	return mt
}

// isText reports whether mimetype files the type under text/plain.
func isText(mediaType string) bool {
	for m := mimetype.Lookup(mediaType); m != nil; m = m.Parent() {
		if m.Is("text/plain") {
			return true
		}
	}
	return false
}
