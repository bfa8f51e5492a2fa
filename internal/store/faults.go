package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"
	"modernc.org/sqlite"

	"github.com/opendata-datahub/datahub/internal/opendata"
)

// SQLite's primary result codes that say the database cannot take the write now.
const (
	sqliteBusy   = 5
	sqliteLocked = 6
	sqliteIOErr  = 10
	sqliteFull   = 13
)

// Fault gives err the domain code of the fault it shows, so that every
// adapter answers it alike: opendata.EUNAVAILABLE when the database cannot be
// reached or is shutting down, opendata.ESTORAGEFULL when it or the data
// directory has no space left. Any other error comes back unchanged; the
// cause stays in the chain for the logs.
func Fault(err error) error {
	if err == nil || opendata.ErrorCode(err) != opendata.EINTERNAL {
		return err
	}
	switch {
	case storageFull(err):
		return fmt.Errorf("%w: %w", &opendata.Error{Code: opendata.ESTORAGEFULL, Message: "No space left for the data."}, err)
	case unreachable(err):
		return fmt.Errorf("%w: %w", &opendata.Error{Code: opendata.EUNAVAILABLE, Message: "The database is unavailable."}, err)
	}
	return err
}

func storageFull(err error) bool {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqliteFull {
		return true
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "53100" // disk_full
}

func unreachable(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqliteBusy, sqliteLocked, sqliteIOErr:
			return true
		}
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P01-03: the server is shutting down
		// or starting; class 53 (other than disk_full): out of resources.
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "53") ||
			pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) ||
		errors.Is(err, puddle.ErrClosedPool) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err) ||
		// A store call cut short by its own deadline (a pool waiting for a
		// connection), not by the caller going away.
		errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled)
}
