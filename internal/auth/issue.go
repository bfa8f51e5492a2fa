package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// KeyStore is what issuing a key needs of the store (*store.DB is one).
type KeyStore interface {
	Secret(ctx context.Context, name string) ([]byte, error)
	CreateKey(ctx context.Context, k *opendata.APIKey) error
}

// IssueKey is the one way a key is made, for the command line and the admin
// page: it checks the request (EINVALID), mints a key under the server's
// checksum secret and stores its hash. It returns the key, to be shown once,
// and the stored record.
func IssueKey(ctx context.Context, ks KeyStore, req opendata.KeyRequest, now time.Time) (string, *opendata.APIKey, error) {
	req.Project, req.Client = opendata.NormProject(req.Project), strings.TrimSpace(req.Client)
	if err := opendata.FieldsError("key request", req.Validate(now)); err != nil {
		return "", nil, err
	}
	secret, err := ks.Secret(ctx, SecretName)
	if err != nil {
		return "", nil, fmt.Errorf("issue key: %w", err)
	}
	for attempt := 0; ; attempt++ {
		key, rec := NewKey(secret, req.Project, req.Client, req.Contact, req.ExpiresAt, now)
		err := ks.CreateKey(ctx, rec)
		if opendata.ErrorCode(err) == opendata.ECONFLICT && attempt < 3 {
			continue // a prefix collision: mint another
		}
		if err != nil {
			return "", nil, fmt.Errorf("issue key: %w", err)
		}
		return key, rec, nil
	}
}
