package payments

import "telegram-bot-webhook/payments/money"

// ErrInvalidAmount is money.ErrInvalidAmount.
var ErrInvalidAmount = money.ErrInvalidAmount

// CurrencyDigits calls money.CurrencyDigits.
func CurrencyDigits(currency string) (int, bool) { return money.CurrencyDigits(currency) }

// ParsePrice calls money.ParsePrice.
func ParsePrice(price, currency string) (int64, error) { return money.ParsePrice(price, currency) }

// ParseAmount calls money.ParseAmount.
func ParseAmount(amount, currency string) (int64, error) { return money.ParseAmount(amount, currency) }

// FormatAmount calls money.FormatAmount.
func FormatAmount(minor int64, currency string) string { return money.FormatAmount(minor, currency) }

// FormatMoney calls money.FormatMoney.
func FormatMoney(minor int64, currency string) string { return money.FormatMoney(minor, currency) }
