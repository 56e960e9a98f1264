package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestGetOrderByPaymentURL_FindsOrder(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	const paymentURL = "http://127.0.0.1:8000/checkout/TOKEN-A"
	newTestOrder(t, s, "ORD-OTHER")
	order := newTestOrder(t, s, "ORD-A")
	if err := s.TransitionOrder(ctx, order, StatusPending, OrderChange{PaymentURL: paymentURL}); err != nil {
		t.Fatal(err)
	}

	got, err := s.GetOrderByPaymentURL(ctx, paymentURL)

	if err != nil {
		t.Fatalf("GetOrderByPaymentURL: %v", err)
	}
	if got.MerchantTransactionID != "ORD-A" {
		t.Errorf("order = %s, want ORD-A", got.MerchantTransactionID)
	}
}

func TestGetOrderByPaymentURL_NotFound(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	const secret = "http://127.0.0.1:8000/checkout/SECRET-TOKEN"
	newTestOrder(t, s, "ORD-NO-URL")

	for _, paymentURL := range []string{secret, secret + "X", ""} {
		_, err := s.GetOrderByPaymentURL(ctx, paymentURL)

		if !errors.Is(err, ErrNotFound) {
			t.Errorf("URL %q: error = %v, want ErrNotFound", paymentURL, err)
		}
		if err != nil && paymentURL != "" && strings.Contains(err.Error(), paymentURL) {
			t.Errorf("error %q contains the payment URL and its token", err)
		}
	}
}
