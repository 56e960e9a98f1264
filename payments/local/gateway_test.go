package local

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"telegram-bot-webhook/payments"
)

func TestNew_RejectsInvalidOptions(t *testing.T) {
	valid := Options{
		PublicBaseURL: "http://127.0.0.1:8000",
		NotifyURL:     "http://127.0.0.1:8000/webhook/pingpong",
		AccID:         testAccID,
		ClientID:      testClientID,
		Salt:          testSalt,
		Logger:        slog.New(slog.DiscardHandler),
	}
	tests := []struct {
		name   string
		change func(*Options)
		want   string
	}{
		{"public URL missing", func(o *Options) { o.PublicBaseURL = "" }, "public base URL \"\" is missing"},
		{"public URL scheme", func(o *Options) { o.PublicBaseURL = "ftp://host" }, "is not an http or https URL"},
		{"notify URL without host", func(o *Options) { o.NotifyURL = "http:///webhook" }, "has no host"},
		{"ids missing", func(o *Options) { o.AccID = "" }, "accId \"\" and clientId"},
		{"salt missing", func(o *Options) { o.Salt = "" }, "salt is empty"},
		{"sign type unknown", func(o *Options) { o.SignType = "SHA1" }, "unknown sign type \"SHA1\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := valid
			tt.change(&opts)

			_, err := New(opts)

			if err == nil {
				t.Fatal("New succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), testSalt) {
				t.Errorf("error contains the salt: %q", err)
			}
		})
	}
}

func TestPrePay_ReturnsCheckoutLink(t *testing.T) {
	f := newFixture(t)

	result := f.prePay(f.prePayRequest("ORD-1"))

	token, ok := strings.CutPrefix(result.PaymentURL, "http://127.0.0.1:8000/checkout/")
	if !ok {
		t.Fatalf("PaymentURL = %q, want it under http://127.0.0.1:8000/checkout/", result.PaymentURL)
	}
	if token != result.Token {
		t.Errorf("Token = %q, want the token of the URL %q", result.Token, token)
	}
	if !strings.HasPrefix(result.TransactionID, "LOCAL-") {
		t.Errorf("TransactionID = %q, want the LOCAL- prefix", result.TransactionID)
	}
	if result.MerchantTransactionID != "ORD-1" || result.Amount != "9.99" || result.Currency != "USD" {
		t.Errorf("result = %+v, want ORD-1 9.99 USD", result)
	}
}

func TestPrePay_TokensAreUnguessable(t *testing.T) {
	f := newFixture(t)
	seen := map[string]bool{}

	for i := range 50 {
		result := f.prePay(f.prePayRequest("ORD-" + string(rune('A'+i))))
		raw, err := base64.RawURLEncoding.DecodeString(result.Token)
		if err != nil {
			t.Fatalf("token %q is not unpadded base64url: %v", result.Token, err)
		}
		if len(raw) < 16 {
			t.Errorf("token carries %d bytes, want at least 16 (128 bits)", len(raw))
		}
		if seen[result.Token] {
			t.Fatalf("token %q was issued twice", result.Token)
		}
		seen[result.Token] = true
	}
}

func TestPrePay_SameOrderReturnsSameCheckout(t *testing.T) {
	f := newFixture(t)
	first := f.prePay(f.prePayRequest("ORD-1"))

	again := f.prePay(f.prePayRequest("ORD-1"))

	if *again != *first {
		t.Errorf("second prePay = %+v, want the first %+v", again, first)
	}

	other := f.prePayRequest("ORD-1")
	other.AmountMinor = 100
	if _, err := f.provider.PrePay(context.Background(), other); err == nil ||
		!strings.Contains(err.Error(), "must not be reused for another amount") {
		t.Errorf("prePay with another amount: error = %v, want the reused-id error", err)
	}
}

func TestPrePay_InvalidRequest(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		change func(*payments.PrePayRequest)
		want   string
	}{
		{"empty id", func(r *payments.PrePayRequest) { r.MerchantTransactionID = "" }, "is empty"},
		{"id with space", func(r *payments.PrePayRequest) { r.MerchantTransactionID = "A B" }, "space"},
		{"long id", func(r *payments.PrePayRequest) { r.MerchantTransactionID = strings.Repeat("A", 65) }, "65 bytes"},
		{"zero amount", func(r *payments.PrePayRequest) { r.AmountMinor = 0 }, "greater than zero"},
		{"unknown currency", func(r *payments.PrePayRequest) { r.Currency = "XYZ" }, "\"XYZ\" is unknown"},
		{"bad return URL", func(r *payments.PrePayRequest) { r.PayResultURL = "javascript:alert(1)" }, "pay result URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := f.prePayRequest("ORD-1")
			tt.change(&req)

			_, err := f.provider.PrePay(context.Background(), req)

			if !errors.Is(err, payments.ErrInvalidRequest) {
				t.Fatalf("error = %v, want payments.ErrInvalidRequest", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// queryStatus returns the status Query reports for the order.
func queryStatus(t *testing.T, p *Provider, orderID string) *payments.QueryResult {
	t.Helper()
	result, err := p.Query(context.Background(), orderID)
	if err != nil {
		t.Fatalf("Query %s: %v", orderID, err)
	}
	return result
}

func TestQuery_Statuses(t *testing.T) {
	f := newFixture(t)
	paid := f.prePay(f.prePayRequest("ORD-PAID"))
	declined := f.prePay(f.prePayRequest("ORD-DECLINED"))
	f.prePay(f.prePayRequest("ORD-OPEN"))

	if got := queryStatus(t, f.provider, "ORD-OPEN"); got.Status != payments.StatusInit {
		t.Errorf("open checkout status = %s, want INIT", got.Status)
	}

	f.press(paid.PaymentURL, "pay")
	got := queryStatus(t, f.provider, "ORD-PAID")
	if got.Status != payments.StatusSuccess || got.Amount != "9.99" || got.Currency != "USD" ||
		got.TransactionID != paid.TransactionID || !got.TransactionTime.Equal(f.clock()) {
		t.Errorf("paid checkout = %+v, want SUCCESS 9.99 USD %s at %s", got, paid.TransactionID, f.clock())
	}

	f.press(declined.PaymentURL, "decline")
	got = queryStatus(t, f.provider, "ORD-DECLINED")
	if got.Status != payments.StatusFailed || got.ResultDescription != DeclineDescription {
		t.Errorf("declined checkout = %s %q, want FAILED %q", got.Status, got.ResultDescription, DeclineDescription)
	}

	f.advance(payments.CheckoutValidity)
	for id, want := range map[string]string{
		"ORD-OPEN":     payments.StatusClosed,
		"ORD-DECLINED": payments.StatusClosed,
		"ORD-PAID":     payments.StatusSuccess,
	} {
		if got := queryStatus(t, f.provider, id); got.Status != want {
			t.Errorf("%s after expiry: status = %s, want %s", id, got.Status, want)
		}
	}
}

func TestQuery_UnknownOrder(t *testing.T) {
	f := newFixture(t)

	_, err := f.provider.Query(context.Background(), "ORD-GONE")

	var apiErr *payments.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want a *payments.APIError", err)
	}
	if apiErr.Code != CodeNotFound || apiErr.Temporary() {
		t.Errorf("APIError = %+v, want permanent code %s", apiErr, CodeNotFound)
	}
}

// refundRequest returns a refund of amountMinor cents of order id.
func refundRequest(id, refundID string, amountMinor int64) payments.RefundRequest {
	return payments.RefundRequest{
		MerchantTransactionID: id,
		MerchantRefundID:      refundID,
		AmountMinor:           amountMinor,
		Currency:              "USD",
		NotificationURL:       "https://public.example.test/webhook/pingpong",
	}
}

func TestRefund_PostsRefundNotification(t *testing.T) {
	f := newFixture(t)
	checkout := f.prePay(f.prePayRequest("ORD-1"))
	f.press(checkout.PaymentURL, "pay")
	f.receiver.waitFor(1)

	result, err := f.provider.Refund(context.Background(), refundRequest("ORD-1", "RF-ORD-1-A", 400))
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}

	if result.Status != payments.StatusSuccess || !strings.HasPrefix(result.RefundID, "LOCALRF-") {
		t.Errorf("Refund result = %+v, want SUCCESS with a LOCALRF- id", result)
	}
	n := f.receiver.waitFor(2)[1]
	want := payments.Notification{
		AccID:                 testAccID,
		ClientID:              testClientID,
		SignType:              payments.SignSHA256,
		NotifyType:            payments.NotifyRefund,
		Status:                payments.StatusSuccess,
		Amount:                "4.00",
		Currency:              "USD",
		MerchantTransactionID: "ORD-1",
		TransactionID:         checkout.TransactionID,
		MerchantRefundID:      "RF-ORD-1-A",
		RefundID:              result.RefundID,
	}
	got := *n
	got.Envelope, got.RefundTime, got.RequestID = nil, "", ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("refund notification = %+v\nwant %+v", got, want)
	}
	if n.RefundTime == "" || n.RequestID == "" {
		t.Errorf("refund notification has refundTime %q and requestId %q, want both set", n.RefundTime, n.RequestID)
	}
}

func TestRefund_SameRefundIDPostsOnce(t *testing.T) {
	f := newFixture(t)
	checkout := f.prePay(f.prePayRequest("ORD-1"))
	f.press(checkout.PaymentURL, "pay")
	first, err := f.provider.Refund(context.Background(), refundRequest("ORD-1", "RF-1", 999))
	if err != nil {
		t.Fatal(err)
	}

	again, err := f.provider.Refund(context.Background(), refundRequest("ORD-1", "RF-1", 999))

	if err != nil || again.RefundID != first.RefundID {
		t.Fatalf("second Refund = %+v, %v, want the first refund id %s", again, err, first.RefundID)
	}
	f.receiver.waitFor(2)
	if err := f.provider.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(f.receiver.all()); n != 2 {
		t.Errorf("receiver got %d notifications, want the payment and one refund", n)
	}
}

func TestRefund_Rejections(t *testing.T) {
	f := newFixture(t)
	f.prePay(f.prePayRequest("ORD-OPEN"))
	paid := f.prePay(f.prePayRequest("ORD-PAID"))
	f.press(paid.PaymentURL, "pay")
	if _, err := f.provider.Refund(context.Background(), refundRequest("ORD-PAID", "RF-A", 900)); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		req  payments.RefundRequest
		code string
		want string
	}{
		{"unpaid", refundRequest("ORD-OPEN", "RF-B", 100), CodeRefundRejected, "status INIT cannot be refunded"},
		{"over the amount left", refundRequest("ORD-PAID", "RF-C", 100), CodeRefundRejected, "exceeds the 0.99 USD left"},
		{"unknown order", refundRequest("ORD-GONE", "RF-D", 100), CodeNotFound, "no local checkout"},
	}
	otherCurrency := refundRequest("ORD-PAID", "RF-E", 50)
	otherCurrency.Currency = "EUR"
	tests = append(tests, struct {
		name string
		req  payments.RefundRequest
		code string
		want string
	}{"other currency", otherCurrency, CodeRefundRejected, "differs from the transaction currency USD"})

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.provider.Refund(context.Background(), tt.req)

			var apiErr *payments.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v, want a *payments.APIError", err)
			}
			if apiErr.Code != tt.code || !strings.Contains(apiErr.Description, tt.want) {
				t.Errorf("APIError = %+v, want code %s and %q", apiErr, tt.code, tt.want)
			}
		})
	}
}

func TestRefund_InvalidRequest(t *testing.T) {
	f := newFixture(t)

	_, err := f.provider.Refund(context.Background(), refundRequest("ORD-1", "", 100))

	if !errors.Is(err, payments.ErrInvalidRequest) || !strings.Contains(err.Error(), "merchant refund id is empty") {
		t.Errorf("error = %v, want ErrInvalidRequest about the empty refund id", err)
	}
}

func TestRefund_RetriesUntilAcknowledged(t *testing.T) {
	f := newFixture(t)
	f.provider.refundRetryDelays = []time.Duration{time.Millisecond, time.Millisecond}
	checkout := f.prePay(f.prePayRequest("ORD-1"))
	f.press(checkout.PaymentURL, "pay")
	f.receiver.waitFor(1)
	f.receiver.failNext(2)

	if _, err := f.provider.Refund(context.Background(), refundRequest("ORD-1", "RF-1", 999)); err != nil {
		t.Fatal(err)
	}

	notifications := f.receiver.waitFor(4)
	if err := f.provider.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(f.receiver.all()); n != 4 {
		t.Errorf("receiver got %d notifications, want the payment and 3 refund posts", n)
	}
	for i, n := range notifications[1:] {
		if n.NotifyType != payments.NotifyRefund || n.MerchantRefundID != "RF-1" {
			t.Errorf("post %d is %s for %q, want the REFUND of RF-1", i+1, n.NotifyType, n.MerchantRefundID)
		}
	}
}

func TestClose_StopsWaitingRefund(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.RefundDelay = time.Hour })
	checkout := f.prePay(f.prePayRequest("ORD-1"))
	f.press(checkout.PaymentURL, "pay")
	if _, err := f.provider.Refund(context.Background(), refundRequest("ORD-1", "RF-1", 999)); err != nil {
		t.Fatal(err)
	}

	closed := make(chan error, 1)
	go func() { closed <- f.provider.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Close did not return while a refund notification was waiting")
	}

	if n := len(f.receiver.all()); n != 1 {
		t.Errorf("receiver got %d notifications, want only the payment", n)
	}
	if _, err := f.provider.Refund(context.Background(), refundRequest("ORD-1", "RF-2", 1)); err == nil {
		t.Error("Refund after Close succeeded, want an error")
	}
}

func TestLoopbackBaseURL(t *testing.T) {
	tests := []struct {
		addr, want string
	}{
		{"0.0.0.0:8000", "http://127.0.0.1:8000"},
		{"[::]:8000", "http://127.0.0.1:8000"},
		{":8000", "http://127.0.0.1:8000"},
		{"localhost:8000", "http://127.0.0.1:8000"},
		{"127.0.0.1:41234", "http://127.0.0.1:41234"},
		{"[::1]:8000", "http://[::1]:8000"},
		{"192.0.2.10:8000", "http://192.0.2.10:8000"},
	}
	for _, tt := range tests {
		got, err := LoopbackBaseURL(tt.addr)
		if err != nil || got != tt.want {
			t.Errorf("LoopbackBaseURL(%q) = %q, %v, want %q", tt.addr, got, err, tt.want)
		}
	}
	if _, err := LoopbackBaseURL("8000"); err == nil {
		t.Error("LoopbackBaseURL(\"8000\") succeeded, want an error")
	}
}
