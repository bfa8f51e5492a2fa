package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// Failure says why a key was refused; the values are the API's problem codes.
type Failure string

// Reasons for refusing a key.
const (
	MissingToken Failure = "missing_token"
	InvalidToken Failure = "invalid_token" // malformed, forged or unknown
	ExpiredToken Failure = "expired_token"
	RevokedToken Failure = "revoked_token"
)

// Source is what the keyring needs of the store.
type Source interface {
	Keys(ctx context.Context) ([]opendata.APIKey, error)
	KeyEpoch() uint64
	TouchKeys(ctx context.Context, used map[string]time.Time) error
}

// Client is an authenticated API key.
type Client struct {
	opendata.APIKey
	hash     [32]byte
	Limiter  *rate.Limiter // nil when rate limiting is off
	lastUsed atomic.Int64  // Unix seconds, flushed to the store in the background
	flushed  atomic.Int64
}

// Keyring holds every key in memory and reloads them when the store's key
// epoch moves, so a key check costs no database round trip and a key revoked
// by any process fails on the next request.
type Keyring struct {
	src    Source
	secret []byte
	limit  rate.Limit
	burst  int
	now    func() time.Time

	loaded  atomic.Uint64        // the epoch the current keys were read at, plus one (0: never)
	mu      sync.Mutex           // serializes reloads
	unknown map[string]time.Time // genuine prefixes looked up and not found, by when
	clients atomic.Pointer[map[string]*Client]
}

// NewKeyring loads the keys. limit is requests per second per key (0: no limit).
func NewKeyring(ctx context.Context, src Source, secret []byte, limit float64, burst int) (*Keyring, error) {
	k := &Keyring{src: src, secret: secret, limit: rate.Limit(limit), burst: burst, now: time.Now,
		unknown: map[string]time.Time{}}
	empty := map[string]*Client{}
	k.clients.Store(&empty)
	if err := k.reload(ctx); err != nil {
		return nil, err
	}
	return k, nil
}

// Authenticate checks a key. It returns the client, or the reason for refusing
// it; an error means the keys could not be reloaded.
func (k *Keyring) Authenticate(ctx context.Context, key string) (*Client, Failure, error) {
	if key == "" {
		return nil, MissingToken, nil
	}
	if !WellFormed(key) {
		return nil, InvalidToken, nil
	}
	if k.loaded.Load() != k.src.KeyEpoch()+1 {
		if err := k.reload(ctx); err != nil {
			return nil, "", err
		}
	}
	c := (*k.clients.Load())[key[:PrefixLen]]
	if c == nil && k.mintedHere(key) {
		// A genuine key this process has not heard of yet (another replica's
		// notification is on its way): one read settles it.
		if err := k.forceReload(ctx, key[:PrefixLen]); err != nil {
			return nil, "", err
		}
		c = (*k.clients.Load())[key[:PrefixLen]]
	}
	var buf [keyLen]byte // hashing from an array keeps the key off the heap
	copy(buf[:], key)
	h := sha256.Sum256(buf[:])
	if c == nil || subtle.ConstantTimeCompare(h[:], c.hash[:]) != 1 {
		return nil, InvalidToken, nil
	}
	now := k.now()
	switch {
	case c.RevokedAt != nil:
		return nil, RevokedToken, nil
	case c.ExpiresAt != nil && !now.Before(*c.ExpiresAt):
		return nil, ExpiredToken, nil
	}
	if s := now.Unix(); c.lastUsed.Load() != s {
		c.lastUsed.Store(s)
	}
	return c, "", nil
}

// mintedHere reports whether a well-formed key carries this service's checksum.
func (k *Keyring) mintedHere(key string) bool { return ChecksumValid(k.secret, key) }

// unknownTTL is how long a genuine but unknown prefix is not looked up again,
// so that a key minted and never stored cannot make every request read.
const unknownTTL = time.Second

// forceReload reloads the keys for an unknown prefix, at most once per unknownTTL.
func (k *Keyring) forceReload(ctx context.Context, prefix string) error {
	now := k.now()
	k.mu.Lock()
	if at, ok := k.unknown[prefix]; ok && now.Sub(at) < unknownTTL {
		k.mu.Unlock()
		return nil
	}
	if len(k.unknown) > 1024 {
		clear(k.unknown)
	}
	k.unknown[prefix] = now
	k.loaded.Store(0) // make reload read even if the epoch did not move
	k.mu.Unlock()
	return k.reload(ctx)
}

// Forged reports whether a well-formed key fails its checksum: it was not
// minted here (or was mistyped). Useful to tell forgeries apart in metrics.
func (k *Keyring) Forged(key string) bool { return WellFormed(key) && !ChecksumValid(k.secret, key) }

func (k *Keyring) reload(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	epoch := k.src.KeyEpoch()
	if k.loaded.Load() == epoch+1 {
		return nil // another request reloaded while this one waited
	}
	keys, err := k.src.Keys(ctx)
	if err != nil {
		return fmt.Errorf("reload keys: %w", err)
	}
	old := *k.clients.Load()
	next := make(map[string]*Client, len(keys))
	for _, rec := range keys {
		c := &Client{APIKey: rec}
		copy(c.hash[:], rec.Hash)
		if prev := old[rec.Prefix]; prev != nil {
			c.Limiter = prev.Limiter // keep the bucket's state across reloads
			c.lastUsed.Store(prev.lastUsed.Load())
			c.flushed.Store(prev.flushed.Load())
		} else if k.limit > 0 {
			c.Limiter = rate.NewLimiter(k.limit, k.burst)
		}
		next[rec.Prefix] = c
	}
	k.clients.Store(&next)
	k.loaded.Store(epoch + 1)
	return nil
}

// FlushLastUsed writes the keys' last-used times to the store (the server
// calls it every few seconds and at shutdown, not on every request).
func (k *Keyring) FlushLastUsed(ctx context.Context) error {
	used := map[string]time.Time{}
	var pending []*Client
	for prefix, c := range *k.clients.Load() {
		if at := c.lastUsed.Load(); at > c.flushed.Load() {
			used[prefix] = time.Unix(at, 0)
			pending = append(pending, c)
		}
	}
	if err := k.src.TouchKeys(ctx, used); err != nil {
		return err
	}
	for _, c := range pending {
		c.flushed.Store(used[c.Prefix].Unix())
	}
	return nil
}
