package quorum_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
)

// TestInspect: a quorum reports what a majority of its nodes says: the hold whose token is
// on a majority, with the hold's fence and owner, also when one
// node lost its key, and no hold once only a minority has it; and this process's waiters.
func TestInspect(t *testing.T) {
	ctx := testCtx(t)
	var as []string
	for range 3 {
		as = append(as, redistest.StartMini(t).Addr())
	}
	cs := clients(t, as)
	b, other := newBackend(t, cs), newBackend(t, clients(t, as))
	info, err := lock.Inspect(ctx, other, "q")
	require.NoError(t, err)
	assert.Equal(t, lock.Info{Name: "q"}, info)

	holder := newLock(t, b, "q", lock.WithOwner("pod-q"), lock.WithTimeout(eventually))
	require.NoError(t, holder.Acquire(ctx))
	probe := waitingProbe(make(chan struct{}, 1))
	waiter := newLock(t, other, "q", lock.WithObserver(probe))
	got := make(chan error, 1)
	go func() { got <- waiter.Acquire(ctx) }()
	select {
	case <-probe:
	case <-time.After(eventually):
		t.Fatal("the waiter never waited")
	}

	check := func(what string, on lock.Backend, waiters int) {
		t.Helper()
		info, err := lock.Inspect(ctx, on, "q")
		require.NoError(t, err, what)
		require.Len(t, info.Holds, 1, what)
		h := info.Holds[0]
		assert.Equal(t, "pod-q", h.Owner, what)
		assert.Equal(t, holder.Fence(), h.Fence, what)
		assert.Positive(t, h.TTL, what)
		assert.LessOrEqual(t, h.TTL, eventually, what)
		assert.Equal(t, waiters, info.Waiters, what)
	}
	check("the holder's process", b, 0)
	// Another process reads the fence the nodes store: the hold's, once the raise of the
	// nodes that were behind has landed (in the background, before any Release).
	require.Eventually(t, func() bool {
		info, err := lock.Inspect(ctx, other, "q")
		return err == nil && len(info.Holds) == 1 && info.Holds[0].Fence == holder.Fence()
	}, eventually, time.Millisecond, "the nodes never stored the hold's fence")
	check("the waiter's process", other, 1)
	// One node loses the key: the one outside the hold's majority, if it stores another
	// fence or has no key (the majority's nodes store the hold's); the rest still agree on
	// the hold. A node may have no key: the holder's try reached it after the majority had
	// answered, and after the waiter's first try, which took it there and then freed it.
	gone := 0
	for i, c := range cs {
		v, err := c.Get(ctx, "baton:{q}").Result()
		if errors.Is(err, goredis.Nil) || (err == nil && !strings.HasSuffix(v, " "+strconv.FormatUint(holder.Fence(), 10))) {
			gone = i
		}
	}
	require.NoError(t, cs[gone].Del(ctx, "baton:{q}").Err())
	check("one node lost the key", other, 1)
	require.NoError(t, cs[(gone+1)%3].Del(ctx, "baton:{q}").Err())
	info, err = lock.Inspect(ctx, other, "q")
	require.NoError(t, err)
	assert.Empty(t, info.Holds, "a minority's hold is no hold")

	assert.ErrorIs(t, holder.Release(ctx), lock.ErrLost, "its keys were deleted on a majority")
	require.NoError(t, <-got)
	require.NoError(t, waiter.Release(ctx))
	info, err = lock.Inspect(ctx, other, "q")
	require.NoError(t, err)
	assert.Equal(t, lock.Info{Name: "q"}, info, "nothing once unused")
}

// waitingProbe tells a test when an Acquire starts to wait.
type waitingProbe chan struct{}

func (p waitingProbe) Observe(e lock.Event) {
	if e.Kind == lock.Waiting {
		select {
		case p <- struct{}{}:
		default:
		}
	}
}
