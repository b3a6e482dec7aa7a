package lock

import (
	"unicode"
	"unicode/utf8"

	"github.com/batonlock/baton/internal/lockopt"
)

// WithOwner stores label with every hold the lock takes, so that Inspect can tell an operator
// who holds a name ("orders-7f9c/pid 12"). The default is "<hostname>/<pid>". A label follows
// the rules of lock names except the brace rule (it is a value, never part of a key): not
// empty, at most MaxNameLen bytes of valid UTF-8, no control characters; NewLock returns an
// ErrInvalid error for any other.
func WithOwner(label string) Option {
	err := validateOwner(label)
	return func(o *lockopt.Options) {
		o.Owner = label
		if err != nil && o.Bad == nil {
			o.Bad = err
		}
	}
}

// validateOwner checks an owner label; see WithOwner.
func validateOwner(label string) error {
	switch {
	case label == "":
		return invalidf("owner label is empty (leave WithOwner out for the default \"<hostname>/<pid>\")")
	case len(label) > MaxNameLen:
		return invalidf("owner label of %d bytes is longer than %d", len(label), MaxNameLen)
	case !utf8.ValidString(label):
		return invalidf("owner label %q is not valid UTF-8", label)
	}
	for _, r := range label {
		if unicode.IsControl(r) {
			return invalidf("owner label %q contains control character %U", label, r)
		}
	}
	return nil
}
