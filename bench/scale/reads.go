package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/opendata-datahub/datahub/client"
)

// readRun is one measured run of one path.
type readRun struct {
	path     string
	requests int
	errors   int // answers other than the path's expected status, and failed requests
	rate     float64
	p50, p99 time.Duration
	max      time.Duration // the slowest request: a stall of the whole server shows here first
	ref      *readRun      // the /healthz run just before, on the same connections
	rss      int64
	server   durations // what the server's own histogram saw of the measured part
}

// reads measures each read path after a reference run of GET /healthz.
func (r *report) reads(ctx context.Context, srv *server, key string, ids []string) error {
	if len(ids) == 0 {
		return fmt.Errorf("no submissions loaded")
	}
	r.cfg.deep = min(r.cfg.deep, len(ids)/200*100) // a smaller store: a page halfway down
	cursor, err := deepCursor(ctx, srv.base, key, r.cfg.deep)
	if err != nil {
		return err
	}
	n := len(ids)
	const status, list = "GET /api/opendata/submissions/{id}", "GET /api/opendata/submissions" // their routes
	paths := []struct {
		name, route string
		want        int // the answer's status; another counts as an error
		url         func(*rand.Rand) string
	}{
		{"status: /submissions/{id}, a random one", status, http.StatusOK, func(rnd *rand.Rand) string { return "/api/opendata/submissions/" + ids[rnd.IntN(n)] }},
		// The cheapest read that reaches the database: the key's check, one
		// probe of the submissions' index that finds nothing, a problem answer.
		// What a lookup costs beyond it is its own work.
		{"floor: /submissions/{id}, an unknown one (404)", status, http.StatusNotFound, func(rnd *rand.Rand) string {
			return fmt.Sprintf("/api/opendata/submissions/00000000-0000-7000-8000-%012d", rnd.IntN(n))
		}},
		{"list: first page, limit=50", list, http.StatusOK, func(*rand.Rand) string { return "/api/opendata/submissions?limit=50" }},
		{fmt.Sprintf("list: %d rows down, limit=50", r.cfg.deep), list, http.StatusOK, func(*rand.Rand) string {
			return "/api/opendata/submissions?limit=50&cursor=" + url.QueryEscape(cursor)
		}},
		{"list: state=in_preparation, limit=50", list, http.StatusOK, func(*rand.Rand) string { return "/api/opendata/submissions?state=in_preparation&limit=50" }},
		{"list: file_id=, a random one", list, http.StatusOK, func(rnd *rand.Rand) string { return "/api/opendata/submissions?file_id=" + fileID(rnd.IntN(n)) }},
	}
	for _, p := range paths {
		if !r.cfg.paths.MatchString(p.name) {
			continue
		}
		progress("measuring %s (%s, after the /healthz reference)", p.name, r.cfg.duration)
		ref, err := measure(ctx, srv.base, "", r.cfg, http.StatusOK, func(*rand.Rand) string { return "/healthz" }, nil)
		if err != nil {
			return err
		}
		srv.rssMax()
		var before durations
		var beforeErr error
		run, err := measure(ctx, srv.base, key, r.cfg, p.want, p.url, func() { before, beforeErr = serverDurations(ctx, srv.base, p.route) })
		if err != nil {
			return err
		}
		after, err := serverDurations(ctx, srv.base, p.route)
		if err = errors.Join(beforeErr, err); err != nil {
			return err
		}
		run.path, run.ref, run.rss, run.server = p.name, ref, srv.rssMax(), after.since(before)
		r.runs = append(r.runs, run)
		progress("  p50 %s p99 %s max %s, %.0f req/s, %d errors (/healthz: p99 %s, %.0f req/s); the server handled %.1f%% within 5 ms",
			ms(run.p50), ms(run.p99), ms(run.max), run.rate, run.errors, ms(ref.p99), ref.rate, 100*run.server.within(0.005))
	}
	return nil
}

// deepCursor walks the list, through the project's client, to the page that
// starts rows down and returns its cursor.
func deepCursor(ctx context.Context, base, key string, rows int) (string, error) {
	c := client.New(base, key)
	cursor := ""
	for seen := 0; seen < rows; seen += 100 { // rows == 0: the first page
		page, err := c.List(ctx, client.ListOptions{Limit: 100, Cursor: cursor})
		if err != nil {
			return "", err
		}
		if page.NextCursor == "" {
			return "", fmt.Errorf("the list ends before %d rows", rows)
		}
		cursor = page.NextCursor
	}
	return cursor, nil
}

// measure sends requests from c.readers clients, each on its own keep-alive
// connection, for two unmeasured seconds and then c.duration. An answer
// other than want counts as an error. onWarm, if not nil, runs when the
// measured part starts.
//
// With c.rate, each reader sends on a schedule of its own, c.readers/c.rate
// apart, and a request's time counts from when it was due: a request sent
// late because the one before was slow is not excused its wait.
func measure(ctx context.Context, base, key string, c config, want int, pick func(*rand.Rand) string, onWarm func()) (*readRun, error) {
	transport := &http.Transport{MaxIdleConnsPerHost: c.readers, MaxConnsPerHost: c.readers}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	warm := time.Now().Add(2 * time.Second)
	end := warm.Add(c.duration)
	type result struct {
		lat    []time.Duration
		errors int
	}
	results := make([]result, c.readers)
	var wg sync.WaitGroup
	if onWarm != nil {
		wg.Add(1)
		time.AfterFunc(time.Until(warm), func() { defer wg.Done(); onWarm() })
	}
	var interval time.Duration
	if c.rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(c.readers) / c.rate)
	}
	for i := range c.readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			res := &results[i]
			due := time.Now().Add(time.Duration(rnd.Int64N(int64(interval) + 1))) // the readers' schedules spread over one interval
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+pick(rnd), nil)
				if key != "" {
					req.Header.Set("Authorization", "Bearer "+key)
				}
				start := time.Now()
				if interval > 0 {
					time.Sleep(time.Until(due))
					start, due = due, due.Add(interval)
				}
				if start.After(end) {
					return
				}
				resp, err := client.Do(req)
				ok := err == nil && resp.StatusCode == want
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if start.Before(warm) {
					continue
				}
				res.lat = append(res.lat, time.Since(start))
				if !ok {
					res.errors++
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	run := &readRun{}
	var all []time.Duration
	for _, res := range results {
		all = append(all, res.lat...)
		run.errors += res.errors
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("no request finished")
	}
	slices.Sort(all)
	run.requests = len(all)
	run.rate = float64(len(all)) / c.duration.Seconds()
	run.p50, run.p99, run.max = all[len(all)/2], all[min(len(all)-1, len(all)*99/100)], all[len(all)-1]
	return run, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
