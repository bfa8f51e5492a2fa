package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkCreateSubmission measures durable submission writes from many
// concurrent writers: on SQLite they share group commits.
func BenchmarkCreateSubmission(b *testing.B) {
	for _, d := range testDialects() {
		b.Run(d.name, func(b *testing.B) {
			ctx := context.Background()
			db := opener(b, d.fresh(b))()
			var n atomic.Int64
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					s := newSubmission(fmt.Sprintf("id-%d", i), "CFS", fmt.Sprintf("f%d", i))
					if err := db.CreateSubmission(ctx, s, nil); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "submissions/s")
			st := db.Stats()
			b.ReportMetric(float64(st.Writes)/float64(max(st.Commits, 1)), "writes/commit")
		})
	}
}
