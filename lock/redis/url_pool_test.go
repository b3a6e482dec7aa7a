package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/batonlock/baton/lock"
	_ "github.com/batonlock/baton/lock/quorum"
)

// TestHostilePoolSizesRefused: README promises "nothing panics on user input", but query
// values go-redis parses as plain ints reach NewClient, which panics on a pool size that
// does not fit an int32 (and on a negative one). Open should return an ErrInvalid error.
func TestHostilePoolSizesRefused(t *testing.T) {
	var urls []string
	for _, base := range []string{
		"redis://127.0.0.1:1/0",
		"redis+cluster://127.0.0.1:1",
		"redis+sentinel://127.0.0.1:1?master_name=m",
		"redis+quorum://127.0.0.1:1,127.0.0.1:2,127.0.0.1:3",
	} {
		for _, q := range []string{"pool_size=3000000000", "pool_size=-1", "min_idle_conns=3000000000", "max_active_conns=-5"} {
			sep := "?"
			if base[len(base)-1] == 'm' {
				sep = "&"
			}
			urls = append(urls, base+sep+q+"&dial_timeout=200ms")
		}
	}
	for _, raw := range urls {
		panicked := func() (p any) {
			defer func() { p = recover() }()
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			b, err := lock.Open(ctx, raw)
			if err == nil {
				_ = b.Close()
			}
			return nil
		}()
		assert.Nil(t, panicked, "%s panics", raw)
	}
}
