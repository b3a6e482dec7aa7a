package lock

import (
	"errors"
	"strings"
)

// lostError is Do's error when the hold was lost while fn ran. It says ErrLost once, first,
// and then fn's error, because fn usually returns the ctx Do gave it (context.Cause is
// ErrLost, ctx.Err() is context.Canceled): joined naively that reads "lock: hold lost\nlock:
// hold lost", or starts with "context canceled" and buries the reason. errors.Is still finds
// ErrLost, fn's error and the release error.
type lostError struct {
	fn      error // fn's error, or nil
	release error // Release's error other than the expected ErrNotHeld, or nil
}

func (e *lostError) Error() string {
	var b strings.Builder
	b.WriteString(ErrLost.Error())
	if e.fn != nil {
		// fn's error may end with ErrLost itself (a wrapped context.Cause): say it once.
		msg := strings.TrimSuffix(e.fn.Error(), ": "+ErrLost.Error())
		if msg != ErrLost.Error() {
			b.WriteString(": ")
			b.WriteString(msg)
		}
	}
	if e.release != nil {
		b.WriteString("\n")
		b.WriteString(e.release.Error())
	}
	return b.String()
}

func (e *lostError) Unwrap() []error {
	errs := []error{ErrLost}
	if e.fn != nil {
		errs = append(errs, e.fn)
	}
	if e.release != nil {
		errs = append(errs, e.release)
	}
	return errs
}

// doError is what Do returns after fn ran: fn's error, ErrLost first when the hold was lost,
// and any release error.
func doError(fnErr error, wasLost bool, releaseErr error) error {
	if !wasLost {
		return errors.Join(fnErr, releaseErr)
	}
	if errors.Is(releaseErr, ErrNotHeld) {
		releaseErr = nil // expected: ErrLost already says why
	}
	return &lostError{fn: fnErr, release: releaseErr}
}
