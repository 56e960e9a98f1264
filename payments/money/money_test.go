package money

import (
	"errors"
	"math"
	"testing"
)

func TestParsePrice_Table(t *testing.T) {
	cases := []struct {
		price    string
		currency string
		want     int64
		wantErr  bool
	}{
		{"9.99", "USD", 999, false},
		{"9.9", "USD", 990, false},
		{"10", "USD", 1000, false},
		{"0.01", "USD", 1, false},
		{"1000", "JPY", 1000, false},
		{"1.500", "KWD", 1500, false},
		{"1.5", "BHD", 1500, false},
		{"1.2345", "CLF", 12345, false},
		{"92233720368547758.07", "USD", math.MaxInt64, false},
		{"9.999", "USD", 0, true},
		{"9.990", "USD", 0, true},
		{"1000.5", "JPY", 0, true},
		{"1.5000", "KWD", 0, true},
		{"-1", "USD", 0, true},
		{"+1", "USD", 0, true},
		{"1e3", "USD", 0, true},
		{"", "USD", 0, true},
		{".5", "USD", 0, true},
		{"5.", "USD", 0, true},
		{"0", "USD", 0, true},
		{"0.00", "USD", 0, true},
		{" 1", "USD", 0, true},
		{"1,00", "USD", 0, true},
		{"1.2.3", "USD", 0, true},
		{"１", "USD", 0, true},
		{"92233720368547758.08", "USD", 0, true},
		{"99999999999999999999", "JPY", 0, true},
		{"1", "XYZ", 0, true},
		{"1", "usd", 0, true},
		{"1", "", 0, true},
	}
	for _, tc := range cases {
		got, err := ParsePrice(tc.price, tc.currency)
		if tc.wantErr {
			if !errors.Is(err, ErrInvalidAmount) {
				t.Errorf("ParsePrice(%q, %q) = %d, %v, want ErrInvalidAmount", tc.price, tc.currency, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParsePrice(%q, %q) = %d, %v, want %d", tc.price, tc.currency, got, err, tc.want)
		}
	}
}

func TestParseAmount_TrailingZeros(t *testing.T) {
	for _, amount := range []string{"100", "100.0", "100.00", "100.000000"} {
		got, err := ParseAmount(amount, "USD")
		if err != nil || got != 10000 {
			t.Errorf("ParseAmount(%q, USD) = %d, %v, want 10000", amount, got, err)
		}
	}

	got, err := ParseAmount("100.000000", "JPY")
	if err != nil || got != 100 {
		t.Errorf("ParseAmount(100.000000, JPY) = %d, %v, want 100", got, err)
	}
	got, err = ParseAmount("1.500000", "KWD")
	if err != nil || got != 1500 {
		t.Errorf("ParseAmount(1.500000, KWD) = %d, %v, want 1500", got, err)
	}
}

func TestParseAmount_Rejections(t *testing.T) {
	cases := []struct{ amount, currency string }{
		{"100.001", "USD"},
		{"100.000001", "USD"},
		{"100.5", "JPY"},
		{"1.5001", "KWD"},
		{"-100", "USD"},
		{"100.", "USD"},
		{"", "USD"},
		{"0.000", "USD"},
		{"100", "ABC"},
	}
	for _, tc := range cases {
		if got, err := ParseAmount(tc.amount, tc.currency); !errors.Is(err, ErrInvalidAmount) {
			t.Errorf("ParseAmount(%q, %q) = %d, %v, want ErrInvalidAmount", tc.amount, tc.currency, got, err)
		}
	}
}

func TestParseAmount_ErrorNamesValue(t *testing.T) {
	_, err := ParseAmount("100.001", "USD")
	if err == nil {
		t.Fatal("ParseAmount(100.001, USD) succeeded")
	}
	want := `invalid amount "100.001": USD has 2 decimal digits at most`
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestFormatAmount_Table(t *testing.T) {
	cases := []struct {
		minor    int64
		currency string
		want     string
	}{
		{999, "USD", "9.99"},
		{5, "USD", "0.05"},
		{0, "USD", "0.00"},
		{100000, "USD", "1000.00"},
		{-150, "USD", "-1.50"},
		{1000, "JPY", "1000"},
		{1500, "KWD", "1.500"},
		{1, "BHD", "0.001"},
		{12345, "CLF", "1.2345"},
		{999, "XYZ", "9.99"},
		{math.MaxInt64, "USD", "92233720368547758.07"},
	}
	for _, tc := range cases {
		if got := FormatAmount(tc.minor, tc.currency); got != tc.want {
			t.Errorf("FormatAmount(%d, %s) = %q, want %q", tc.minor, tc.currency, got, tc.want)
		}
	}
}

func TestFormatMoney_AppendsCurrency(t *testing.T) {
	if got := FormatMoney(999, "USD"); got != "9.99 USD" {
		t.Errorf("FormatMoney(999, USD) = %q, want 9.99 USD", got)
	}
}

func TestFormatAmount_RoundTripsThroughParse(t *testing.T) {
	for _, currency := range []string{"USD", "JPY", "KWD", "CLF"} {
		for _, minor := range []int64{1, 7, 10, 99, 100, 101, 12345, 1 << 40, math.MaxInt64} {
			text := FormatAmount(minor, currency)
			got, err := ParseAmount(text, currency)
			if err != nil || got != minor {
				t.Errorf("ParseAmount(FormatAmount(%d, %s) = %q) = %d, %v", minor, currency, text, got, err)
			}
		}
	}
}

func TestCurrencyDigits_Known(t *testing.T) {
	cases := map[string]int{"USD": 2, "EUR": 2, "JPY": 0, "KRW": 0, "KWD": 3, "BHD": 3, "CLF": 4}
	for currency, want := range cases {
		got, ok := CurrencyDigits(currency)
		if !ok || got != want {
			t.Errorf("CurrencyDigits(%s) = %d, %v, want %d", currency, got, ok, want)
		}
	}
	if _, ok := CurrencyDigits("XXX1"); ok {
		t.Error("CurrencyDigits(XXX1) reported a known currency")
	}
}
