package lockopt

import (
	"net/url"
	"strings"
)

// Redact returns u as text with every password masked: the one in its userinfo, as
// url.URL.Redacted does, and any query value whose key contains "password" (go-redis takes
// password and sentinel_password there). A query too malformed to parse is masked as well,
// key by key. Drivers use it for every URL they put in an error or a log line.
func Redact(u *url.URL) string {
	r := *u
	r.RawQuery = redactQuery(u.RawQuery)
	return r.Redacted()
}

func redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	var b strings.Builder
	start := 0
	for i := 0; i <= len(raw); i++ {
		if i < len(raw) && !isQuerySep(raw[i]) {
			continue
		}
		p := raw[start:i]
		k, _, hasValue := strings.Cut(p, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			key = k
		}
		if hasValue && strings.Contains(strings.ToLower(key), "password") {
			p = k + "=xxxxx"
		}
		b.WriteString(p)
		if i < len(raw) {
			b.WriteByte(raw[i])
		}
		start = i + 1
	}
	return b.String()
}

// isQuerySep reports whether c separates query pairs: '&', or ';', which url.ParseQuery
// refuses but a malformed query may hold.
func isQuerySep(c byte) bool { return c == '&' || c == ';' }

// Scrub replaces in msg every password that u carries (see Redact), for messages from
// libraries that may repeat them.
func Scrub(msg string, u *url.URL) string {
	var secrets []string
	if p, ok := u.User.Password(); ok && p != "" {
		secrets = append(secrets, p)
	}
	for _, p := range strings.FieldsFunc(u.RawQuery, func(r rune) bool { return r < 128 && isQuerySep(byte(r)) }) {
		k, v, ok := strings.Cut(p, "=")
		if key, err := url.QueryUnescape(k); err == nil {
			k = key
		}
		if !ok || v == "" || !strings.Contains(strings.ToLower(k), "password") {
			continue
		}
		secrets = append(secrets, v)
		if dec, err := url.QueryUnescape(v); err == nil && dec != v {
			secrets = append(secrets, dec)
		}
	}
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	return msg
}
