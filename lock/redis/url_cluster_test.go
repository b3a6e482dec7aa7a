package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

func TestParseClusterURL(t *testing.T) {
	co, err := redislock.ParseClusterURL("redis+cluster://u:pw@10.0.0.1:7000?addr=10.0.0.2:7001&addr=10.0.0.3:7002&prefix=p:&lease=5s&dial_timeout=2s")
	require.NoError(t, err)
	assert.Equal(t, []string{"10.0.0.1:7000", "10.0.0.2:7001", "10.0.0.3:7002"}, co.Addrs)
	assert.Equal(t, "u", co.Username)
	assert.Equal(t, "pw", co.Password)
	assert.Equal(t, 2*time.Second, co.DialTimeout)
	assert.Nil(t, co.TLSConfig)
	assert.True(t, co.ContextTimeoutEnabled, "calls honour ctx deadlines")

	co, err = redislock.ParseClusterURL("rediss+cluster://10.0.0.1:7000")
	require.NoError(t, err)
	assert.NotNil(t, co.TLSConfig, "rediss+cluster is TLS")
}

func TestParseSentinelURL(t *testing.T) {
	fo, err := redislock.ParseSentinelURL("redis+sentinel://su:spw@10.0.0.1:26379/2?master_name=m&addr=10.0.0.2:26379&password=mpw&prefix=p:&lease=5s&read_timeout=1s")
	require.NoError(t, err)
	assert.Equal(t, "m", fo.MasterName)
	assert.Equal(t, []string{"10.0.0.1:26379", "10.0.0.2:26379"}, fo.SentinelAddrs)
	assert.Equal(t, "su", fo.SentinelUsername)
	assert.Equal(t, "spw", fo.SentinelPassword)
	assert.Equal(t, "mpw", fo.Password)
	assert.Equal(t, 2, fo.DB)
	assert.Equal(t, time.Second, fo.ReadTimeout)
	assert.True(t, fo.ContextTimeoutEnabled, "calls honour ctx deadlines")
}

// TestOpenClusterAndSentinelURLBad: bad URLs of the two schemes are ErrInvalid errors that
// say what is wrong, and never repeat a password. None of them reaches a server.
func TestOpenClusterAndSentinelURLBad(t *testing.T) {
	bad := []struct {
		url  string
		says []string
	}{
		{"redis+cluster://127.0.0.1:1?frobnicate=1", []string{"frobnicate"}},
		{"redis+cluster://u:s3cret@127.0.0.1:1?frobnicate=1&addr=127.0.0.1:2", []string{"frobnicate"}},
		{"redis+cluster://127.0.0.1:1?addr=nonsense", []string{"addr", "nonsense"}},
		{"redis+cluster://127.0.0.1:1?lease=soon", []string{"lease", "soon"}},
		{"redis+cluster://127.0.0.1:1?prefix=a&prefix=b", []string{"prefix"}},
		{"redis+cluster://127.0.0.1:1?dial_timeout=banana", []string{"dial_timeout"}},
		{"redis+cluster://?addr=127.0.0.1:2", []string{"host"}},
		{"redis+sentinel://127.0.0.1:1", []string{"master_name"}},
		{"redis+sentinel://u:s3cret@127.0.0.1:1?master_name=m&password=hunter2&frobnicate=1", []string{"frobnicate"}},
		{"redis+sentinel://127.0.0.1:1/x?master_name=m", []string{"database"}},
		{"redis+sentinel://127.0.0.1:1?master_name=m&replica_only=true", []string{"replica_only"}},
		{"redis+sentinel://127.0.0.1:1?master_name=m&lease=0s", []string{"lease"}},
		{"redis+sentinel://127.0.0.1:1?master_name=m&addr=nonsense:", []string{"addr"}},
	}
	for _, c := range bad {
		_, err := lock.Open(context.Background(), c.url)
		if !assert.ErrorIs(t, err, lock.ErrInvalid, c.url) {
			continue
		}
		for _, s := range c.says {
			assert.Contains(t, err.Error(), s, c.url)
		}
		assert.NotContains(t, err.Error(), "s3cret", "a password in an error")
		assert.NotContains(t, err.Error(), "hunter2", "a password in an error")
	}
}
