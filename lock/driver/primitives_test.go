package driver_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

// TestResolveFillsOwnerAndPermits: a lock without WithOwner or WithPermits resolves to the
// process's label and one permit, also from a base built as a struct literal.
func TestResolveFillsOwnerAndPermits(t *testing.T) {
	for _, base := range []driver.Options{driver.DefaultOptions(), {Blocking: lock.Forever}} {
		o, err := driver.Resolve("a", base)
		require.NoError(t, err)
		assert.Equal(t, 1, o.Permits)
		assert.False(t, o.Shared)
		host, pid, ok := strings.Cut(o.Owner, "/")
		assert.True(t, ok && host != "" && pid != "", "owner %q is not <hostname>/<pid>", o.Owner)
	}
	o, err := driver.Resolve("a", driver.DefaultOptions(), lock.WithOwner("billing-7f9c"), lock.WithPermits(5))
	require.NoError(t, err)
	assert.Equal(t, "billing-7f9c", o.Owner)
	assert.Equal(t, 5, o.Permits)
	o, err = driver.Resolve("a", driver.DefaultOptions(), lock.WithShared(), lock.WithPermits(1))
	require.NoError(t, err)
	assert.True(t, o.Shared)
}

// TestResolveRejectsBadPrimitives: each bad owner label or permit count is an ErrInvalid
// error that says what was wrong.
func TestResolveRejectsBadPrimitives(t *testing.T) {
	for _, c := range []struct {
		opts []lock.Option
		want string
	}{
		{[]lock.Option{lock.WithPermits(0)}, "permits 0"},
		{[]lock.Option{lock.WithPermits(-2)}, "permits -2"},
		{[]lock.Option{lock.WithShared(), lock.WithPermits(3)}, "WithShared with WithPermits(3)"},
		{[]lock.Option{lock.WithPermits(3), lock.WithShared()}, "WithShared with WithPermits(3)"},
		{[]lock.Option{lock.WithOwner("")}, "owner label is empty"},
		{[]lock.Option{lock.WithOwner("pod\n1")}, "control character U+000A"},
		{[]lock.Option{lock.WithOwner("\xff")}, "not valid UTF-8"},
		{[]lock.Option{lock.WithOwner(strings.Repeat("o", lock.MaxNameLen+1))}, "longer than 512"},
		{[]lock.Option{lock.WithOwner(""), lock.WithOwner("ok")}, "owner label is empty"},
	} {
		_, err := driver.Resolve("a", driver.DefaultOptions(), c.opts...)
		require.ErrorIs(t, err, lock.ErrInvalid, c.want)
		assert.Contains(t, err.Error(), c.want)
		assert.Contains(t, err.Error(), `lock "a"`)
	}
	_, err := driver.Resolve("a", driver.DefaultOptions(), lock.WithOwner("{braces} are fine in a label"))
	assert.NoError(t, err)
}
