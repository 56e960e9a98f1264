package payments

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// Signature types PingPong accepts in the signType field. SHA256 is the one
// PingPong recommends.
const (
	SignSHA256 = "SHA256"
	SignMD5    = "MD5"
)

// ErrBadSignature is wrapped by every error about a missing, unverifiable or
// wrong sign field.
var ErrBadSignature = errors.New("invalid signature")

// SigningString builds the text PingPong signs: every field except "sign"
// whose value is not blank, sorted by key in byte order and joined as
// key=value pairs with "&". Values are used exactly as given, so bizContent
// must be the raw string as received, never a re-serialised copy.
//
// A value is blank when it is empty or contains only whitespace, the way
// Java's StringUtils.isBlank decides it (see isBlank).
func SigningString(fields map[string]string) string {
	keys := make([]string, 0, len(fields))
	for key, value := range fields {
		if key == "sign" || isBlank(value) {
			continue
		}
		keys = append(keys, key)
	}
	sort.Strings(keys)

	var b strings.Builder
	for i, key := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(key)
		b.WriteByte('=')
		b.WriteString(fields[key])
	}
	return b.String()
}

// Sign returns the uppercase hex SHA256 or MD5 digest of salt followed by
// SigningString(fields). It fails on an empty salt or an unknown signType.
func Sign(fields map[string]string, salt, signType string) (string, error) {
	if salt == "" {
		return "", errors.New("payments: sign fields: salt is empty, set the PingPong secret key")
	}

	data := []byte(salt + SigningString(fields))
	var digest []byte
	switch signType {
	case SignSHA256:
		sum := sha256.Sum256(data)
		digest = sum[:]
	case SignMD5:
		sum := md5.Sum(data)
		digest = sum[:]
	default:
		return "", fmt.Errorf("payments: sign fields: unknown sign type %q, use %s or %s",
			signType, SignSHA256, SignMD5)
	}
	return strings.ToUpper(hex.EncodeToString(digest)), nil
}

// VerifySignature checks fields["sign"] against the signature computed with
// the salt and the type named in fields["signType"]. The comparison is
// constant-time and case-sensitive, so a lowercase hex sign is rejected.
// Every rejection wraps ErrBadSignature. The error names the sign type but
// never contains the salt or the expected sign, because the expected sign of
// a forged message would let its sender make it pass.
func VerifySignature(fields map[string]string, salt string) error {
	signType := fields["signType"]
	got := fields["sign"]
	if isBlank(got) {
		return fmt.Errorf("payments: verify signature: %w: sign field is missing", ErrBadSignature)
	}

	if signType != SignSHA256 && signType != SignMD5 {
		return fmt.Errorf("payments: verify signature: %w: unknown signType %q, want %s or %s",
			ErrBadSignature, signType, SignSHA256, SignMD5)
	}

	want, err := Sign(fields, salt, signType)
	if err != nil {
		return fmt.Errorf("payments: verify signature: %w", err)
	}

	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return fmt.Errorf("payments: verify %s signature: %w: sign differs from the expected value, "+
			"the message was altered or signed with another salt", signType, ErrBadSignature)
	}
	return nil
}

// isBlank reports whether s is empty or contains only whitespace as Java's
// Character.isWhitespace defines it. That is tab, line feed, vertical tab,
// form feed, carriage return and U+001C to U+001F, plus Unicode space, line
// and paragraph separators other than the no-break spaces U+00A0, U+2007 and
// U+202F.
//
// NOTE: PingPong documents "null or blank" values as skipped but not what
// blank means. This follows Apache Commons StringUtils.isBlank, which Java
// signers commonly use. A value on which the two readings differ only makes
// a signature fail to verify; it cannot make a forged one pass.
func isBlank(s string) bool {
	for _, r := range s {
		if !isJavaWhitespace(r) {
			return false
		}
	}
	return true
}

func isJavaWhitespace(r rune) bool {
	switch {
	case r >= '\t' && r <= '\r', r >= 0x1C && r <= 0x1F:
		return true
	case r == 0x00A0 || r == 0x2007 || r == 0x202F:
		return false
	default:
		return unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
	}
}
