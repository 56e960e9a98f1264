package config

import (
	"net/url"
	"sort"
	"strings"
)

// RedactedValue replaces every secret in redacted text.
const RedactedValue = "[redacted]"

// Redactor replaces secret values in text. It also replaces the
// percent-encoded forms of each secret, because a URL printed by an HTTP
// client may contain the bot token escaped, such as "123%3AABC" for
// "123:ABC". A nil or empty Redactor returns text unchanged. It is safe for
// concurrent use.
type Redactor struct {
	replacer *strings.Replacer
}

// NewRedactor returns a Redactor for the non-empty values in secrets.
func NewRedactor(secrets []string) *Redactor {
	seen := make(map[string]bool)
	var forms []string
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		for _, form := range []string{secret, url.PathEscape(secret), url.QueryEscape(secret)} {
			if !seen[form] {
				seen[form] = true
				forms = append(forms, form)
			}
		}
	}
	if len(forms) == 0 {
		return &Redactor{}
	}

	// strings.Replacer tries the old strings in argument order at each
	// position, so the longest goes first: a secret that contains another
	// secret is then replaced whole.
	sort.Slice(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	pairs := make([]string, 0, 2*len(forms))
	for _, form := range forms {
		pairs = append(pairs, form, RedactedValue)
	}
	return &Redactor{replacer: strings.NewReplacer(pairs...)}
}

// Redact returns s with every secret replaced by "[redacted]".
func (r *Redactor) Redact(s string) string {
	if r == nil || r.replacer == nil {
		return s
	}
	return r.replacer.Replace(s)
}

// Error returns err with its message redacted, or nil for nil. The result
// keeps err as its Unwrap target so errors.Is and errors.As still work.
// Print only the returned error, because the unwrapped chain still holds the
// original message.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	message := r.Redact(err.Error())
	if message == err.Error() {
		return err
	}
	return &redactedError{message: message, err: err}
}

// RedactString returns s with every non-empty secret replaced by
// "[redacted]". Build a Redactor once instead when redacting repeatedly.
func RedactString(s string, secrets []string) string {
	return NewRedactor(secrets).Redact(s)
}

type redactedError struct {
	message string
	err     error
}

func (e *redactedError) Error() string { return e.message }

func (e *redactedError) Unwrap() error { return e.err }
