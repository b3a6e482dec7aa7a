// Command ordersd runs the orders example service. Its lock backend comes from
// BATON_LOCK_URL (required: unset or empty, it refuses to start rather than lock only
// against itself), so scaling it out is a configuration change:
//
//	BATON_LOCK_URL=local:// go run ./examples/orders/cmd/ordersd                 # one replica
//	BATON_LOCK_URL=redis://127.0.0.1:6379/0 go run ./examples/orders/cmd/ordersd # a fleet
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/batonlock/baton/examples/orders"
	"github.com/batonlock/baton/lock"
	_ "github.com/batonlock/baton/lock/local"
	_ "github.com/batonlock/baton/lock/redis"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "ordersd:", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	b, err := lock.OpenEnv(ctx, lock.DefaultEnv)
	if err != nil {
		return err
	}
	defer b.Close()
	srv := &http.Server{Addr: addr, Handler: orders.NewServer(b, orders.NewStore()), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	slog.Info("ordersd listening", "addr", addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
