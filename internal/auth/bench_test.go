package auth

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hfserve/internal/respcache/redistest"
)

// BenchmarkAuthenticate measures a request's key check, which decided the
// cache: see DefaultCacheTTL.
func BenchmarkAuthenticate(b *testing.B) {
	for _, store := range []struct {
		name string
		open func(b *testing.B) Store
	}{
		{"sqlite", func(b *testing.B) Store { return openTestSQLite(b) }},
		{"redis", func(b *testing.B) Store { return openTestRedis(b, redistest.Start(b)) }},
	} {
		for _, ttl := range []struct {
			name string
			ttl  time.Duration
		}{{"uncached", -1}, {"cached", 0}} {
			b.Run(fmt.Sprintf("%s/%s", store.name, ttl.name), func(b *testing.B) {
				s := store.open(b)
				m := NewManager(s, ManagerOptions{CacheTTL: ttl.ttl})
				ctx := context.Background()
				var secret string
				for i := range 300 { // a table of some size, not one row
					_, sec, err := m.Create(ctx, KeySpec{Name: fmt.Sprintf("bench %d", i)})
					if err != nil {
						b.Fatal(err)
					}
					secret = sec
				}
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := m.Authenticate(ctx, secret); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}
