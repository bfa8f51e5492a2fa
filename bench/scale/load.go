package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// submitBody is the submission posted; FILEID becomes the row's file_id. Its
// file_url is on loopback (port 9: nothing listens), and the server checks no file.
const submitBody = `{"file_url":"http://127.0.0.1:9/data.csv","file_id":"FILEID","file_name":"data.csv","email_contact":"a@b.gc.ca","collection":"primary","title_translated_en":"Forest inventory","title_translated_fr":"Inventaire forestier","notes_translated_en":"Annual inventory of forest plots.","notes_translated_fr":"Inventaire annuel des placettes forestières.","keywords_en":"forests, trees","keywords_fr":"forêts, arbres","subject":"nature_and_environment","frequency":"P1Y","date_published":"2024-03-15","jurisdiction":"federal"}`

// fileID names the i-th submission's file; the file_id= lookups pick among them.
func fileID(i int) string { return fmt.Sprintf("scale-%07d", i) }

// tenth is one tenth of a load: how many submissions, how long, and the
// server's largest resident set meanwhile.
type tenth struct {
	from, to int
	took     time.Duration
	rss      int64
}

func (t tenth) rate() float64 { return float64(t.to-t.from) / t.took.Seconds() }

// load submits the missing submissions, fileID(st.Loaded) to fileID(c.n-1),
// with c.loadClients clients, appending each acknowledged id to ids.txt and
// saving the count every tenth, so that an interrupted load resumes.
func (r *report) load(ctx context.Context, srv *server, st *state, ids *[]string, c config) error {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.loadClients}, Timeout: time.Minute}
	step := max((c.n-st.Loaded)/10, 1)
	srv.rssMax()
	for from := st.Loaded; from < c.n; from += step {
		to := min(from+step, c.n)
		start := time.Now()
		got, err := submitRange(ctx, client, srv.base, st.Key, from, to, c.loadClients)
		if err != nil {
			return err
		}
		t := tenth{from: from, to: to, took: time.Since(start), rss: srv.rssMax()}
		r.tenths = append(r.tenths, t)
		if err := appendIDs(c.data, got); err != nil {
			return err
		}
		*ids = append(*ids, got...)
		st.Loaded = to
		if err := st.save(c.data); err != nil {
			return err
		}
		progress("%d stored: %.0f/s over the last %d, RSS %.1f MiB", to, t.rate(), to-from, float64(t.rss)/(1<<20))
	}
	return nil
}

// submitRange submits fileID(from) … fileID(to-1) with n clients and
// returns their datahub_ids in order. A file_id already stored (a load
// interrupted after the server acknowledged it) counts with the id its
// duplicate answer names.
func submitRange(ctx context.Context, client *http.Client, base, key string, from, to, n int) ([]string, error) {
	out := make([]string, to-from)
	next := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				id, err := submitOne(ctx, client, base, key, fileID(i))
				if err != nil {
					errs <- fmt.Errorf("submit %s: %w", fileID(i), err)
					return
				}
				out[i-from] = id
			}
		}()
	}
	var err error
feed:
	for i := from; i < to; i++ {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return out, err
}

func submitOne(ctx context.Context, client *http.Client, base, key, fid string) (string, error) {
	body := strings.Replace(submitBody, "FILEID", fid, 1)
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/opendata/submit", bytes.NewReader([]byte(body)))
		if err != nil {
			return "", err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fid)
		resp, err := client.Do(req)
		if err != nil {
			if attempt < 5 && ctx.Err() == nil {
				time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
				continue
			}
			return "", err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var ans struct {
			DatahubID string `json:"datahub_id"`
		}
		json.Unmarshal(b, &ans)
		switch {
		case ans.DatahubID != "" && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusBadRequest):
			return ans.DatahubID, nil
		case resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests:
			if attempt < 5 {
				time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
				continue
			}
		}
		return "", fmt.Errorf("%s: %.300s", resp.Status, b)
	}
}
