package future_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/batonlock/baton/future"
)

// The sequential model FuzzCombinators checks the futures against: canonical outcomes,
// the sets of them a node may settle with, and the pure operations both sides run.

// The operations at the leaves and stages: plain functions of their inputs, used both by
// the tree and, directly, by the model.

type codeErr int

func (c codeErr) Error() string { return fmt.Sprintf("code %d", int(c)) }

func leafOp(k byte) (string, error) {
	if k%3 == 0 {
		return "", codeErr(k)
	}
	return fmt.Sprint(k), nil
}

func thenOp(k byte, s string) (string, error) {
	switch (int(k) + len(s)) % 4 {
	case 2:
		return "", codeErr(int(k) + len(s))
	case 3:
		panic(codeErr(int(k) * 2))
	}
	return s + string(rune('a'+k%26)), nil
}

func recoverOp(k byte, err error) (string, error) {
	c := canonErr(err)
	switch (int(k) + len(c)) % 4 {
	case 2:
		return "", codeErr(int(k) + 100)
	case 3:
		panic(codeErr(int(k) + 200))
	}
	return "r" + fmt.Sprint(len(c)), nil
}

// callCanon runs op as the model's sequential interpreter: a panic becomes "p:" + its value.
func callCanon(op func() (string, error)) (out string) {
	defer func() {
		if r := recover(); r != nil {
			out = "p:" + canonErr(r.(error))
		}
	}()
	return canon(op())
}

func canon(v string, err error) string {
	if err != nil {
		return canonErr(err)
	}
	return "v:" + v
}

func canonErr(err error) string {
	var c codeErr
	switch e := err.(type) {
	case canonOnly:
		return string(e)
	case *future.PanicError:
		return "p:" + canonErr(e.Value.(error))
	case codeErr:
		return fmt.Sprintf("e:%d", int(e))
	case interface{ Unwrap() []error }:
		parts := make([]string, 0, len(e.Unwrap()))
		for _, x := range e.Unwrap() {
			parts = append(parts, canonErr(x))
		}
		return "j(" + strings.Join(parts, ";") + ")"
	}
	if errors.Is(err, future.ErrNoFutures) {
		return "none"
	}
	if errors.As(err, &c) {
		return fmt.Sprintf("e:%d", int(c))
	}
	return "?" + err.Error()
}

// modelErr rebuilds, from a canonical error, an error whose canonical form is the same, for
// the model to hand to recoverOp (which only looks at that form).
func modelErr(e string) error { return canonOnly(e) }

type canonOnly string

func (c canonOnly) Error() string { return string(c) }

// outcomes is the set of outcomes the model allows for a node; a nil set means "too many
// to list", and the node is not checked.
type outcomes struct{ set map[string]bool }

const maxOutcomes = 64

func one(o string) outcomes          { return outcomes{set: map[string]bool{o: true}} }
func (m outcomes) known() bool       { return m.set != nil }
func (m outcomes) has(o string) bool { return m.set[o] }

func (m outcomes) list() []string {
	l := make([]string, 0, len(m.set))
	for o := range m.set {
		l = append(l, o)
	}
	sort.Strings(l)
	return l
}

// only reports whether every outcome starts with prefix.
func (m outcomes) only(prefix string) bool {
	for o := range m.set {
		if !strings.HasPrefix(o, prefix) {
			return false
		}
	}
	return m.known()
}

func (m outcomes) mapValues(fn func(string) string) outcomes { return m.mapWhere(true, fn) }
func (m outcomes) mapErrors(fn func(string) string) outcomes { return m.mapWhere(false, fn) }

func (m outcomes) mapWhere(values bool, fn func(string) string) outcomes {
	if !m.known() {
		return m
	}
	res := outcomes{set: map[string]bool{}}
	for o := range m.set {
		if strings.HasPrefix(o, "v:") == values {
			if values {
				o = fn(o[2:])
			} else {
				o = fn(o)
			}
		}
		res.set[o] = true
	}
	return res
}
