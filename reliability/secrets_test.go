package reliability_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/batonlock/baton/lock"
)

// TestOpenNeverShowsAPassword: whatever is wrong with a URL, its error never shows a
// password, given as userinfo or as the password query key (which go-redis accepts).
func TestOpenNeverShowsAPassword(t *testing.T) {
	const pw = "hunter2hunter2"
	for _, raw := range []string{
		"redis://u:" + pw + "@" + nowhere + "/0?frobnicate=1",
		"redis://" + nowhere + "/0?password=" + pw + "&frobnicate=1",
		"redis://" + nowhere + "/x?password=" + pw,
		"redis://" + nowhere + "/0?password=" + pw,
		"unix://u:" + pw + "@/nonexistent/baton.sock?frobnicate=1",
		"local://?password=" + pw,
		"mem://u:" + pw + "@host/",
		"mem://host/?password=" + pw,
		"local://?password=" + pw + "&timeout=soon",
		"redis://u:" + pw + "@" + nowhere + "/0?%zz",
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		b, err := lock.Open(ctx, raw)
		cancel()
		if b != nil {
			_ = b.Close()
		}
		if assert.Error(t, err, raw) {
			assert.NotContains(t, err.Error(), pw, "%s", raw)
		}
	}
}

// queryPasswordLeaks are the URLs whose errors show a password given as a query key: lock.Open
// (lock/open.go) quotes u.Redacted(), which masks only a userinfo password, when the URL has
// no scheme or its query is malformed. lock.Config.String (lock/config.go) does the same.
var queryPasswordLeaks = []string{
	"//" + nowhere + "/0?password=hunter2hunter2",
	"?password=hunter2hunter2",
	"redis://" + nowhere + "/0?password=hunter2hunter2&%zz",
}

// TestOpenNeverShowsAQueryPassword: nor does lock.Config's String.
func TestOpenNeverShowsAQueryPassword(t *testing.T) {
	for _, raw := range queryPasswordLeaks {
		_, err := lock.Open(context.Background(), raw)
		if assert.Error(t, err, raw) {
			assert.NotContains(t, err.Error(), "hunter2hunter2", "%s", raw)
		}
	}
	s := lock.Config{URL: "redis://" + nowhere + "/0?password=hunter2hunter2"}.String()
	assert.NotContains(t, s, "hunter2hunter2")
}
