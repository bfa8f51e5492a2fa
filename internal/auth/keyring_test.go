package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
	"github.com/opendata-datahub/datahub/internal/store/storetest"
)

// openStore opens and migrates a SQLite store in dir, closed when the test ends.
// Two handles on one dir behave as two processes sharing the database.
func openStore(tb testing.TB, dir string) *store.DB {
	tb.Helper()
	return storetest.Open(tb, store.Config{DataDir: dir})
}

// fixture is a keyring on a real SQLite store in a temporary directory.
type fixture struct {
	dir    string
	db     *store.DB
	secret []byte
	kr     *Keyring
}

func newFixture(tb testing.TB, limit float64, burst int) *fixture {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	db := openStore(tb, dir)
	secret, err := db.Secret(ctx, SecretName)
	if err != nil {
		tb.Fatal(err)
	}
	kr, err := NewKeyring(ctx, db, secret, limit, burst)
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{dir: dir, db: db, secret: secret, kr: kr}
}

// create mints a key, lets edit change its record, and stores it through db
// (the fixture's store when db is nil).
func (f *fixture) create(tb testing.TB, db *store.DB, edit func(*opendata.APIKey)) (string, *opendata.APIKey) {
	tb.Helper()
	if db == nil {
		db = f.db
	}
	key, rec := NewKey(f.secret, "proj", "client", "contact@example.gc.ca", nil, time.Now())
	if edit != nil {
		edit(rec)
	}
	if err := db.CreateKey(context.Background(), rec); err != nil {
		tb.Fatal(err)
	}
	return key, rec
}

// storedKey returns the store's record of the key with prefix.
func storedKey(tb testing.TB, db *store.DB, prefix string) opendata.APIKey {
	tb.Helper()
	keys, err := db.Keys(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	for _, k := range keys {
		if k.Prefix == prefix {
			return k
		}
	}
	tb.Fatalf("no stored key %s", prefix)
	return opendata.APIKey{}
}

// sharedHashStart returns a well-formed key with key's prefix, another rest,
// and a hash whose first n bytes are key's: a comparison of part of the hash would accept it.
func sharedHashStart(tb testing.TB, key string, n int) string {
	tb.Helper()
	want := Hash(key)
	for range 1 << (8*n + 6) { // fails with odds of about e^-64
		candidate := key[:PrefixLen] + mint(tb)[PrefixLen:]
		if h := Hash(candidate); candidate != key && string(h[:n]) == string(want[:n]) {
			return candidate
		}
	}
	tb.Fatal("no near miss found")
	return ""
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 0, 0)
	// The store keeps microseconds; a fake clock on a microsecond makes "exactly now" exact.
	now := time.Now().UTC().Truncate(time.Second).Add(123456 * time.Microsecond)
	f.kr.now = func() time.Time { return now }
	at := func(d time.Duration) func(*opendata.APIKey) {
		return func(r *opendata.APIKey) { e := now.Add(d); r.ExpiresAt = &e }
	}

	valid, validRec := f.create(t, nil, nil)
	notYet, _ := f.create(t, nil, at(time.Microsecond))
	expiredPast, _ := f.create(t, nil, at(-time.Hour))
	expiredNow, _ := f.create(t, nil, at(0))
	revoked, revokedRec := f.create(t, nil, nil)
	revokedExpired, revokedExpiredRec := f.create(t, nil, at(-time.Hour))
	for _, p := range []string{revokedRec.Prefix, revokedExpiredRec.Prefix} {
		if err := f.db.RevokeKey(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	unknown, _ := NewKey(f.secret, "proj", "client", "c@example.gc.ca", nil, now) // minted, never stored
	other := mint(t)
	wrongRest := valid[:PrefixLen] + other[PrefixLen:] // a stored prefix, another key's rest
	nearMiss := sharedHashStart(t, valid, 2)
	badChecksum := replaceAt(valid, len(valid)-1, otherKeyChar(valid[len(valid)-1]))
	// A key whose stored record carries another key's hash.
	swapped, _ := f.create(t, nil, func(r *opendata.APIKey) { h := Hash(other); r.Hash = h[:] })

	tests := []struct {
		name string
		key  string
		want Failure
	}{
		{"valid", valid, ""},
		{"expires a microsecond from now", notYet, ""},
		{"missing", "", MissingToken},
		{"malformed: short", valid[:40], InvalidToken},
		{"malformed: long", valid + "a", InvalidToken},
		{"malformed: upper case", strings.ToUpper(valid), InvalidToken},
		{"malformed: bearer scheme", "Bearer " + valid[:56], InvalidToken},
		{"malformed: whitespace", " " + valid[:62], InvalidToken},
		{"malformed: digit 0", replaceAt(valid, 20, "0"), InvalidToken},
		{"malformed: prefix only", validRec.Prefix, InvalidToken},
		{"unknown but validly minted", unknown, InvalidToken},
		{"right prefix, wrong rest", wrongRest, InvalidToken},
		{"right prefix, one character changed", badChecksum, InvalidToken},
		{"right prefix, hash sharing its first two bytes", nearMiss, InvalidToken},
		{"stored hash of another key", swapped, InvalidToken},
		{"expired an hour ago", expiredPast, ExpiredToken},
		{"expires exactly now", expiredNow, ExpiredToken},
		{"revoked", revoked, RevokedToken},
		{"revoked and expired", revokedExpired, RevokedToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fail, err := f.kr.Authenticate(ctx, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if fail != tt.want {
				t.Fatalf("failure = %q, want %q", fail, tt.want)
			}
			if tt.want != "" {
				if c != nil {
					t.Errorf("refused key returned client %s", c.Prefix)
				}
				return
			}
			if c == nil {
				t.Fatal("accepted key returned no client")
			}
			if c.Prefix != tt.key[:PrefixLen] || c.Project != "PROJ" || c.Client != "client" {
				t.Errorf("client = %+v", c.APIKey)
			}
			if c.Limiter != nil {
				t.Error("rate limit 0 gave a limiter")
			}
		})
	}

	// An hour later the key that was not yet expired is.
	now = now.Add(time.Hour)
	if _, fail, _ := f.kr.Authenticate(ctx, notYet); fail != ExpiredToken {
		t.Errorf("an hour on: failure = %q, want %q", fail, ExpiredToken)
	}
}

// A key created or revoked by another process (a second store handle on the
// same directory) counts on the next request, without a restart.
func TestAuthenticateFollowsOtherHandle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 0, 0)
	other := openStore(t, f.dir) // opened after the keyring loaded

	key, rec := NewKey(f.secret, "proj", "client", "c@example.gc.ca", nil, time.Now())
	if _, fail, err := f.kr.Authenticate(ctx, key); err != nil || fail != InvalidToken {
		t.Fatalf("before creation: %q, %v; want %q", fail, err, InvalidToken)
	}
	if err := other.CreateKey(ctx, rec); err != nil {
		t.Fatal(err)
	}
	c, fail, err := f.kr.Authenticate(ctx, key)
	if err != nil || fail != "" || c == nil {
		t.Fatalf("after creation elsewhere: %q, %v; want accepted", fail, err)
	}
	if err := other.RevokeKey(ctx, rec.Prefix); err != nil {
		t.Fatal(err)
	}
	if _, fail, err := f.kr.Authenticate(ctx, key); err != nil || fail != RevokedToken {
		t.Fatalf("after revocation elsewhere: %q, %v; want %q", fail, err, RevokedToken)
	}

	// And the other way: a key created here, seen by a keyring on the other handle.
	kr2, err := NewKeyring(ctx, other, f.secret, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	key2, rec2 := f.create(t, nil, nil)
	if _, fail, err := kr2.Authenticate(ctx, key2); err != nil || fail != "" {
		t.Fatalf("second keyring, new key: %q, %v; want accepted", fail, err)
	}
	if err := f.db.RevokeKey(ctx, rec2.Prefix); err != nil {
		t.Fatal(err)
	}
	if _, fail, err := kr2.Authenticate(ctx, key2); err != nil || fail != RevokedToken {
		t.Fatalf("second keyring, revoked key: %q, %v; want %q", fail, err, RevokedToken)
	}
}

// A reload that fails reports an error rather than a refusal, and the next
// call retries it.
func TestAuthenticateReloadError(t *testing.T) {
	f := newFixture(t, 0, 0)
	key, _ := f.create(t, nil, nil) // moves the epoch: the next call reloads
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	c, fail, err := f.kr.Authenticate(canceled, key)
	if err == nil || !errors.Is(err, context.Canceled) || c != nil || fail != "" {
		t.Fatalf("canceled reload: %v, %q, %v; want context.Canceled", c, fail, err)
	}
	if _, fail, err := f.kr.Authenticate(context.Background(), key); err != nil || fail != "" {
		t.Fatalf("retry: %q, %v; want accepted", fail, err)
	}
	// Failures that need no reload do not touch the store.
	if _, fail, err := f.kr.Authenticate(canceled, ""); err != nil || fail != MissingToken {
		t.Fatalf("missing with canceled context: %q, %v", fail, err)
	}
	if _, err := NewKeyring(canceled, f.db, f.secret, 0, 0); err == nil {
		t.Fatal("NewKeyring with a canceled context succeeded")
	}
}

func TestLimiter(t *testing.T) {
	tests := []struct {
		name  string
		limit float64
		burst int
		nil   bool
	}{
		{"off", 0, 10, true},
		{"negative is off", -1, 10, true},
		{"on", 5, 7, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.limit, tt.burst)
			key, _ := f.create(t, nil, nil)
			c, fail, err := f.kr.Authenticate(context.Background(), key)
			if err != nil || fail != "" {
				t.Fatalf("%q, %v", fail, err)
			}
			if (c.Limiter == nil) != tt.nil {
				t.Fatalf("Limiter = %v, want nil: %v", c.Limiter, tt.nil)
			}
			if c.Limiter != nil && (float64(c.Limiter.Limit()) != tt.limit || c.Limiter.Burst() != tt.burst) {
				t.Errorf("limiter %v/%d, want %v/%d", c.Limiter.Limit(), c.Limiter.Burst(), tt.limit, tt.burst)
			}
		})
	}
}

// A reload keeps each key's token bucket: creating a key does not refill the others.
func TestLimiterSurvivesReload(t *testing.T) {
	ctx := context.Background()
	const burst = 3
	f := newFixture(t, 0.001, burst) // one token every 1000 s: none come back during the test
	key, _ := f.create(t, nil, nil)
	c, _, err := f.kr.Authenticate(ctx, key)
	if err != nil || c == nil {
		t.Fatal(c, err)
	}
	for i := range burst {
		if !c.Limiter.Allow() {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	if c.Limiter.Allow() {
		t.Fatal("request past the burst allowed")
	}

	newKey, _ := f.create(t, openStore(t, f.dir), nil) // through another handle, for good measure
	c2, fail, err := f.kr.Authenticate(ctx, key)
	if err != nil || fail != "" {
		t.Fatalf("%q, %v", fail, err)
	}
	if c2 == c {
		t.Fatal("the keyring did not reload")
	}
	if c2.Limiter != c.Limiter {
		t.Error("the reload replaced the key's limiter")
	}
	if c2.Limiter.Allow() {
		t.Error("the reload refilled the exhausted key's bucket")
	}
	n, _, err := f.kr.Authenticate(ctx, newKey)
	if err != nil || n == nil {
		t.Fatal(err)
	}
	if n.Limiter == nil || n.Limiter == c.Limiter || !n.Limiter.Allow() {
		t.Error("the new key has no fresh bucket of its own")
	}
}

func TestFlushLastUsed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 0, 0)
	key, rec := f.create(t, nil, nil)
	_, idle := f.create(t, nil, nil)
	clock := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	f.kr.now = func() time.Time { return clock }
	use := func(at time.Time) {
		t.Helper()
		clock = at
		if _, fail, err := f.kr.Authenticate(ctx, key); err != nil || fail != "" {
			t.Fatalf("%q, %v", fail, err)
		}
	}
	flush := func() {
		t.Helper()
		if err := f.kr.FlushLastUsed(ctx); err != nil {
			t.Fatal(err)
		}
	}
	lastUsed := func(prefix string) *time.Time {
		t.Helper()
		return storedKey(t, f.db, prefix).LastUsedAt
	}
	want := func(step string, w time.Time) {
		t.Helper()
		if got := lastUsed(rec.Prefix); got == nil || !got.Equal(w) {
			t.Fatalf("%s: last_used_at = %v, want %v", step, got, w)
		}
	}
	// erase clears last_used_at behind the keyring's back, so that a rewrite shows.
	erase := func() {
		t.Helper()
		if _, err := f.db.SQL().ExecContext(ctx, `UPDATE api_keys SET last_used_at = NULL`); err != nil {
			t.Fatal(err)
		}
	}
	wantNone := func(step string) {
		t.Helper()
		if got := lastUsed(rec.Prefix); got != nil {
			t.Fatalf("%s: last_used_at = %v, want none (rewritten)", step, got)
		}
	}

	flush() // nothing used yet: nothing written
	wantNone("before use")

	t0 := clock
	use(t0.Add(400 * time.Millisecond))
	flush()
	want("first flush", t0) // whole seconds
	if got := lastUsed(idle.Prefix); got != nil {
		t.Errorf("an unused key got last_used_at %v", got)
	}

	erase()
	flush()
	wantNone("second flush, no use since")

	use(t0.Add(900 * time.Millisecond)) // same second
	flush()
	wantNone("flush after a use in the same second")

	t1 := t0.Add(5 * time.Second)
	use(t1)
	flush()
	want("after a later use", t1)

	// The clock steps back: the earlier time is neither sent nor stored.
	use(t0.Add(-time.Hour))
	flush()
	want("after a use with the clock set back", t1)
	erase()
	flush()
	wantNone("flush after the clock went back")

	// Last-used and flushed times survive a reload.
	// (reloadWith authenticates another, new key, which reloads the keyring.)
	reloadWith := func() {
		t.Helper()
		k, _ := f.create(t, nil, nil) // moves the epoch
		if _, fail, err := f.kr.Authenticate(ctx, k); err != nil || fail != "" {
			t.Fatalf("%q, %v", fail, err)
		}
	}
	t2 := t1.Add(time.Minute)
	use(t2)
	reloadWith()
	flush()
	want("used before a reload", t2)
	erase()
	reloadWith()
	flush()
	wantNone("flush after a reload, nothing new")

	// The store itself refuses to move a time back, whoever writes it.
	if err := f.db.TouchKeys(ctx, map[string]time.Time{rec.Prefix: t2.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	use(t2.Add(time.Minute))
	flush()
	want("flush of a time earlier than the stored one", t2.Add(time.Hour))
}

func TestForged(t *testing.T) {
	f := newFixture(t, 0, 0)
	key, _ := f.create(t, nil, nil)
	otherSecretKey, _ := NewKey(otherSecret, "p", "c", "x@example.gc.ca", nil, time.Now())
	unstored, _ := NewKey(f.secret, "p", "c", "x@example.gc.ca", nil, time.Now())
	tests := []struct {
		name string
		key  string
		want bool
	}{
		{"stored key", key, false},
		{"minted here, never stored", unstored, false},
		{"minted with another secret", otherSecretKey, true},
		{"one character changed", replaceAt(key, 20, otherKeyChar(key[20])), true},
		{"checksum changed", replaceAt(key, 62, otherKeyChar(key[62])), true},
		{"made up", "dh_" + strings.Repeat("a", 60), true},
		{"empty: not forged, missing", "", false},
		{"malformed: not forged, invalid", "dh_short", false},
		{"malformed, right length", strings.ToUpper(key), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.kr.Forged(tt.key); got != tt.want {
				t.Errorf("Forged(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

// Requests authenticate while another handle creates and revokes keys and the
// keyring flushes; run with -race.
func TestAuthenticateConcurrentReloads(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, 1000, 1000)
	key, _ := f.create(t, nil, nil)
	other := openStore(t, f.dir)

	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, fail, err := f.kr.Authenticate(ctx, key)
				if err != nil || fail != "" || c == nil {
					errs <- fmt.Errorf("failure %q, error %v", fail, err)
					return
				}
				c.Limiter.Allow()
			}
		})
	}
	for range 20 {
		_, rec := f.create(t, other, nil)
		if err := other.RevokeKey(ctx, rec.Prefix); err != nil {
			t.Error(err)
		}
		if err := f.kr.FlushLastUsed(ctx); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("authentication failed during reloads: %v", err)
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	f := newFixture(b, 0, 0)
	for range 100 { // a keyring of realistic size
		f.create(b, nil, nil)
	}
	key, _ := f.create(b, nil, nil)
	if _, fail, err := f.kr.Authenticate(ctx, key); err != nil || fail != "" {
		b.Fatal(fail, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, fail, err := f.kr.Authenticate(ctx, key); err != nil || fail != "" {
				b.Error(fail, err)
				return
			}
		}
	})
}
