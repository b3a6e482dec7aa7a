package redisscript

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
)

// Token returns a fresh owner token for a hold of owner (PROTOCOL.md, "Keys"): 128 random
// bits in base 32, a dot, and the owner label in unpadded base64url. The label rides in the
// token so that every script that writes the lock key (acquire, wait, grant, hand-off)
// stores it with no extra argument, key or round trip, and a grant carries it to the key
// of the waiter it names; the encoding keeps the token free of spaces, which end it in the
// key's value and in messages.
func Token(owner string) string {
	return rand.Text() + "." + base64.RawURLEncoding.EncodeToString([]byte(owner))
}

// OwnerOf returns the owner label carried by token, or "" when it carries none (a token of
// an older process) or cannot be read.
func OwnerOf(token string) string {
	_, enc, ok := strings.Cut(token, ".")
	if !ok {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return ""
	}
	return string(b)
}

// SameOwner reports whether two tokens carry the same owner label.
func SameOwner(a, b string) bool {
	_, x, _ := strings.Cut(a, ".")
	_, y, _ := strings.Cut(b, ".")
	return x == y
}
