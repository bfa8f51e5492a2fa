package api_test

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/api"
	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
)

// feed reads one page of the events feed.
func (e *env) feed(key, query string) (api.EventList, *httptest.ResponseRecorder) {
	e.t.Helper()
	w := e.do("GET", "/api/opendata/events"+query, "", "DH-Auth-Key", key)
	var l api.EventList
	if w.Code == 200 {
		if err := json.Unmarshal(w.Body.Bytes(), &l); err != nil {
			e.t.Fatalf("events: %v: %s", err, w.Body)
		}
	}
	return l, w
}

func eventIDs(evs []opendata.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

// The feed pages through the key's project's events, oldest first, and
// shows no other project's.
func TestEventsFeed(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		e := newEnv(t, func(o *envOptions) { o.rate, o.burst, o.store = 100, 100, &cfg })
		cfs, cfs2, dfo := e.key("CFS"), e.key("CFS"), e.key("DFO")
		var want []string
		for i, k := range []string{cfs, dfo, cfs2, cfs} {
			w := e.submit(k, validBody(map[string]any{"file_id": string(rune('a' + i))}))
			wantStatus(t, w, 200)
			if k != dfo {
				want = append(want, decode(t, w)["datahub_id"].(string))
			}
		}
		all, w := e.feed(cfs, "")
		wantStatus(t, w, 200)
		var got []string
		for _, ev := range all.Events {
			if ev.Type != opendata.EventReceived || ev.Data.State != opendata.StateInPreparation {
				t.Errorf("event %+v", ev)
			}
			got = append(got, ev.Data.DatahubID)
		}
		if !slices.Equal(got, want) || all.Next != all.Events[len(all.Events)-1].ID {
			t.Fatalf("feed %v (next %s), want %v", got, all.Next, want)
		}
		// Both keys of the project read the same feed; the other project its own.
		if other, _ := e.feed(cfs2, ""); !slices.Equal(eventIDs(other.Events), eventIDs(all.Events)) {
			t.Errorf("another key of the project reads %v", eventIDs(other.Events))
		}
		if other, _ := e.feed(dfo, ""); len(other.Events) != 1 || slices.Contains(eventIDs(all.Events), other.Events[0].ID) {
			t.Errorf("DFO reads %+v", other.Events)
		}
		// Pages of two; past the end, an empty page keeps the cursor.
		page, _ := e.feed(cfs, "?limit=2")
		if len(page.Events) != 2 || page.Next != page.Events[1].ID {
			t.Fatalf("first page %+v", page)
		}
		rest, _ := e.feed(cfs, "?limit=2&after="+page.Next)
		if !slices.Equal(append(eventIDs(page.Events), eventIDs(rest.Events)...), eventIDs(all.Events)) {
			t.Errorf("pages %v + %v, want %v", eventIDs(page.Events), eventIDs(rest.Events), eventIDs(all.Events))
		}
		end, _ := e.feed(cfs, "?after="+all.Next)
		if len(end.Events) != 0 || end.Next != all.Next {
			t.Errorf("past the end: %+v", end)
		}
		wantStatus(t, e.do("HEAD", "/api/opendata/events?limit=1", "", "DH-Auth-Key", cfs), 200)
	})
}

// A long poll is answered when an event comes, or empty when the time passes.
func TestEventsLongPoll(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, cfg store.Config) {
		e := newEnv(t, func(o *envOptions) { o.store = &cfg })
		key := e.key("CFS")
		start, _ := e.feed(key, "")
		var wg sync.WaitGroup
		var held api.EventList
		var status int
		wg.Add(1)
		go func() {
			defer wg.Done()
			var w *httptest.ResponseRecorder
			held, w = e.feed(key, "?wait=30s&after="+start.Next)
			status = w.Code
		}()
		time.Sleep(300 * time.Millisecond) // let the poll start waiting; it answers either way
		id := decode(t, e.submit(key, validBody(nil)))["datahub_id"].(string)
		wg.Wait()
		if status != 200 || len(held.Events) != 1 || held.Events[0].Data.DatahubID != id || held.Next != held.Events[0].ID {
			t.Fatalf("long poll: %d %+v", status, held)
		}
		// Nothing comes: an empty page that keeps the cursor, when the time is up.
		empty, w := e.feed(key, "?wait=1&after="+held.Next)
		if w.Code != 200 || len(empty.Events) != 0 || empty.Next != held.Next {
			t.Fatalf("empty long poll: %d %+v", w.Code, empty)
		}
	})
}

func TestEventsQueryProblems(t *testing.T) {
	e := newEnv(t, func(o *envOptions) { o.rate, o.burst = 100, 100 })
	key := e.key("CFS")
	for _, tt := range []struct{ query, field string }{
		{"?after=42", "after"},
		{"?after=evt_+00000000000000f", "after"},
		{"?limit=0", "limit"},
		{"?limit=501", "limit"},
		{"?limit=x", "limit"},
		{"?wait=61s", "wait"},
		{"?wait=-1s", "wait"},
		{"?wait=soon", "wait"},
	} {
		_, w := e.feed(key, tt.query)
		wantStatus(t, w, 400)
		if p := decode(t, w); p["code"] != "bad_query" || !slices.Equal(problemCodes(t, w), []string{tt.field + ":invalid_format"}) {
			t.Errorf("%s: %s", tt.query, w.Body)
		}
	}
	for _, q := range []string{"?limit=500", "?wait=0s", "?wait=0", "?after=&limit=1"} {
		if _, w := e.feed(key, q); w.Code != 200 {
			t.Errorf("%s: %d %s", q, w.Code, w.Body)
		}
	}
}
