// Package money converts between decimal amount strings and integer minor
// units, using the number of minor-unit digits of each ISO 4217 currency.
package money

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// ErrInvalidAmount is wrapped by every amount parsing error.
var ErrInvalidAmount = errors.New("invalid amount")

// CurrencyDigits returns how many minor-unit digits the ISO 4217 currency
// has, and false for a code PingPong does not list.
func CurrencyDigits(currency string) (int, bool) {
	digits, ok := currencyDigits[currency]
	return digits, ok
}

// ParsePrice converts a catalog price such as "9.99" to minor units. It
// rejects more decimals than the currency has ("9.999" USD), signs,
// exponents, zero and values that overflow int64.
func ParsePrice(price, currency string) (int64, error) {
	return parseDecimal(price, currency, false)
}

// ParseAmount converts an amount PingPong sent, such as "100" or
// "100.000000", to minor units. Decimals beyond the currency's digits are
// accepted only when they are zeros, so "100", "100.00" and "100.000000" are
// the same USD amount and "100.001" is an error.
func ParseAmount(amount, currency string) (int64, error) {
	return parseDecimal(amount, currency, true)
}

// FormatAmount renders minor units as the decimal string PingPong expects,
// with exactly the currency's digits: 999 USD is "9.99", 1000 JPY is "1000".
func FormatAmount(minor int64, currency string) string {
	digits, ok := CurrencyDigits(currency)
	if !ok {
		digits = 2
	}
	sign := ""
	if minor < 0 {
		sign = "-"
		minor = -minor
	}
	if digits == 0 {
		return fmt.Sprintf("%s%d", sign, minor)
	}
	scale := int64(math.Pow10(digits))
	return fmt.Sprintf("%s%d.%0*d", sign, minor/scale, digits, minor%scale)
}

// FormatMoney renders an amount for people, such as "9.99 USD".
func FormatMoney(minor int64, currency string) string {
	return FormatAmount(minor, currency) + " " + currency
}

func parseDecimal(value, currency string, allowTrailingZeros bool) (int64, error) {
	digits, ok := CurrencyDigits(currency)
	if !ok {
		return 0, fmt.Errorf("%w %q: unknown currency %q, use an ISO 4217 code such as USD", ErrInvalidAmount, value, currency)
	}

	whole, fraction, hasPoint := strings.Cut(value, ".")
	if whole == "" || !isDigits(whole) || (hasPoint && (fraction == "" || !isDigits(fraction))) {
		return 0, fmt.Errorf("%w %q: want a positive decimal number such as 9.99", ErrInvalidAmount, value)
	}

	if len(fraction) > digits {
		extra := fraction[digits:]
		if !allowTrailingZeros || strings.Trim(extra, "0") != "" {
			return 0, fmt.Errorf("%w %q: %s has %d decimal digits at most", ErrInvalidAmount, value, currency, digits)
		}
		fraction = fraction[:digits]
	}
	fraction += strings.Repeat("0", digits-len(fraction))

	var minor int64
	for _, ch := range whole + fraction {
		d := int64(ch - '0')
		if minor > (math.MaxInt64-d)/10 {
			return 0, fmt.Errorf("%w %q: too large", ErrInvalidAmount, value)
		}
		minor = minor*10 + d
	}
	if minor == 0 {
		return 0, fmt.Errorf("%w %q: must be greater than zero", ErrInvalidAmount, value)
	}
	return minor, nil
}

func isDigits(s string) bool {
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			return false
		}
	}
	return s != ""
}
