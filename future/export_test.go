package future

// Waiters reports how many callbacks are registered on f, so that tests can check that
// consumers which stop caring unregister (a never-settling source must not collect them).
func Waiters[T any](f *Future[T]) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}
