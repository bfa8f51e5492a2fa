package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what wrk's done() hook prints (see doneLua), plus the CPU wrk used.
type wrkResult struct {
	Requests   int64   `json:"requests"`
	DurationUS int64   `json:"duration_us"`
	Bytes      int64   `json:"bytes"`
	ErrConnect int64   `json:"err_connect"`
	ErrRead    int64   `json:"err_read"`
	ErrWrite   int64   `json:"err_write"`
	ErrStatus  int64   `json:"err_status"` // responses with status >= 400
	ErrTimeout int64   `json:"err_timeout"`
	Non200     int64   `json:"non200"` // counted per response in Lua (submit only; -1 when not counted)
	FirstBad   string  `json:"first_bad"`
	P50US      float64 `json:"p50_us"`
	P99US      float64 `json:"p99_us"`
	MaxUS      float64 `json:"max_us"`

	wrkCores float64
}

func (r *wrkResult) rate() float64 {
	if r.DurationUS == 0 {
		return 0
	}
	return float64(r.Requests) / (float64(r.DurationUS) / 1e6)
}

func (r *wrkResult) socketErrors() int64 { return r.ErrConnect + r.ErrRead + r.ErrWrite + r.ErrTimeout }

// doneLua prints the summary as one JSON line that starts with WRKJSON.
const doneLua = `
function done(summary, latency, requests)
  local non200, firstbad = -1, ""
  if threads ~= nil then
    non200 = 0
    for _, t in ipairs(threads) do
      non200 = non200 + t:get("non200")
      local fb = t:get("firstbad")
      if firstbad == "" and fb ~= nil then firstbad = fb end
    end
  end
  firstbad = string.gsub(string.sub(firstbad, 1, 300), '[%c"\\]', " ")
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d,"non200":%d,"first_bad":"%s","p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout, non200, firstbad,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`

// choicesLua sends the same static GET on every request (wrk's fast path: no
// request() or response() hook runs per request).
func choicesLua(key string) string {
	return fmt.Sprintf("wrk.method = \"GET\"\nwrk.headers[\"DH-Auth-Key\"] = %q\n", key) + doneLua
}

// submitLua builds each body with a file_id unique to the run (the tag, wrk's
// first script argument), the thread and a per-thread counter, and counts
// every response that is not a 200.
func submitLua(key, body string) (string, error) {
	pre, post, ok := strings.Cut(body, `"UNIQUE"`)
	if !ok || strings.Contains(body, "]==]") {
		return "", fmt.Errorf("submit body needs a \"UNIQUE\" file_id")
	}
	return fmt.Sprintf(`wrk.method = "POST"
wrk.path = "/api/opendata/submit"
wrk.headers["DH-Auth-Key"] = %q
wrk.headers["Content-Type"] = "application/json"
local pre = [==[%s"]==]
local post = [==["%s]==]
threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
local tag, n = "x", 0
non200, firstbad = 0, nil
function init(args)
  tag = args[1] or "x"
end
function request()
  n = n + 1
  return wrk.format(nil, nil, nil, pre .. tag .. "-" .. tid .. "-" .. n .. post)
end
function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if firstbad == nil then firstbad = status .. " " .. body end
  end
end
`, key, pre, post) + doneLua, nil
}

// runWrk runs wrk and returns its summary.
func runWrk(ctx context.Context, script, url string, threads, conns int, d time.Duration, args ...string) (*wrkResult, error) {
	secs := max(1, int(d.Round(time.Second)/time.Second))
	argv := []string{"-t", strconv.Itoa(min(threads, conns)), "-c", strconv.Itoa(conns),
		"-d", strconv.Itoa(secs) + "s", "--timeout", "10s", "-s", script, url}
	if len(args) > 0 {
		argv = append(append(argv, "--"), args...)
	}
	cmd := command("wrk", argv...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	wall, err := runToEnd(ctx, cmd)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("wrk: %w\n%s%s", err, out.Bytes(), errb.Bytes())
	}
	for line := range strings.Lines(out.String()) {
		if j, ok := strings.CutPrefix(line, "WRKJSON "); ok {
			r := &wrkResult{}
			if err := json.Unmarshal([]byte(j), r); err != nil {
				return nil, fmt.Errorf("wrk summary %q: %w", j, err)
			}
			r.wrkCores = cores(cmd.ProcessState, wall)
			return r, nil
		}
	}
	return nil, fmt.Errorf("wrk printed no summary:\n%s%s", out.Bytes(), errb.Bytes())
}

func writeFile(dir, name, content string) (string, error) {
	p := filepath.Join(dir, name)
	return p, os.WriteFile(p, []byte(content), 0o600)
}

// wrkVersion is wrk's first line of -v, e.g. "wrk debian/4.1.0-3+b2 [epoll]".
func wrkVersion() string {
	out, _ := exec.Command("wrk", "-v").CombinedOutput()
	line, _, _ := strings.Cut(string(out), "\n")
	line, _, _ = strings.Cut(line, " Copyright")
	return strings.TrimSpace(line)
}
