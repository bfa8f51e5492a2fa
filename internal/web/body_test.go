package web_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/web"
)

// multipartBody generates a multipart form of a csrf field and a file of size
// bytes, without holding it in memory. Each time it is read it measures dir,
// the temporary folder: peak is the most bytes it ever held while the body
// was being sent. The client may still read it after its answer came.
type multipartBody struct {
	mu         sync.Mutex
	head, tail []byte
	size, sent int64
	dir        string
	peak       int64
}

const testBoundary = "dh-test-boundary"

func newMultipartBody(csrf string, size int64, dir string) *multipartBody {
	head := "--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + csrf + "\r\n" +
		"--" + testBoundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n" +
		"Content-Type: application/pdf\r\n\r\n"
	return &multipartBody{head: []byte(head), tail: []byte("\r\n--" + testBoundary + "--\r\n"), size: size, dir: dir}
}

// progress returns how much of the file was sent and the temporary folder's peak.
func (b *multipartBody) progress() (sent, peak int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sent, b.peak
}

func (b *multipartBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.peak = max(b.peak, dirBytes(b.dir))
	switch {
	case len(b.head) > 0:
		n := copy(p, b.head)
		b.head = b.head[n:]
		return n, nil
	case b.sent < b.size:
		n := int(min(int64(len(p)), b.size-b.sent))
		clear(p[:n])
		b.sent += int64(n)
		return n, nil
	case len(b.tail) > 0:
		n := copy(p, b.tail)
		b.tail = b.tail[n:]
		return n, nil
	}
	return 0, io.EOF
}

// dirBytes is the size of every file under dir.
func dirBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// A multipart body sent to a form that takes no file is refused unread: it
// never reaches memory or the temporary folder, whatever its token. The size
// is above what net/http keeps in memory (32 MiB) before it spills to disk.
func TestFormsRefuseMultipartBodies(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	rig := newFlowRig(t)
	const size = 64 << 20
	tests := []struct {
		name string
		who  *visitor
		path string
		csrf string
	}{
		{"sign-in, bad token", rig.anonymous(), "/signin", "wrong"},
		{"sign-in link, no token", rig.anonymous(), "/signin/verify", ""},
		{"signed-in form, bad token", rig.contact, "/flow/" + subID + "/check", "wrong"},
		{"signed-in form, good token", rig.contact, "/flow/" + subID + "/check", rig.contact.csrf},
		{"admin form", rig.admin, "/admin/roles", rig.admin.csrf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := newMultipartBody(tt.csrf, size, tmp)
			req, err := http.NewRequest("POST", rig.URL+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "multipart/form-data; boundary="+testBoundary)
			res, err := tt.who.c.Do(req)
			if err == nil {
				res.Body.Close()
				if res.StatusCode < 400 || res.StatusCode > 499 {
					t.Errorf("status %d, want 4xx", res.StatusCode)
				}
			} // else the server closed the connection on a body it will not read: refused too
			sent, peak := body.progress()
			if sent == size {
				t.Errorf("the whole body was read")
			}
			if peak > 0 || dirBytes(tmp) > 0 {
				t.Errorf("the temporary folder held %d bytes", peak)
			}
		})
	}
}

// The refusal is a page that says why, before any of the body is read.
func TestFormsRefuseMultipartWithAPage(t *testing.T) {
	rig := newFlowRig(t)
	body := newMultipartBody(rig.contact.csrf, 1024, t.TempDir())
	req, err := http.NewRequest("POST", rig.URL+"/flow/"+subID+"/check", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "Multipart/Form-Data; boundary="+testBoundary)
	r := rig.contact.do(t, req)
	wantCode(t, r, http.StatusUnsupportedMediaType)
	has(t, r, `id="error-form-type"`)
}

// An urlencoded form larger than the limit is refused, on the anonymous
// sign-in form too.
func TestFormsAreBounded(t *testing.T) {
	rig := newFlowRig(t)
	big := "csrf=x&email=" + strings.Repeat("a", 300<<10)
	for _, tt := range []struct {
		who  *visitor
		path string
	}{{rig.anonymous(), "/signin"}, {rig.contact, "/flow/" + subID + "/check"}} {
		req, err := http.NewRequest("POST", rig.URL+tt.path, strings.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		wantCode(t, tt.who.do(t, req), http.StatusRequestEntityTooLarge)
	}
}

// A client that sends a form's headers and then trickles its body, or stops,
// has the connection answered and closed once the body's time is up. The
// server here bounds nothing itself, as the real one bounds only headers.
func TestSlowBodiesAreCutOff(t *testing.T) {
	srv := newTestServer(t, func(c *web.Config) {
		c.FormReadTimeout, c.UploadReadTimeout = 200*time.Millisecond, 200*time.Millisecond
	})
	srv.submission(t, subID, fields())
	jane := signIn(t, srv, contact)
	var session string
	for _, c := range jane.c.Jar.Cookies(mustURL(t, srv.URL)) {
		session = c.Name + "=" + c.Value
	}
	for _, tt := range []struct{ name, path, contentType string }{
		{"sign-in form", "/signin", "application/x-www-form-urlencoded"},
		{"form", "/flow/" + subID + "/check", "application/x-www-form-urlencoded"},
		{"upload", "/flow/" + subID + "/signed-approval", "multipart/form-data; boundary=" + testBoundary},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// The test's own limit: far above the body's time, so only a server that never gives up fails it.
			conn.SetDeadline(time.Now().Add(time.Minute))
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: 100000\r\nCookie: %s\r\n\r\nab",
				tt.path, strings.TrimPrefix(srv.URL, "http://"), tt.contentType, session)
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				if isTimeout(err) {
					t.Fatal("the server still waits for the body")
				}
				return // closed without an answer: cut off too
			}
			res.Body.Close()
			if res.StatusCode < 400 {
				t.Fatalf("status %d, want a refusal", res.StatusCode)
			}
			// The connection is not kept for another request.
			if _, err := conn.Read(make([]byte, 1)); err == nil || isTimeout(err) {
				t.Fatalf("the connection stays open: %v", err)
			}
		})
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The signed approval's form sends its token before the file: without a
// valid one, the file is not read.
func TestUploadReadsNoFileWithoutItsToken(t *testing.T) {
	srv := newTestServer(t, func(c *web.Config) { c.UploadMaxBytes = 64 << 20 })
	srv.submission(t, subID, fields())
	jane := signIn(t, srv, contact)
	const size = 48 << 20
	for _, token := range []string{"", "wrong"} {
		body := newMultipartBody(token, size, t.TempDir())
		req, err := http.NewRequest("POST", srv.URL+"/flow/"+subID+"/signed-approval", body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "multipart/form-data; boundary="+testBoundary)
		if res, err := jane.c.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("token %q: status %d, want 403", token, res.StatusCode)
			}
		}
		if sent, _ := body.progress(); sent == size {
			t.Errorf("token %q: the whole file was read", token)
		}
	}
	if _, err := srv.db.SignedApproval(context.Background(), subID); err == nil {
		t.Error("a signed approval was stored")
	}
}
