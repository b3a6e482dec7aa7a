package lock_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	_ "github.com/batonlock/baton/lock/local"
)

// TestRedactSemicolonQuery: a query that url.ParseQuery refuses (a ';' separator) is
// put in the error by lockopt.Redact, which splits on '&' only, so a password after the ';'
// is shown in clear.
func TestRedactSemicolonQuery(t *testing.T) {
	_, err := lock.Open(context.Background(), "local://?x=1;password=hunter2")
	require.ErrorIs(t, err, lock.ErrInvalid)
	assert.NotContains(t, err.Error(), "hunter2", "a password in an error")

	cfg := lock.Config{URL: "redis://127.0.0.1:6379/0?db=0;password=hunter2"}
	assert.NotContains(t, cfg.String(), "hunter2", "a password in Config.String")
}

// TestMalformedURLWithholdsPassword: a password holding a '/', '?' or '#' that was not
// escaped (base64 passwords often hold '/') makes url.Parse read "user:<start of password>"
// as host:port; the url.Error's inner error, which Open keeps, quotes that "port".
func TestMalformedURLWithholdsPassword(t *testing.T) {
	for _, raw := range []string{
		"redis://user:s3cret/rest@127.0.0.1:6379/0",
		"redis://user:s3cret#rest@127.0.0.1:6379/0",
		"redis://user:s3cret?rest@127.0.0.1:6379/0",
	} {
		_, err := lock.Open(context.Background(), raw)
		require.ErrorIs(t, err, lock.ErrInvalid, raw)
		assert.NotContains(t, err.Error(), "s3cret", "a password in an error: %v", err)
	}
}

// TestConfigLogValueHidesPassword: a Config logged with slog (here its JSON handler, which
// would print the struct's fields) shows its URL with the password masked.
func TestConfigLogValueHidesPassword(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&out, nil))
	log.Info("lock config", "config", lock.Config{URL: "redis://user:hunter2@127.0.0.1:6379/0?sentinel_password=swordfish"})
	assert.NotContains(t, out.String(), "hunter2")
	assert.NotContains(t, out.String(), "swordfish")
	assert.Contains(t, out.String(), "127.0.0.1:6379")
}
