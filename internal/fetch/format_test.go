package fetch

import (
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	const (
		xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		bin  = "application/octet-stream"
		txt  = "text/plain; charset=utf-8"
	)
	tests := []struct{ sniffed, declared, path, want string }{
		// Sniffing finds a specific type: it decides, whatever the server says.
		{"text/csv; charset=utf-8", "application/vnd.ms-excel", "/a.xls", "CSV"},
		{"text/tab-separated-values", "text/plain", "/a.txt", "TSV"},
		{"application/json", "text/plain", "/data.txt", "JSON"},
		{"application/x-ndjson", "", "/a", "JSONL"},
		{"application/geo+json", "application/json", "/a.json", "GEOJSON"},
		{xlsx, bin, "/download", "XLSX"},
		{"application/vnd.ms-excel", "", "", "XLS"},
		{"application/vnd.oasis.opendocument.spreadsheet", "", "", "ODS"},
		{"application/pdf", "text/html", "/a.html", "PDF"},
		{"text/html; charset=utf-8", "text/csv", "/a.csv", "HTML"},
		{"application/gzip", "text/csv", "/a.csv.gz", "GZ"},
		{"application/vnd.shp", "", "", "SHP"},
		{"application/vnd.google-earth.kml+xml", "", "", "KML"},
		{"application/geopackage+sqlite3", "", "", "GPKG"},
		{"application/x-netcdf", "", "", "NetCDF"},
		{"image/png", "", "", "PNG"},
		{"image/webp", "image/png", "/a.png", "other"},
		{"application/x-tar", "text/csv", "/a.csv", "other"},
		// Generic text: the declared type, then the extension, may name a text format.
		{txt, "text/csv", "/names", "CSV"},
		{txt, "TEXT/CSV; charset=ISO-8859-1", "/names", "CSV"},
		{txt, "text/plain", "/files/names.csv", "CSV"},
		{txt, "application/octet-stream", "/names.CSV", "CSV"},
		{txt, "application/vnd.ms-excel", "/names.csv", "CSV"},
		{txt, "", "/dump.sql", "SQL"},
		{txt, "application/sql", "/dump", "SQL"},
		{txt, "text/tab-separated-values", "/a", "TSV"},
		{txt, "application/json", "/a", "JSON"},
		{txt, "", "/a.jsonl", "JSONL"},
		{txt, "", "/a", "TXT"},
		{txt, "text/plain", "/a", "TXT"},
		{txt, xlsx, "/a.xlsx", "TXT"}, // a text file is not a spreadsheet whatever its label
		{"text/x-python", "text/csv", "", "CSV"},
		{"text/x-python", "", "", "TXT"},
		// Generic binary: anything the server or the name says.
		{bin, "application/x-netcdf", "/a", "NetCDF"},
		{bin, "", "/grid.nc", "NetCDF"},
		{bin, "application/octet-stream", "/layer.gpkg", "GPKG"},
		{bin, "application/x-gzip", "/a", "GZ"},
		{bin, "", "/a.bin", "other"},
		{bin, "", "", "other"},
		// Containers: a refinement must be a format of that container.
		{"application/zip", "application/vnd.google-earth.kmz", "/a", "KMZ"},
		{"application/zip", bin, "/roads.kmz", "KMZ"},
		{"application/zip", bin, "/book.xlsx", "XLSX"},
		{"application/zip", bin, "/roads.shp.zip", "ZIP"},
		{"application/zip", "application/x-shapefile", "/roads", "SHP"},
		{"application/zip", "text/csv", "/a.csv", "ZIP"},
		{"text/xml; charset=utf-8", "application/rdf+xml", "/a", "RDF"},
		{"text/xml", "", "/a.rdf", "RDF"},
		{"text/xml", "text/csv", "/a.csv", "XML"},
		{"application/json", "application/geo+json", "/a", "GEOJSON"},
		{"application/json", "", "/a.geojson", "GEOJSON"},
		{"application/x-ole-storage", "", "/old.xls", "XLS"},
		{"application/x-ole-storage", "", "/a", "other"},
		{"application/vnd.sqlite3", "", "/a.gpkg", "GPKG"},
		{"application/vnd.sqlite3", "", "/a", "SQLITE"},
		{"application/x-hdf5", "", "/a.nc", "NetCDF"},
	}
	for _, tt := range tests {
		if got := Format(tt.sniffed, tt.declared, tt.path); got != tt.want {
			t.Errorf("Format(%q, %q, %q) = %q, want %q", tt.sniffed, tt.declared, tt.path, got, tt.want)
		}
	}
}

func TestSniff(t *testing.T) {
	sqlite := func(appID string) []byte {
		b := append([]byte("SQLite format 3\x00"), make([]byte, 84)...)
		copy(b[68:], appID)
		return b
	}
	tests := []struct {
		name string
		head []byte
		want string
	}{
		{"netcdf classic", []byte("CDF\x01\x00\x00\x00\x00"), "application/x-netcdf"},
		{"netcdf 64-bit offset", []byte("CDF\x02rest"), "application/x-netcdf"},
		{"hdf5", []byte("\x89HDF\r\n\x1a\n\x00\x00"), "application/x-hdf5"},
		{"geopackage", sqlite("GPKG"), "application/geopackage+sqlite3"},
		{"plain sqlite", sqlite("\x00\x00\x00\x00"), "application/vnd.sqlite3"},
		{"csv", []byte("a,b\n1,2\n"), "text/csv"},
		{"one column", []byte("a\n1\n"), "text/plain"},
		{"pdf", []byte("%PDF-1.7\n"), "application/pdf"},
		{"binary", []byte{0, 1, 2, 3, 0xff}, "application/octet-stream"},
	}
	for _, tt := range tests {
		if got := Sniff(tt.head); !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: Sniff = %q, want %q", tt.name, got, tt.want)
		}
	}
}
