package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"reflect"
)

// cachingDriverName is modernc's SQLite driver with a statement cache per connection.
const cachingDriverName = "sqlite-stmtcache"

func init() {
	// database/sql keeps drivers in a process-wide registry; this is its only use here.
	probe, err := sql.Open("sqlite", "")
	if err != nil {
		panic(fmt.Sprintf("sqlite driver: %v", err))
	}
	sql.Register(cachingDriverName, cachingDriver{probe.Driver()})
	probe.Close()
}

// cachingDriver keeps each connection's prepared statements. database/sql
// prepares a statement for every call that is not made through a *sql.Stmt,
// River makes all of its calls that way, and in SQLite parsing a statement
// costs about as much as running a small insert.
type cachingDriver struct{ base driver.Driver }

func (d cachingDriver) Open(name string) (driver.Conn, error) {
	c, err := d.base.Open(name)
	if err != nil {
		return nil, err
	}
	sc, ok := c.(sqliteConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("sqlite connection %T lacks the expected methods", c)
	}
	return &cachingConn{base: sc, stmts: map[string]*cachedStmt{}}, nil
}

// sqliteConn is what modernc's connection offers and database/sql uses.
type sqliteConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// maxCachedStmts bounds a connection's cache; past it, idle statements are dropped.
const maxCachedStmts = 256

// cachingConn is used by one goroutine at a time (database/sql's contract).
type cachingConn struct {
	base  sqliteConn
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	stmt driver.Stmt
	busy bool // rows still open: a second use of the query gets its own statement
}

func (c *cachingConn) Prepare(q string) (driver.Stmt, error) { return c.base.Prepare(q) }
func (c *cachingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.base.PrepareContext(ctx, q)
}
func (c *cachingConn) Begin() (driver.Tx, error) { return c.base.Begin() } //nolint:staticcheck // required by driver.Conn
func (c *cachingConn) BeginTx(ctx context.Context, o driver.TxOptions) (driver.Tx, error) {
	return c.base.BeginTx(ctx, o)
}
func (c *cachingConn) Ping(ctx context.Context) error         { return c.base.Ping(ctx) }
func (c *cachingConn) ResetSession(ctx context.Context) error { return c.base.ResetSession(ctx) }
func (c *cachingConn) IsValid() bool                          { return c.base.IsValid() }

func (c *cachingConn) Close() error {
	for q, s := range c.stmts {
		s.stmt.Close()
		delete(c.stmts, q)
	}
	return c.base.Close()
}

// cached returns the connection's statement for q, or nil when it is in use.
func (c *cachingConn) cached(ctx context.Context, q string) (*cachedStmt, error) {
	if s := c.stmts[q]; s != nil {
		if s.busy {
			return nil, nil
		}
		return s, nil
	}
	if len(c.stmts) >= maxCachedStmts {
		for k, s := range c.stmts {
			if !s.busy {
				s.stmt.Close()
				delete(c.stmts, k)
			}
		}
	}
	st, err := c.base.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	s := &cachedStmt{stmt: st}
	c.stmts[q] = s
	return s, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.cached(ctx, q)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.base.ExecContext(ctx, q, args)
	}
	return s.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.cached(ctx, q)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.base.QueryContext(ctx, q, args)
	}
	rows, err := s.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{rows: rows, s: s}, nil
}

// cachedRows frees its statement for reuse when closed, and passes on the
// column type details that modernc's rows give.
type cachedRows struct {
	rows driver.Rows
	s    *cachedStmt
}

func (r *cachedRows) Columns() []string              { return r.rows.Columns() }
func (r *cachedRows) Next(dest []driver.Value) error { return r.rows.Next(dest) }
func (r *cachedRows) Close() error {
	err := r.rows.Close()
	r.s.busy = false
	return err
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *cachedRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}
