package store_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opendata-datahub/datahub/internal/opendata"
	"github.com/opendata-datahub/datahub/internal/store"
)

func TestFaultCodes(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, opendata.EUNAVAILABLE},
		{"cannot connect now", fmt.Errorf("get: %w", &pgconn.PgError{Code: "57P03"}), opendata.EUNAVAILABLE},
		{"connection failure", &pgconn.PgError{Code: "08006"}, opendata.EUNAVAILABLE},
		{"too many connections", &pgconn.PgError{Code: "53300"}, opendata.EUNAVAILABLE},
		{"disk full", &pgconn.PgError{Code: "53100"}, opendata.ESTORAGEFULL},
		{"connection refused", &fs.PathError{Op: "dial", Err: syscall.ECONNREFUSED}, opendata.EUNAVAILABLE},
		{"no space on a file", fmt.Errorf("save upload: %w", &fs.PathError{Op: "write", Err: syscall.ENOSPC}), opendata.ESTORAGEFULL},
		{"a unique violation stays internal", &pgconn.PgError{Code: "23505"}, opendata.EINTERNAL},
		{"the caller gone stays internal", fmt.Errorf("list: %w", context.Canceled), opendata.EINTERNAL},
		{"a coded error keeps its code", opendata.Errorf(opendata.ENOTFOUND, "no"), opendata.ENOTFOUND},
		{"any other error", errors.New("boom"), opendata.EINTERNAL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := store.Fault(tc.err)
			if got := opendata.ErrorCode(err); got != tc.want {
				t.Errorf("code %q, want %q (err %v)", got, tc.want, err)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("%v lost its cause %v", err, tc.err)
			}
		})
	}
}
