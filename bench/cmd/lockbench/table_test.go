package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{4812 * time.Nanosecond, "4.81µs"},
		{209 * time.Microsecond, "209µs"},
		{1250 * time.Microsecond, "1.25ms"},
		{10200 * time.Microsecond, "10.2ms"},
		{2500 * time.Millisecond, "2.50s"},
	} {
		assert.Equal(t, tc.want, duration(tc.d), "%v", tc.d)
	}
}
