package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// maxBatch bounds one group commit; larger batches gain little and delay the first writer.
const maxBatch = 256

var errClosed = errors.New("store is closed")

// committer runs write transactions on one connection. Writes that arrive
// while a commit is in flight are batched into the next transaction, so that a
// durable commit (one fsync) serves many writers; one writer's failure does
// not undo the others (see run). A write's function may run more than once and
// must not keep state across runs.
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
// It is optimistic: the writes run back to back without savepoints (which make
// SQLite copy every page they touch). When one fails, the transaction is rolled
// back, that write keeps its error, and the others run again without it: the
// same outcomes as savepoints, paid for only when something fails.
func (c *committer) run(batch []*writeReq, errs []error) []error {
	c.batches.Add(1)
	c.writes.Add(int64(len(batch)))
	pending := make([]int, 0, len(batch))
	for i, r := range batch {
		err := r.ctx.Err() // a writer that gave up before its turn writes nothing
		errs = append(errs, err)
		if err == nil {
			pending = append(pending, i)
		}
	}
	for len(pending) > 0 {
		failed, err := c.runTx(batch, pending)
		switch {
		case failed >= 0:
			errs[pending[failed]] = err
			pending = slices.Delete(pending, failed, failed+1)
		case err != nil: // begin or commit failed: nothing was written
			for _, i := range pending {
				errs[i] = err
			}
			return errs
		default:
			return errs
		}
	}
	return errs
}

// runTx runs the pending writes in one transaction. When a write fails it rolls
// back and returns that write's position in pending with its error; otherwise
// it returns -1 and the error of beginning or committing, if any.
func (c *committer) runTx(batch []*writeReq, pending []int) (int, error) {
	ctx := context.Background() // one writer's cancellation must not abort the others
	tx, err := c.db.write.BeginTx(ctx, nil)
	if err != nil {
		return -1, fmt.Errorf("begin: %w", err)
	}
	t := &Tx{db: c.db, tx: tx, ctx: ctx}
	for k, i := range pending {
		if err := batch[i].fn(t); err != nil {
			if rbErr := tx.Rollback(); rbErr != nil {
				err = errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
			}
			return k, err
		}
	}
	if err := t.enqueueEffects(); err != nil {
		_ = tx.Rollback()
		return -1, err
	}
	if err := tx.Commit(); err != nil {
		return -1, fmt.Errorf("commit: %w", err)
	}
	return -1, nil
}

func (c *committer) stats() Stats {
	return Stats{Commits: c.batches.Load(), Writes: c.writes.Load()}
}
