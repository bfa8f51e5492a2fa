package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// maxBatch bounds one group commit; larger batches gain little and delay the first writer.
const maxBatch = 256

var errClosed = errors.New("store is closed")

// committer runs write transactions on one connection. Writes that arrive
// while a commit is in flight are batched into the next transaction, each in
// its own savepoint, so that a durable commit (one fsync) serves many writers
// and one writer's failure does not undo the others.
type committer struct {
	db      *DB
	reqs    chan *writeReq
	quit    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
	batches atomic.Int64
	writes  atomic.Int64
}

type writeReq struct {
	ctx  context.Context
	fn   func(*Tx) error
	done chan error
}

var reqPool = sync.Pool{New: func() any { return &writeReq{done: make(chan error, 1)} }}

func newCommitter(db *DB) *committer {
	c := &committer{db: db, reqs: make(chan *writeReq, maxBatch), quit: make(chan struct{})}
	c.wg.Add(1)
	go c.loop()
	return c
}

func (c *committer) do(ctx context.Context, fn func(*Tx) error) error {
	r := reqPool.Get().(*writeReq)
	r.ctx, r.fn = ctx, fn
	select {
	case c.reqs <- r:
	case <-c.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, wait for the outcome even if ctx ends: the write may already be committed.
	err := <-r.done
	r.ctx, r.fn = nil, nil
	reqPool.Put(r)
	return err
}

func (c *committer) close() {
	c.once.Do(func() { close(c.quit) })
	c.wg.Wait()
}

func (c *committer) loop() {
	defer c.wg.Done()
	batch := make([]*writeReq, 0, maxBatch)
	errs := make([]error, 0, maxBatch)
	for {
		select {
		case r := <-c.reqs:
			batch = append(batch[:0], r)
		drain:
			for len(batch) < maxBatch {
				select {
				case r := <-c.reqs:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			errs = c.run(batch, errs[:0])
			for i, r := range batch {
				r.done <- errs[i]
			}
		case <-c.quit:
			// Finish what was queued before the close.
			for {
				select {
				case r := <-c.reqs:
					r.done <- c.run([]*writeReq{r}, nil)[0]
				default:
					return
				}
			}
		}
	}
}

// run executes a batch in one transaction and returns each request's outcome.
func (c *committer) run(batch []*writeReq, errs []error) []error {
	c.batches.Add(1)
	c.writes.Add(int64(len(batch)))
	ctx := context.Background() // one writer's cancellation must not abort the others
	tx, err := c.db.write.BeginTx(ctx, nil)
	if err != nil {
		return fill(errs, len(batch), fmt.Errorf("begin: %w", err))
	}
	ok := 0
	stmts := make(map[string]*sql.Stmt, 8)
	for _, r := range batch {
		errs = append(errs, c.runOne(ctx, &Tx{db: c.db, tx: tx, ctx: ctx, stmts: stmts}, r))
		if errs[len(errs)-1] == nil {
			ok++
		}
	}
	if ok == 0 {
		_ = tx.Rollback()
		return errs
	}
	if err := tx.Commit(); err != nil {
		return fill(errs[:0], len(batch), fmt.Errorf("commit: %w", err))
	}
	return errs
}

func (c *committer) runOne(ctx context.Context, t *Tx, r *writeReq) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	if _, err := t.Exec("SAVEPOINT w"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := r.fn(t); err != nil {
		if _, rbErr := t.Exec("ROLLBACK TO w"); rbErr != nil {
			return errors.Join(err, fmt.Errorf("rollback to savepoint: %w", rbErr))
		}
		_, _ = t.Exec("RELEASE w")
		return err
	}
	if _, err := t.Exec("RELEASE w"); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

func fill(errs []error, n int, err error) []error {
	for range n {
		errs = append(errs, err)
	}
	return errs
}

func (c *committer) stats() Stats {
	return Stats{Commits: c.batches.Load(), Writes: c.writes.Load()}
}
