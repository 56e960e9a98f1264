// Package tools implements the command-line helpers for merchants testing a
// PingPong integration: simulate posts a signed notification for a stored
// order to the running server, and verify explains why a notification's
// signature does not verify.
//
// Both take the few settings they need in Settings instead of a full
// configuration, so they work when the rest of the configuration, such as
// the bot token, is missing.
package tools

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"telegram-bot-webhook/payments"
)

// Settings are the values the tools read from the configuration.
type Settings struct {
	// AccID and ClientID identify the PingPong store
	// (PINGPONG_ACC_ID, PINGPONG_CLIENT_ID).
	AccID    string
	ClientID string
	// Salt is the secret key that signs notifications
	// (PINGPONG_WEBHOOK_SECRET). It is never printed.
	Salt string
	// SignType is "SHA256" or "MD5" (PINGPONG_SIGN_TYPE); "" means SHA256.
	SignType string
	// DatabasePath is the SQLite file of the bot (DATABASE_PATH).
	DatabasePath string
	// LocalURL is the notification URL simulate posts to by default, such
	// as "http://127.0.0.1:8000/webhook/pingpong".
	LocalURL string
}

func (s Settings) signType() string {
	if s.SignType == "" {
		return payments.SignSHA256
	}
	return s.SignType
}

// minFingerprintLength is the shortest secret whose fingerprint is shown.
// The fingerprint carries 32 bits of SHA-256, which together with a search
// over all short strings would identify a short secret.
const minFingerprintLength = 12

// fingerprintCommand computes the fingerprint of a secret typed at the
// prompt, without echoing it or keeping it in the shell history.
const fingerprintCommand = `read -rs SALT; printf %s "$SALT" | sha256sum | cut -c1-8`

// secretFingerprint returns the first 8 hex characters of SHA-256 of the
// secret, in lowercase like sha256sum prints them.
func secretFingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])[:8]
}

// hasFingerprint reports whether describeSecret shows the secret's
// fingerprint.
func hasFingerprint(secret string) bool {
	return utf8.RuneCountInString(strings.TrimSpace(secret)) >= minFingerprintLength
}

// describeSecret names the secret's length, its SHA-256 fingerprint and
// the whitespace around it, escaped. It shows no character of the secret
// itself, and no fingerprint of a secret shorter than minFingerprintLength.
func describeSecret(secret string) string {
	text := fmt.Sprintf("%d characters", utf8.RuneCountInString(secret))
	if !hasFingerprint(secret) {
		text += ", too short to show a fingerprint without making it easy to guess"
	} else {
		text += ", SHA-256 fingerprint " + secretFingerprint(secret)
	}

	trimmed := strings.TrimSpace(secret)
	if trimmed == secret {
		return text
	}
	leading := strings.TrimSuffix(secret, strings.TrimLeftFunc(secret, unicode.IsSpace))
	if leading != "" {
		text += ", with whitespace at its start: " + escapeVisible(leading)
	}
	// A secret of whitespace only has all of it named once, as its start.
	trailing := strings.TrimPrefix(secret, strings.TrimRightFunc(secret, unicode.IsSpace))
	if trailing != "" && trimmed != "" {
		text += ", with whitespace at its end: " + escapeVisible(trailing)
	}
	if hasFingerprint(secret) {
		text += ", fingerprint without that whitespace " + secretFingerprint(trimmed)
	}
	return text
}

// escapeVisible shows whitespace and control characters as escapes, so a
// trailing newline or space is visible.
func escapeVisible(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ':
			b.WriteString("␠")
		case unicode.IsSpace(r) || unicode.IsControl(r):
			b.WriteString(strings.Trim(strconv.QuoteRune(r), "'"))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
