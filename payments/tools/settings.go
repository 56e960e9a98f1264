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

// maskSecret returns a form of the secret that helps compare it with the
// back office without revealing it: its first and last two characters for
// a secret of 12 characters or more, and nothing of a shorter one. Control
// characters and whitespace in those characters are shown escaped.
func maskSecret(secret string) string {
	runes := []rune(secret)
	if len(runes) < 12 {
		return "(too short to show any of it)"
	}
	return escapeVisible(string(runes[:2])) + "…" + escapeVisible(string(runes[len(runes)-2:]))
}

// describeSecret names the secret's length and masked form, and warns about
// whitespace around it.
func describeSecret(secret string) string {
	text := fmt.Sprintf("%d characters, %s", utf8.RuneCountInString(secret), maskSecret(secret))
	if strings.TrimSpace(secret) != secret {
		text += ", with whitespace at its start or end"
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
