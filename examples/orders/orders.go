// Package orders is a small microservice as baton's users write one: an HTTP handler that
// guards a per-order operation with lock.Do, on whatever backend BATON_LOCK_URL names. The same
// code runs on the in-memory backend in tests and on Redis across replicas.
package orders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/batonlock/baton/lock"
)

// Server pays orders, at most once each, however many replicas receive the request: the
// lock keeps two replicas from charging one order at the same time, and the fence keeps a
// replica that lost the lock from recording a payment. A lock cannot undo a provider call
// already made by a holder that lost it meanwhile: Charge should pass the order id to the
// payment provider as its idempotency key, so that a charge repeated then is not a second
// payment.
type Server struct {
	locks lock.Backend
	store *Store
	mux   *http.ServeMux
	// Charge is the side effect the lock protects (a payment provider call). It must not
	// run twice for one order; see Server for the idempotency key that makes sure.
	Charge func(ctx context.Context, order string) error
}

// NewServer serves POST /orders/{id}/pay with locks from b and state in store.
func NewServer(b lock.Backend, store *Store) *Server {
	s := &Server{locks: b, store: store, mux: http.NewServeMux(),
		Charge: func(ctx context.Context, _ string) error {
			select { // a provider call that takes a little while
			case <-time.After(5 * time.Millisecond):
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}}
	s.mux.HandleFunc("POST /orders/{id}/pay", s.pay)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) pay(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	l, err := s.locks.NewLock("order:"+id, lock.WithBlocking(2*time.Second))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest) // ErrInvalid: a bad order id
		return
	}
	status := http.StatusOK
	err = lock.Do(r.Context(), l, func(ctx context.Context) error {
		// The fence goes with the read as with the write: the store then refuses the write
		// of a holder that lost the lock meanwhile, even before the next holder writes.
		paid, err := s.store.PaidAt(id, l.Fence())
		if err != nil {
			return err
		}
		if paid {
			status = http.StatusConflict
			return nil
		}
		if err := s.Charge(ctx, id); err != nil {
			return err
		}
		return s.store.MarkPaid(id, l.Fence())
	})
	switch {
	case errors.Is(err, lock.ErrNotAcquired):
		http.Error(w, "order is busy, retry later", http.StatusLocked)
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	default:
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"order": id, "paid": true, "fence": l.Fence()})
	}
}

// Store is the data the lock protects, standing in for a database. It keeps the highest fence
// that read or wrote each order and refuses older ones, as a fenced database row would.
type Store struct {
	mu     sync.Mutex
	paid   map[string]bool
	fences map[string]uint64
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{paid: map[string]bool{}, fences: map[string]uint64{}} }

// Paid reports whether id has been paid.
func (s *Store) Paid(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paid[id]
}

// PaidAt reports whether id has been paid, for the holder of fence, and remembers fence:
// from then on a holder with an older fence can neither read nor write id. Without it, a
// holder that lost the lock before it wrote could still write after the next holder had read
// "unpaid", and the order would be paid twice.
func (s *Store) PaidAt(id string, fence uint64) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.admit(id, fence); err != nil {
		return false, err
	}
	return s.paid[id], nil
}

// MarkPaid records the payment of id by the holder of fence, unless a newer holder read or
// wrote it.
func (s *Store) MarkPaid(id string, fence uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.admit(id, fence); err != nil {
		return err
	}
	s.paid[id] = true
	return nil
}

// admit raises id's fence to fence, or refuses an older one; the same holder (an equal
// fence) may read and then write. s.mu is held.
func (s *Store) admit(id string, fence uint64) error {
	if fence < s.fences[id] {
		return fmt.Errorf("order %s: stale fence %d (a newer holder has %d)", id, fence, s.fences[id])
	}
	s.fences[id] = fence
	return nil
}
