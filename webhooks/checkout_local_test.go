package webhooks

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/local"
	"telegram-bot-webhook/store"
)

// localCheckout is a server with the local checkout mounted, on a loopback
// httptest server that the checkout also posts its notifications to.
type localCheckout struct {
	url       string
	processor *fakeProcessor
	provider  *local.Provider
}

func newLocalCheckout(t *testing.T, rateBurst int) *localCheckout {
	t.Helper()
	handler := &swappableHandler{}
	httpServer := httptest.NewServer(handler)
	t.Cleanup(httpServer.Close)

	provider, err := local.New(local.Options{
		PublicBaseURL: httpServer.URL,
		NotifyURL:     httpServer.URL + PingPongPath,
		AccID:         "2018092714313010016291",
		ClientID:      "2018092714313010016",
		Salt:          "TESTSALT0123456789ABCDEF",
		Logger:        slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("local.New: %v", err)
	}
	t.Cleanup(func() { _ = provider.Close() })

	processor := &fakeProcessor{result: payments.Result{Outcome: store.OutcomeApplied}}
	server, _ := newTestServer(t, Options{
		Notifications: processor,
		Checkout:      provider,
		RateLimit:     0.001,
		RateBurst:     rateBurst,
	})
	handler.handler = server.Handler()
	return &localCheckout{url: httpServer.URL, processor: processor, provider: provider}
}

// swappableHandler lets the httptest server start before the Server that
// needs its URL exists.
type swappableHandler struct {
	handler http.Handler
}

func (h *swappableHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.handler.ServeHTTP(w, r)
}

// fetched is a response read in full.
type fetched struct {
	status int
	header http.Header
	body   string
}

func fetch(t *testing.T, req *http.Request) fetched {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fetched{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func getPage(t *testing.T, pageURL, acceptLanguage string) fetched {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, pageURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Language", acceptLanguage)
	return fetch(t, req)
}

var formTokenPattern = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (lc *localCheckout) prePay(t *testing.T) *payments.PrePayResult {
	t.Helper()
	result, err := lc.provider.PrePay(context.Background(), payments.PrePayRequest{
		MerchantTransactionID: "ORD-1",
		AmountMinor:           999,
		Currency:              "USD",
		GoodsName:             "Field Guide",
	})
	if err != nil {
		t.Fatalf("PrePay: %v", err)
	}
	return result
}

func TestLocalCheckout_PagesDoNotUseUpNotifications(t *testing.T) {
	lc := newLocalCheckout(t, 3)
	checkout := lc.prePay(t)
	getPage(t, checkout.PaymentURL, "")
	page := getPage(t, checkout.PaymentURL, "")
	match := formTokenPattern.FindStringSubmatch(page.body)
	if match == nil {
		t.Fatalf("checkout page has no form token: %d\n%s", page.status, page.body)
	}

	result := fetch(t, formPost(t, checkout.PaymentURL+"/pay", url.Values{"csrf_token": {match[1]}}))

	if result.status != http.StatusOK || !strings.Contains(result.body, "Payment confirmed") {
		t.Errorf("pay after the page used the burst: %d\n%s", result.status, result.body)
	}
	if n := lc.processor.callCount(); n != 1 {
		t.Errorf("processor got %d notifications, want 1", n)
	}
}

func TestLocalCheckout_RateLimitedPageIsHTML(t *testing.T) {
	lc := newLocalCheckout(t, 1)
	checkout := lc.prePay(t)
	getPage(t, checkout.PaymentURL, "")

	tests := []struct {
		name           string
		req            *http.Request
		acceptLanguage string
		want           string
	}{
		{"GET, English", newRequest(t, http.MethodGet, checkout.PaymentURL), "en", "Too many requests"},
		{"GET, Chinese", newRequest(t, http.MethodGet, checkout.PaymentURL), "zh-CN", "请求过于频繁"},
		{"POST", formPost(t, checkout.PaymentURL+"/pay", url.Values{"csrf_token": {"x"}}), "", "Too many requests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Header.Set("Accept-Language", tt.acceptLanguage)

			got := fetch(t, tt.req)

			if got.status != http.StatusTooManyRequests {
				t.Errorf("status = %d, want 429", got.status)
			}
			if ct := got.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q, want text/html", ct)
			}
			if got.header.Get("Retry-After") == "" {
				t.Error("Retry-After header is missing")
			}
			if !strings.Contains(got.body, tt.want) || !strings.Contains(got.body, "<html") {
				t.Errorf("body is not the page with %q:\n%s", tt.want, got.body)
			}
		})
	}
}

func newRequest(t *testing.T, method, target string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func formPost(t *testing.T, target string, form url.Values) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}
