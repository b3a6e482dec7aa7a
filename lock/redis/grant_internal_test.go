package redis

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestClaims: a waiter holds on a grant only when it answers the waiter's last answered
// try, whose sending the grant came after, and that leaves a quarter of the grant TTL.
func TestClaims(t *testing.T) {
	l := &Lock{b: &Backend{cfg: defaultConfig()}}
	a := &attempt{l: l, queued: true, last: 3, sent: time.Now(), grant: 3 * time.Second}
	assert.True(t, a.claims(&grant{try: 3}))
	assert.False(t, a.claims(&grant{try: 2}), "a grant for an earlier try may be older than the key's TTL")
	assert.False(t, a.claims(&grant{try: 4}), "a try that was never answered")
	a.sent = time.Now().Add(-2300 * time.Millisecond)
	assert.False(t, a.claims(&grant{try: 3}), "less than a quarter of the grant TTL left")
	a.sent = time.Now().Add(-2 * time.Second)
	assert.True(t, a.claims(&grant{try: 3}))
	a.queued = false
	assert.False(t, a.claims(&grant{try: 3}), "never queued")
}

func TestParseGrant(t *testing.T) {
	g, ok := parseGrant("tok 7 1732000000000001")
	assert.True(t, ok)
	assert.Equal(t, &grant{token: "tok", try: 7, fence: 1732000000000001}, g)
	for _, bad := range []string{"", "tok", "tok 7", "tok 7 1 2", "tok x 1", "tok 7 -1", "tok 7 1.7e15", "tok 7 18446744073709551616"} {
		_, ok := parseGrant(bad)
		assert.False(t, ok, "%q", bad)
	}
}
