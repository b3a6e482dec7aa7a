package redistest

import (
	"context"
	"slices"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// Gate is a go-redis hook that plays a slow link for chosen commands: it holds at the
// client the first command (alone or in a pipeline) that names a key it was told to hold,
// until the test opens that hold or the command's context ends. Other commands pass.
type Gate struct {
	mu    sync.Mutex
	holds map[string]*Held
}

// Held is one command held by a Gate.
type Held struct {
	reached chan struct{}
	open    chan struct{}
	once    sync.Once
}

// Reached is closed when the command reaches the gate.
func (h *Held) Reached() <-chan struct{} { return h.reached }

// Open lets the command go on to the server. A second Open does nothing.
func (h *Held) Open() { h.once.Do(func() { close(h.open) }) }

// Hold makes the gate hold the next command that names key; it replaces an unused hold of
// the same key.
func (g *Gate) Hold(key string) *Held {
	h := &Held{reached: make(chan struct{}), open: make(chan struct{})}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.holds == nil {
		g.holds = make(map[string]*Held)
	}
	g.holds[key] = h
	return h
}

// wait holds cmds while one of them names a held key; each hold is used once.
func (g *Gate) wait(ctx context.Context, cmds ...goredis.Cmder) error {
	var h *Held
	g.mu.Lock()
	for key, held := range g.holds {
		if slices.ContainsFunc(cmds, func(cmd goredis.Cmder) bool { return slices.Contains(cmd.Args(), any(key)) }) {
			h = held
			delete(g.holds, key)
			break
		}
	}
	g.mu.Unlock()
	if h == nil {
		return nil
	}
	close(h.reached)
	select {
	case <-h.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// DialHook implements goredis.Hook.
func (g *Gate) DialHook(next goredis.DialHook) goredis.DialHook { return next }

// ProcessHook implements goredis.Hook.
func (g *Gate) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if err := g.wait(ctx, cmd); err != nil {
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements goredis.Hook.
func (g *Gate) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if err := g.wait(ctx, cmds...); err != nil {
			for _, cmd := range cmds {
				cmd.SetErr(err)
			}
			return err
		}
		return next(ctx, cmds)
	}
}
