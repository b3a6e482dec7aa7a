package util_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/util"
)

type service struct {
	util.AsyncObject
}

func TestAsyncObjectLogger(t *testing.T) {
	var s service
	assert.Same(t, slog.Default(), s.Logger())
	own := slog.New(slog.DiscardHandler)
	s.Log = own
	assert.Same(t, own, s.Logger())
}

func TestAsyncObjectTimeit(t *testing.T) {
	var buf bytes.Buffer
	s := &service{AsyncObject: util.AsyncObject{
		Log:   slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Debug: true,
	}}
	res, err := await(t, s.Timeit(context.Background(), "ping", 5, func(context.Context) error { return nil }))
	require.NoError(t, err)
	assert.Equal(t, 5, res.Times)
	assert.Contains(t, buf.String(), "name=ping")
	assert.Contains(t, buf.String(), "times=5")

	buf.Reset()
	s.Debug = false
	_, err = await(t, s.Timeit(context.Background(), "quiet", 1, func(context.Context) error { return nil }))
	require.NoError(t, err)
	assert.Empty(t, buf.String(), "nothing is logged out of debug mode")
}
