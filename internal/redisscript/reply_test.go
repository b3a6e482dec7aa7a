package redisscript_test

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redisscript"
)

func TestAcquireReply(t *testing.T) {
	reply := func(v ...any) (redisscript.Try, error) {
		cmd := goredis.NewCmd(context.Background())
		cmd.SetVal(v)
		return redisscript.AcquireReply(cmd)
	}
	got, err := reply(int64(1), int64(42), int64(40))
	require.NoError(t, err)
	assert.Equal(t, redisscript.Try{OK: true, Fence: 42, Clock: 40}, got)

	got, err = reply(int64(0), int64(1500), "holder")
	require.NoError(t, err)
	assert.Equal(t, redisscript.Try{PTTL: 1500 * time.Millisecond, Owner: "holder"}, got)

	got, err = reply(int64(0), int64(-1), "holder")
	require.NoError(t, err)
	assert.Equal(t, redisscript.Try{PTTL: -1, Owner: "holder"}, got, "a key without a TTL")

	for _, bad := range [][]any{
		{}, {int64(1)}, {int64(1), int64(42)}, {"1", int64(2)}, {int64(1), "2"}, {int64(1), int64(2), "x"},
		{int64(1), int64(0), int64(5)}, {int64(1), int64(2), int64(3), int64(4)},
		{int64(0), int64(5)}, {int64(0), int64(5), int64(6)}, {int64(2), int64(5), "x"},
	} {
		_, err := reply(bad...)
		assert.ErrorContains(t, err, "acquire script returned", "%v", bad)
	}
}
