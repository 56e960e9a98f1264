package payments_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/pingpongtest"
)

// observation is one call reported to ClientConfig.Observe.
type observation struct {
	call    string
	outcome string
}

type observer struct {
	mu   sync.Mutex
	seen []observation
}

func (o *observer) observe(call, outcome string, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen = append(o.seen, observation{call, outcome})
}

func (o *observer) last(t *testing.T) observation {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.seen) == 0 {
		t.Fatal("Observe was not called")
	}
	return o.seen[len(o.seen)-1]
}

func newClient(t *testing.T, cfg payments.ClientConfig) (*payments.Client, *observer) {
	t.Helper()
	obs := &observer{}
	cfg.Observe = obs.observe
	c, err := payments.NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c, obs
}

func prePayRequest(orderID string) payments.PrePayRequest {
	return payments.PrePayRequest{
		MerchantTransactionID: orderID,
		AmountMinor:           999,
		Currency:              "USD",
		ShopperIP:             "203.0.113.7",
		NotificationURL:       "https://shop.example/webhook/pingpong",
		PayResultURL:          "https://t.me/shop_bot?start=paid",
		Language:              "en",
		Remark:                "sku-1",
		TimeExpire:            time.Unix(1700000000, 0),
		GoodsName:             "E-book",
		GoodsDescription:      "PDF & EPUB",
	}
}

func assertNoSalt(t *testing.T, err error, salt string) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), salt) {
		t.Errorf("error %q contains the salt", err)
	}
}

func TestNewClient_Validation(t *testing.T) {
	valid := payments.ClientConfig{
		BaseURL: "https://sandbox.example", ClientID: "C", AccID: "A", Salt: "S",
		SignType: payments.SignSHA256,
	}
	cases := []struct {
		name   string
		change func(*payments.ClientConfig)
	}{
		{"relative base URL", func(c *payments.ClientConfig) { c.BaseURL = "/v4" }},
		{"ftp base URL", func(c *payments.ClientConfig) { c.BaseURL = "ftp://sandbox.example" }},
		{"empty base URL", func(c *payments.ClientConfig) { c.BaseURL = "" }},
		{"base URL with query", func(c *payments.ClientConfig) { c.BaseURL = "https://sandbox.example?a=1" }},
		{"empty client id", func(c *payments.ClientConfig) { c.ClientID = " " }},
		{"empty acc id", func(c *payments.ClientConfig) { c.AccID = "" }},
		{"empty salt", func(c *payments.ClientConfig) { c.Salt = "" }},
		{"empty sign type", func(c *payments.ClientConfig) { c.SignType = "" }},
		{"lowercase sign type", func(c *payments.ClientConfig) { c.SignType = "sha256" }},
		{"negative timeout", func(c *payments.ClientConfig) { c.Timeout = -time.Second }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid
			tc.change(&cfg)
			if _, err := payments.NewClient(cfg); err == nil {
				t.Error("NewClient succeeded, want an error")
			}
		})
	}

	if _, err := payments.NewClient(valid); err != nil {
		t.Errorf("NewClient(valid) = %v", err)
	}
}

func TestClientConfig_StringRedactsSalt(t *testing.T) {
	cfg := payments.ClientConfig{BaseURL: "https://x.example", Salt: "TOPSECRETSALT"}
	if s := cfg.String(); strings.Contains(s, "TOPSECRETSALT") {
		t.Errorf("String() = %q contains the salt", s)
	}
}

func TestClientPrePay_Success(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	client, obs := newClient(t, srv.ClientConfig())

	res, err := client.PrePay(context.Background(), prePayRequest("ORD-1"))
	if err != nil {
		t.Fatalf("PrePay: %v", err)
	}
	if !strings.HasPrefix(res.PaymentURL, srv.URL+"/checkout/") {
		t.Errorf("PaymentURL = %q, want one under %s/checkout/", res.PaymentURL, srv.URL)
	}
	if res.TransactionID == "" || res.Token == "" {
		t.Errorf("TransactionID %q and Token %q must be set", res.TransactionID, res.Token)
	}
	if res.MerchantTransactionID != "ORD-1" || res.Amount != "9.99" || res.Currency != "USD" {
		t.Errorf("result = %+v", res)
	}
	if got := obs.last(t); got != (observation{"prePay", payments.CallOK}) {
		t.Errorf("observed %+v, want prePay ok", got)
	}
}

func TestClientPrePay_WireFields(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{SignType: payments.SignMD5})
	client, _ := newClient(t, srv.ClientConfig())

	if _, err := client.PrePay(context.Background(), prePayRequest("ORD-1")); err != nil {
		t.Fatalf("PrePay: %v", err)
	}
	c, ok := srv.Checkout("ORD-1")
	if !ok {
		t.Fatal("no checkout recorded")
	}

	want := map[string]any{
		"captureDelayHours":     "0",
		"amount":                "9.99",
		"currency":              "USD",
		"merchantTransactionId": "ORD-1",
		"shopperIP":             "203.0.113.7",
		"notificationUrl":       "https://shop.example/webhook/pingpong",
		"payResultUrl":          "https://t.me/shop_bot?start=paid",
		"language":              "en",
		"remark":                "sku-1",
		"timeExpire":            "1700000000",
	}
	for key, value := range want {
		if c.Biz[key] != value {
			t.Errorf("bizContent %s = %v, want %v", key, c.Biz[key], value)
		}
	}
	if _, ok := c.Biz["payCancelUrl"]; ok {
		t.Error("empty payCancelUrl was sent")
	}
	if strings.Contains(c.BizContent, `\u0026`) {
		t.Errorf("bizContent %s escapes &", c.BizContent)
	}

	goods, _ := c.Biz["goods"].([]any)
	if len(goods) != 1 {
		t.Fatalf("goods = %v, want one line", c.Biz["goods"])
	}
	line, _ := goods[0].(map[string]any)
	wantLine := map[string]any{"name": "E-book", "description": "PDF & EPUB", "unitPrice": "9.99",
		"number": "1", "virtualProduct": "Y"}
	for key, value := range wantLine {
		if line[key] != value {
			t.Errorf("goods[0].%s = %v, want %v", key, line[key], value)
		}
	}
}

func TestClientPrePay_ResendReturnsSameTransaction(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	client, _ := newClient(t, srv.ClientConfig())

	first, err := client.PrePay(context.Background(), prePayRequest("ORD-1"))
	if err != nil {
		t.Fatalf("PrePay: %v", err)
	}
	second, err := client.PrePay(context.Background(), prePayRequest("ORD-1"))
	if err != nil {
		t.Fatalf("second PrePay: %v", err)
	}
	if *first != *second {
		t.Errorf("results differ: %+v and %+v", first, second)
	}
	if n := len(srv.Checkouts()); n != 1 {
		t.Errorf("%d checkouts recorded, want 1", n)
	}
}

func TestClientPrePay_ReusedIDWithOtherAmount(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	client, _ := newClient(t, srv.ClientConfig())

	if _, err := client.PrePay(context.Background(), prePayRequest("ORD-1")); err != nil {
		t.Fatalf("PrePay: %v", err)
	}
	req := prePayRequest("ORD-1")
	req.AmountMinor = 1999
	_, err := client.PrePay(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "9.99 USD") || !strings.Contains(err.Error(), "19.99 USD") {
		t.Errorf("PrePay with another amount = %v, want an error naming both amounts", err)
	}
}

func TestClientPrePay_InvalidRequestNotSent(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	client, _ := newClient(t, srv.ClientConfig())

	cases := map[string]func(*payments.PrePayRequest){
		"empty order id":       func(r *payments.PrePayRequest) { r.MerchantTransactionID = "" },
		"long order id":        func(r *payments.PrePayRequest) { r.MerchantTransactionID = strings.Repeat("x", 65) },
		"space in order id":    func(r *payments.PrePayRequest) { r.MerchantTransactionID = "ORD 1" },
		"zero amount":          func(r *payments.PrePayRequest) { r.AmountMinor = 0 },
		"negative amount":      func(r *payments.PrePayRequest) { r.AmountMinor = -5 },
		"unknown currency":     func(r *payments.PrePayRequest) { r.Currency = "XYZ" },
		"bad shopper IP":       func(r *payments.PrePayRequest) { r.ShopperIP = "localhost" },
		"no notification URL":  func(r *payments.PrePayRequest) { r.NotificationURL = "" },
		"relative notify URL":  func(r *payments.PrePayRequest) { r.NotificationURL = "/webhook" },
		"notify URL query":     func(r *payments.PrePayRequest) { r.NotificationURL = "https://shop.example/w?x=1" },
		"javascript result":    func(r *payments.PrePayRequest) { r.PayResultURL = "javascript:alert(1)" },
		"long remark":          func(r *payments.PrePayRequest) { r.Remark = strings.Repeat("é", 256) },
		"amount over 12 chars": func(r *payments.PrePayRequest) { r.AmountMinor = 1e12 },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			req := prePayRequest("ORD-1")
			change(&req)
			_, err := client.PrePay(context.Background(), req)
			if !errors.Is(err, payments.ErrInvalidRequest) {
				t.Errorf("PrePay = %v, want ErrInvalidRequest", err)
			}
		})
	}
	if n := srv.Requests(payments.PathPrePay); n != 0 {
		t.Errorf("%d requests reached the server, want 0", n)
	}
}

func TestClientPrePay_APIErrorTyped(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	client, obs := newClient(t, srv.ClientConfig())
	srv.FailNext(payments.PathPrePay, "300001", "declined by the bank")

	_, err := client.PrePay(context.Background(), prePayRequest("ORD-1"))
	var apiErr *payments.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("PrePay = %v, want *APIError", err)
	}
	if apiErr.Call != "prePay" || apiErr.Code != "300001" || apiErr.Description != "declined by the bank" {
		t.Errorf("APIError = %+v", apiErr)
	}
	if want := "pingpong prePay: code 300001: declined by the bank"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if apiErr.Temporary() {
		t.Error("a 3xxxxx code reported as temporary")
	}
	if got := obs.last(t); got.outcome != payments.CallAPIError {
		t.Errorf("outcome = %s, want %s", got.outcome, payments.CallAPIError)
	}

	if _, err := client.PrePay(context.Background(), prePayRequest("ORD-1")); err != nil {
		t.Errorf("PrePay after the injected failure = %v", err)
	}
}

func TestAPIError_Temporary(t *testing.T) {
	cases := map[string]bool{"104000": false, "200001": false, "300001": false, "500000": true, "999999": true, "": true}
	for code, want := range cases {
		if got := (&payments.APIError{Code: code}).Temporary(); got != want {
			t.Errorf("Temporary(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestClientPrePay_WrongSaltRejectedBothWays(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	cfg := srv.ClientConfig()
	cfg.Salt = "NOT-THE-SALT-0000"
	client, obs := newClient(t, cfg)

	// The fake rejects our signature with a signed 104000, and that
	// response does not verify with our wrong salt either.
	_, err := client.PrePay(context.Background(), prePayRequest("ORD-1"))
	if !errors.Is(err, payments.ErrBadSignature) {
		t.Fatalf("PrePay = %v, want ErrBadSignature", err)
	}
	if !strings.Contains(err.Error(), "unverified code 104000") {
		t.Errorf("error %q does not show the unverified code", err)
	}
	assertNoSalt(t, err, cfg.Salt)
	assertNoSalt(t, err, pingpongtest.SandboxSalt)
	if got := obs.last(t); got.outcome != payments.CallBadSignature {
		t.Errorf("outcome = %s, want %s", got.outcome, payments.CallBadSignature)
	}
	if n := len(srv.Checkouts()); n != 0 {
		t.Errorf("%d checkouts created with a bad signature", n)
	}
}

func TestClientPrePay_BadResponseSignature(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	client, obs := newClient(t, srv.ClientConfig())
	srv.SignResponsesWrong(true)

	_, err := client.PrePay(context.Background(), prePayRequest("ORD-1"))
	if !errors.Is(err, payments.ErrBadSignature) {
		t.Fatalf("PrePay = %v, want ErrBadSignature", err)
	}
	assertNoSalt(t, err, pingpongtest.SandboxSalt)
	if got := obs.last(t); got.outcome != payments.CallBadSignature {
		t.Errorf("outcome = %s, want %s", got.outcome, payments.CallBadSignature)
	}

	srv.SignResponsesWrong(false)
	if _, err := client.PrePay(context.Background(), prePayRequest("ORD-1")); err != nil {
		t.Errorf("PrePay with correct signatures = %v", err)
	}
}

func TestClientPrePay_HTTP500(t *testing.T) {
	srv := pingpongtest.NewServer(t, pingpongtest.Config{})
	client, obs := newClient(t, srv.ClientConfig())
	srv.FailNextHTTP(payments.PathPrePay, http.StatusInternalServerError)

	_, err := client.PrePay(context.Background(), prePayRequest("ORD-1"))
	var httpErr *payments.HTTPError
	if !errors.As(err, &httpErr) {
		t.Fatalf("PrePay = %v, want *HTTPError", err)
	}
	if httpErr.StatusCode != http.StatusInternalServerError || !httpErr.Temporary() {
		t.Errorf("HTTPError = %+v, want a temporary 500", httpErr)
	}
	if !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(err.Error(), "injected failure") {
		t.Errorf("error %q does not show the status and body", err)
	}
	if got := obs.last(t); got.outcome != payments.CallHTTPError {
		t.Errorf("outcome = %s, want %s", got.outcome, payments.CallHTTPError)
	}
}

func TestClientQuery_ContextTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })

	cfg := payments.ClientConfig{BaseURL: slow.URL, ClientID: "C", AccID: "A", Salt: "S",
		SignType: payments.SignSHA256}
	client, obs := newClient(t, cfg)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := client.Query(ctx, "ORD-1")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Query = %v, want context.DeadlineExceeded", err)
	}
	if got := obs.last(t); got.outcome != payments.CallTransportError {
		t.Errorf("outcome = %s, want %s", got.outcome, payments.CallTransportError)
	}

	cfg.Timeout = 100 * time.Millisecond
	client, _ = newClient(t, cfg)
	if _, err := client.Query(context.Background(), "ORD-1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Query with a client timeout = %v, want context.DeadlineExceeded", err)
	}
}

// signedServer serves one fixed bizContent in a response signed with salt S.
func signedServer(t *testing.T, code string, biz any) payments.ClientConfig {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		env := payments.Envelope{"accId": "A", "clientId": "C", "signType": payments.SignSHA256, "code": code}
		if biz != nil {
			text, err := json.Marshal(biz)
			if err != nil {
				t.Errorf("encode bizContent: %v", err)
			}
			env["bizContent"] = string(text)
		}
		if err := env.SetSign("S"); err != nil {
			t.Errorf("sign: %v", err)
		}
		body, _ := env.JSON()
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return payments.ClientConfig{BaseURL: srv.URL, ClientID: "C", AccID: "A", Salt: "S",
		SignType: payments.SignSHA256}
}

func TestClientPrePay_MalformedResults(t *testing.T) {
	cases := []struct {
		name string
		biz  any
	}{
		{"no bizContent", nil},
		{"no paymentUrl", map[string]string{"transactionId": "T", "amount": "9.99", "currency": "USD"}},
		{"javascript paymentUrl", map[string]string{"paymentUrl": "javascript:alert(1)"}},
		{"bizContent array", []string{"a"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, _ := newClient(t, signedServer(t, payments.CodeRequestSucceeded, tc.biz))
			_, err := client.PrePay(context.Background(), prePayRequest("ORD-1"))
			if !errors.Is(err, payments.ErrMalformed) {
				t.Errorf("PrePay = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestClientPrePay_OtherOrderInResult(t *testing.T) {
	client, _ := newClient(t, signedServer(t, payments.CodeRequestSucceeded, map[string]string{
		"merchantTransactionId": "ORD-2", "paymentUrl": "https://pay.example/x",
		"amount": "9.99", "currency": "USD",
	}))
	_, err := client.PrePay(context.Background(), prePayRequest("ORD-1"))
	if err == nil || !strings.Contains(err.Error(), "ORD-2") {
		t.Errorf("PrePay = %v, want an error naming ORD-2", err)
	}
}

func TestClientPrePay_NumericAmountInResult(t *testing.T) {
	client, _ := newClient(t, signedServer(t, payments.CodeRequestSucceeded, map[string]any{
		"paymentUrl": "https://pay.example/x", "amount": json.Number("9.990000"), "currency": "USD",
	}))
	res, err := client.PrePay(context.Background(), prePayRequest("ORD-1"))
	if err != nil {
		t.Fatalf("PrePay: %v", err)
	}
	if res.Amount != "9.990000" {
		t.Errorf("Amount = %q, want 9.990000", res.Amount)
	}
}

func TestClient_NonJSONResponse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<html>gateway</html>"))
	}))
	t.Cleanup(srv.Close)
	client, obs := newClient(t, payments.ClientConfig{BaseURL: srv.URL, ClientID: "C", AccID: "A",
		Salt: "S", SignType: payments.SignSHA256})

	_, err := client.Query(context.Background(), "ORD-1")
	if !errors.Is(err, payments.ErrMalformed) {
		t.Errorf("Query = %v, want ErrMalformed", err)
	}
	if got := obs.last(t); got.outcome != payments.CallMalformed {
		t.Errorf("outcome = %s, want %s", got.outcome, payments.CallMalformed)
	}
}

func TestClient_RedirectNotFollowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	client, _ := newClient(t, payments.ClientConfig{BaseURL: srv.URL, ClientID: "C", AccID: "A",
		Salt: "S", SignType: payments.SignSHA256})

	_, err := client.Query(context.Background(), "ORD-1")
	var httpErr *payments.HTTPError
	if !errors.As(err, &httpErr) || httpErr.StatusCode != http.StatusFound {
		t.Errorf("Query = %v, want an HTTPError with status 302", err)
	}
}
