package payments_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/pingpongtest"
)

// paidOrder creates checkout ORD-1 on the fake and marks it paid.
func paidOrder(t *testing.T) (*pingpongtest.Server, *payments.Client) {
	t.Helper()
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	client, _ := newClient(t, srv.ClientConfig())
	if _, err := client.PrePay(context.Background(), prePayRequest("ORD-1")); err != nil {
		t.Fatalf("PrePay: %v", err)
	}
	srv.SetStatus("ORD-1", payments.StatusSuccess)
	return srv, client
}

func TestClientQuery_StatusLifecycle(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	client, obs := newClient(t, srv.ClientConfig())
	created, err := client.PrePay(context.Background(), prePayRequest("ORD-1"))
	if err != nil {
		t.Fatalf("PrePay: %v", err)
	}

	res, err := client.Query(context.Background(), "ORD-1")
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if res.Status != payments.StatusInit {
		t.Errorf("Status = %s, want INIT", res.Status)
	}
	if res.TransactionID != created.TransactionID || res.MerchantTransactionID != "ORD-1" {
		t.Errorf("ids = %q %q, want %q ORD-1", res.TransactionID, res.MerchantTransactionID, created.TransactionID)
	}
	if res.Amount != "9.99" || res.Currency != "USD" {
		t.Errorf("amount = %s %s, want 9.99 USD", res.Amount, res.Currency)
	}
	if time.Since(res.TransactionTime) > time.Hour || res.TransactionTime.After(time.Now().Add(time.Minute)) {
		t.Errorf("TransactionTime = %v, want about now", res.TransactionTime)
	}
	if got := obs.last(t); got != (observation{"query", payments.CallOK}) {
		t.Errorf("observed %+v, want query ok", got)
	}

	srv.SetFailure("ORD-1", "300001", "Do not honor")
	res, err = client.Query(context.Background(), "ORD-1")
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if res.Status != payments.StatusFailed || res.ResultCode != "300001" || res.ResultDescription != "Do not honor" {
		t.Errorf("failed query = %+v", res)
	}

	srv.SetStatus("ORD-1", payments.StatusSuccess)
	res, err = client.Query(context.Background(), "ORD-1")
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if res.Status != payments.StatusSuccess || res.ResultCode != "" {
		t.Errorf("paid query = %+v", res)
	}
}

func TestClientQuery_UnknownOrder(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	client, _ := newClient(t, srv.ClientConfig())

	_, err := client.Query(context.Background(), "ORD-404")
	var apiErr *payments.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != pingpongtest.CodeTransactionNotFound {
		t.Errorf("Query = %v, want APIError %s", err, pingpongtest.CodeTransactionNotFound)
	}
}

func TestClientQuery_InvalidID(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	client, _ := newClient(t, srv.ClientConfig())

	if _, err := client.Query(context.Background(), ""); !errors.Is(err, payments.ErrInvalidRequest) {
		t.Errorf("Query(\"\") = %v, want ErrInvalidRequest", err)
	}
	if n := srv.Requests(payments.PathQuery); n != 0 {
		t.Errorf("%d queries sent, want 0", n)
	}
}

func TestClientQuery_MissingStatus(t *testing.T) {
	client, _ := newClient(t, signedServer(t, payments.CodeRequestSucceeded,
		map[string]string{"merchantTransactionId": "ORD-1"}))
	if _, err := client.Query(context.Background(), "ORD-1"); !errors.Is(err, payments.ErrMalformed) {
		t.Errorf("Query = %v, want ErrMalformed", err)
	}
}

func TestClientQuery_OtherOrderInResult(t *testing.T) {
	client, _ := newClient(t, signedServer(t, payments.CodeRequestSucceeded,
		map[string]string{"merchantTransactionId": "ORD-2", "status": "SUCCESS"}))
	if _, err := client.Query(context.Background(), "ORD-1"); err == nil {
		t.Error("Query returned another order's result without an error")
	}
}

func TestClientQuery_UnsignedSuccessRejected(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"code":"000000","bizContent":"{\"status\":\"SUCCESS\"}"}`))
	}))
	t.Cleanup(srv.Close)
	client, _ := newClient(t, payments.ClientConfig{BaseURL: srv.URL, ClientID: "C", AccID: "A",
		Salt: "S", SignType: payments.SignSHA256})

	if _, err := client.Query(context.Background(), "ORD-1"); !errors.Is(err, payments.ErrBadSignature) {
		t.Errorf("Query = %v, want ErrBadSignature", err)
	}
}

func TestClientRefund_Success(t *testing.T) {
	srv, client := paidOrder(t)

	res, err := client.Refund(context.Background(), payments.RefundRequest{
		MerchantTransactionID: "ORD-1",
		MerchantRefundID:      "RF-1",
		AmountMinor:           500,
		Currency:              "USD",
		NotificationURL:       "https://shop.example/webhook/pingpong",
		Remark:                "partial",
	})
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}
	if res.Status != payments.StatusSuccess || res.RefundID == "" || res.RefundTime.IsZero() {
		t.Errorf("result = %+v", res)
	}

	refunds := srv.Refunds()
	if len(refunds) != 1 {
		t.Fatalf("%d refunds recorded, want 1", len(refunds))
	}
	r := refunds[0]
	if r.Amount != "5.00" || r.MerchantRefundID != "RF-1" || r.RefundID != res.RefundID || r.Remark != "partial" {
		t.Errorf("recorded refund = %+v", r)
	}
	if r.NotificationURL != "https://shop.example/webhook/pingpong" {
		t.Errorf("notificationUrl = %q", r.NotificationURL)
	}
}

func TestClientRefund_ProcessingAndResend(t *testing.T) {
	srv, client := paidOrder(t)
	srv.SetRefundStatus(payments.StatusProcessing)
	req := payments.RefundRequest{MerchantTransactionID: "ORD-1", MerchantRefundID: "RF-1",
		AmountMinor: 999, Currency: "USD"}

	first, err := client.Refund(context.Background(), req)
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}
	if first.Status != payments.StatusProcessing {
		t.Errorf("Status = %s, want PROCESSING", first.Status)
	}

	second, err := client.Refund(context.Background(), req)
	if err != nil {
		t.Fatalf("resent Refund: %v", err)
	}
	if second.RefundID != first.RefundID {
		t.Errorf("resent refund got id %s, want %s", second.RefundID, first.RefundID)
	}
	if n := len(srv.Refunds()); n != 1 {
		t.Errorf("%d refunds recorded, want 1", n)
	}
}

func TestClientRefund_Rejected(t *testing.T) {
	srv, client := paidOrder(t)

	_, err := client.Refund(context.Background(), payments.RefundRequest{
		MerchantTransactionID: "ORD-1", MerchantRefundID: "RF-1", AmountMinor: 1000, Currency: "USD",
	})
	var apiErr *payments.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != pingpongtest.CodeRefundRejected || apiErr.Call != "refund" {
		t.Errorf("Refund over the paid amount = %v, want APIError %s", err, pingpongtest.CodeRefundRejected)
	}
	if n := len(srv.Refunds()); n != 0 {
		t.Errorf("%d refunds recorded, want 0", n)
	}
}

func TestClientRefund_InvalidRequest(t *testing.T) {
	srv, client := paidOrder(t)
	cases := map[string]payments.RefundRequest{
		"no refund id": {MerchantTransactionID: "ORD-1", AmountMinor: 1, Currency: "USD"},
		"no order id":  {MerchantRefundID: "RF-1", AmountMinor: 1, Currency: "USD"},
		"zero amount":  {MerchantTransactionID: "ORD-1", MerchantRefundID: "RF-1", Currency: "USD"},
		"bad currency": {MerchantTransactionID: "ORD-1", MerchantRefundID: "RF-1", AmountMinor: 1, Currency: "usd"},
		"notify query": {MerchantTransactionID: "ORD-1", MerchantRefundID: "RF-1", AmountMinor: 1,
			Currency: "USD", NotificationURL: "https://shop.example/w?x=1"},
	}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := client.Refund(context.Background(), req); !errors.Is(err, payments.ErrInvalidRequest) {
				t.Errorf("Refund = %v, want ErrInvalidRequest", err)
			}
		})
	}
	if n := srv.Requests(payments.PathRefund); n != 0 {
		t.Errorf("%d refund requests sent, want 0", n)
	}
}

func TestHTTPError_BodyExcerpt(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("line one\nline\x00two " + strings.Repeat("é", 300)))
	}))
	t.Cleanup(srv.Close)
	client, _ := newClient(t, payments.ClientConfig{BaseURL: srv.URL, ClientID: "C", AccID: "A",
		Salt: "S", SignType: payments.SignSHA256})

	_, err := client.Query(context.Background(), "ORD-1")
	var httpErr *payments.HTTPError
	if !errors.As(err, &httpErr) {
		t.Fatalf("Query = %v, want *HTTPError", err)
	}
	if len(httpErr.Body) > 203 || !utf8.ValidString(httpErr.Body) || !strings.HasSuffix(httpErr.Body, "...") {
		t.Errorf("Body = %q, want at most 200 bytes of valid UTF-8 and an ellipsis", httpErr.Body)
	}
	if !strings.HasPrefix(httpErr.Body, "line one line two") {
		t.Errorf("Body = %q, want control characters replaced by spaces", httpErr.Body)
	}
}

func TestClient_StringHidesSalt(t *testing.T) {
	client, _ := newClient(t, payments.ClientConfig{BaseURL: "https://pp.example", ClientID: "C",
		AccID: "A", Salt: "TOPSECRETSALT", SignType: payments.SignSHA256})
	if s := client.String(); strings.Contains(s, "TOPSECRETSALT") || !strings.Contains(s, "pp.example") {
		t.Errorf("String() = %q", s)
	}
}
