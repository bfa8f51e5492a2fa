package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCheckPasses(t *testing.T) {
	xlsx := zipBody(t, "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/worksheets/sheet1.xml")
	plainZip := zipBody(t, "data.csv", "readme.txt")
	tests := []struct {
		name, path, contentType, disposition string
		body                                 []byte
		wantFormat, wantType                 string
	}{
		{"csv as text/csv", "/data", "text/csv", "", []byte("a,b\n1,2\n3,4\n"), "CSV", "text/csv"},
		{"one-column csv as text/csv", "/names", "text/csv; charset=utf-8", "", []byte("name\nalice\nbob\n"), "CSV", "text/plain"},
		{"one-column csv as text/plain, .csv name", "/files/names.csv", "text/plain", "", []byte("name\nalice\n"), "CSV", "text/plain"},
		{"json as text/plain", "/data.txt", "text/plain", "", []byte(`{"rows": [1, 2, 3]}`), "JSON", "application/json"},
		{"xlsx as octet-stream", "/download", "application/octet-stream", "", xlsx, "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"zip", "/archive", "application/zip", "", plainZip, "ZIP", "application/zip"},
		{"filename from content-disposition", "/get?id=7", "application/octet-stream", `attachment; filename="roads.kmz"`, zipBody(t, "doc.xml"), "KMZ", "application/zip"},
		{"plain text", "/notes", "", "", []byte("just some words\n"), "TXT", "text/plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				} else {
					w.Header()["Content-Type"] = nil // no sniffing by net/http either
				}
				if tt.disposition != "" {
					w.Header().Set("Content-Disposition", tt.disposition)
				}
				w.Write(tt.body)
			}))
			defer srv.Close()
			c, _ := newTestClient(t, Config{Policy: Policy{AllowPrivate: true}})
			res := c.Check(context.Background(), srv.URL+tt.path)
			sum := sha256.Sum256(tt.body)
			if res.State != Passed || res.HTTPStatus != 200 || res.Reason != "" || res.Retryable {
				t.Fatalf("got %+v, want passed", res)
			}
			if res.Size != int64(len(tt.body)) || res.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("size %d sha %s, want %d %x", res.Size, res.SHA256, len(tt.body), sum)
			}
			if res.Format != tt.wantFormat || !strings.HasPrefix(res.ContentType, tt.wantType) {
				t.Errorf("format %q type %q, want %q %q", res.Format, res.ContentType, tt.wantFormat, tt.wantType)
			}
			if res.CheckedAt.IsZero() {
				t.Error("CheckedAt not set")
			}
		})
	}
}

// TestCheckKnownDigest pins SHA-256 and size to values computed outside Go.
func TestCheckKnownDigest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		fmt.Fprint(w, "a,b\n1,2\n")
	}))
	defer srv.Close()
	c, _ := newTestClient(t, Config{Policy: Policy{AllowPrivate: true}})
	res := c.Check(context.Background(), srv.URL+"/x.csv")
	const want = "492d5ea496056f1a6a6592241032fab764c321596317930b4fa0e1e8bc3b7470" // printf 'a,b\n1,2\n' | sha256sum
	if res.State != Passed || res.Size != 8 || res.SHA256 != want || res.Format != "CSV" {
		t.Fatalf("got %+v, want passed CSV, 8 bytes, sha %s", res, want)
	}
}

func TestCheckFails(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		handler   http.HandlerFunc
		status    int
		retryable bool
		reason    string
	}{
		{"404", Config{}, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			404, false, "404 Not Found"},
		{"403", Config{}, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(403) },
			403, false, "must be public"},
		{"503", Config{}, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) },
			503, true, "503 Service Unavailable"},
		{"204", Config{}, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) },
			204, false, "200 OK with the file is expected"},
		{"empty", Config{}, func(w http.ResponseWriter, r *http.Request) {},
			200, false, "the file is empty"},
		{"slow headers", Config{HeaderTimeout: 100 * time.Millisecond}, stall(0),
			0, true, "did not answer within 100ms"},
		{"idle body", Config{IdleReadTimeout: 150 * time.Millisecond}, stall(10),
			200, true, "sent no data for 150ms"},
		{"total time", Config{TotalTimeout: 300 * time.Millisecond, IdleReadTimeout: time.Second}, trickle,
			200, true, "did not finish within 300ms"},
		{"endless body", Config{MaxBytes: 1 << 20}, endless,
			200, false, "larger than the limit of 1 MiB"},
		{"declared too large", Config{MaxBytes: 1000}, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "5000")
			w.Write(make([]byte, 5000))
		}, 200, false, "larger than the limit of 1000 bytes"},
		{"cut short", Config{}, cutShort, 200, true, "closed before the whole file was received"},
		{"six redirects", Config{}, redirects, 0, false, "redirected more than 5 times"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			tt.cfg.Policy = Policy{AllowPrivate: true}
			c, _ := newTestClient(t, tt.cfg)
			res := c.Check(context.Background(), srv.URL+"/r/6")
			t.Logf("reason: %s", res.Reason)
			if res.State != Failed || res.Retryable != tt.retryable || !strings.Contains(res.Reason, tt.reason) {
				t.Fatalf("got %+v, want failed retryable=%v reason ~ %q", res, tt.retryable, tt.reason)
			}
			if tt.status != 0 && res.HTTPStatus != tt.status {
				t.Errorf("status %d, want %d", res.HTTPStatus, tt.status)
			}
			if res.SHA256 != "" || res.Format != "" {
				t.Errorf("a failed check reported a digest or format: %+v", res)
			}
		})
	}
}

func TestCheckFollowsFiveRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(redirects))
	defer srv.Close()
	c, rec := newTestClient(t, Config{Policy: Policy{AllowPrivate: true}})
	res := c.Check(context.Background(), srv.URL+"/r/5")
	if res.State != Passed || res.Format != "CSV" || res.Size != 8 {
		t.Fatalf("got %+v, want passed CSV of 8 bytes", res)
	}
	if n := len(rec.Addrs()); n != 6 {
		t.Errorf("dialled %d times, want 6 (no keep-alive across hops)", n)
	}
}

// redirects serves /r/N: a redirect to /r/N-1, and at /r/0 a small CSV file.
func redirects(w http.ResponseWriter, r *http.Request) {
	var n int
	fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/r/"), "%d", &n)
	if n > 0 {
		http.Redirect(w, r, fmt.Sprintf("/r/%d", n-1), http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/csv")
	fmt.Fprint(w, "a,b\n1,2\n")
}

// stall sends n bytes of body (headers only when n is 0) and then waits for the client to go.
func stall(n int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if n > 0 {
			w.Write(make([]byte, n))
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}
}

// trickle sends a byte every 20ms: never idle, never done.
func trickle(w http.ResponseWriter, r *http.Request) {
	for i := 0; i < 500; i++ {
		if _, err := w.Write([]byte("x")); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// endless writes until the client hangs up (bounded at 1 GiB in case it never does).
func endless(w http.ResponseWriter, r *http.Request) {
	chunk := []byte(strings.Repeat("a,b,c\n", 5000))
	for sent := 0; sent < 1<<30; sent += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// cutShort promises 1000 bytes, sends 10 and closes the connection.
func cutShort(w http.ResponseWriter, r *http.Request) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 1000\r\n\r\na,b\n1,2\n3,")
	buf.Flush()
}

// TestCheckUntrustedCertificate: httptest's certificate is self-signed, as a misconfigured
// server's would be; that is final, not worth retrying.
func TestCheckUntrustedCertificate(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "a,b\n1,2\n")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the server would log the failed handshake
	srv.StartTLS()
	defer srv.Close()
	c, _ := newTestClient(t, Config{Policy: Policy{AllowPrivate: true}})
	res := c.Check(context.Background(), srv.URL+"/data.csv")
	t.Logf("reason: %s", res.Reason)
	if res.State != Failed || res.Retryable || !strings.Contains(res.Reason, "TLS certificate could not be verified") {
		t.Fatalf("got %+v, want failed, not retryable, for the certificate", res)
	}
}
