package webhooks

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// checkoutRequest is one request seen by fakeCheckout.
type checkoutRequest struct {
	method  string
	path    string
	body    string
	readErr error
}

// fakeCheckout records each request, with its body read in full, and
// responds 200 with "page".
type fakeCheckout struct {
	mu       sync.Mutex
	requests []checkoutRequest
}

func (f *fakeCheckout) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, checkoutRequest{r.Method, r.URL.Path, string(body), err})
	f.mu.Unlock()
	_, _ = io.WriteString(w, "page")
}

func (f *fakeCheckout) seen() []checkoutRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]checkoutRequest(nil), f.requests...)
}

func TestCheckout_RoutesReachHandler(t *testing.T) {
	checkout := &fakeCheckout{}
	server, _ := newTestServer(t, Options{Checkout: checkout})

	get := serve(server, httptest.NewRequest(http.MethodGet, "/checkout/tok", nil))
	post := serve(server, httptest.NewRequest(http.MethodPost, "/checkout/tok/pay",
		strings.NewReader("csrf_token=x")))

	for name, got := range map[string]*httptest.ResponseRecorder{"GET": get, "POST": post} {
		if got.Code != http.StatusOK || got.Body.String() != "page" {
			t.Errorf("%s returned %d %q, want 200 page", name, got.Code, got.Body)
		}
	}
	want := []checkoutRequest{
		{method: http.MethodGet, path: "/checkout/tok"},
		{method: http.MethodPost, path: "/checkout/tok/pay", body: "csrf_token=x"},
	}
	seen := checkout.seen()
	if len(seen) != len(want) {
		t.Fatalf("handler saw %d requests, want %d", len(seen), len(want))
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("request %d = %+v, want %+v", i, seen[i], want[i])
		}
	}
}

func TestCheckout_AbsentWithoutHandler(t *testing.T) {
	server, _ := newTestServer(t, Options{})

	got := serve(server, httptest.NewRequest(http.MethodGet, "/checkout/tok", nil))

	wantJSONError(t, got, http.StatusNotFound, "not_found")
}

func TestCheckout_PostOverBodyLimit(t *testing.T) {
	checkout := &fakeCheckout{}
	server, _ := newTestServer(t, Options{Checkout: checkout, BodyLimit: 16})

	got := serve(server, httptest.NewRequest(http.MethodPost, "/checkout/tok/pay",
		strings.NewReader(strings.Repeat("a", 17))))

	wantJSONError(t, got, http.StatusRequestEntityTooLarge, "body_too_large")
	if n := len(checkout.seen()); n != 0 {
		t.Errorf("handler saw %d requests, want 0", n)
	}
}

func TestCheckout_ChunkedBodyLimited(t *testing.T) {
	checkout := &fakeCheckout{}
	server, _ := newTestServer(t, Options{Checkout: checkout, BodyLimit: 16})
	req := httptest.NewRequest(http.MethodPost, "/checkout/tok/pay",
		io.NopCloser(strings.NewReader(strings.Repeat("a", 64))))
	req.ContentLength = -1

	serve(server, req)

	seen := checkout.seen()
	if len(seen) != 1 {
		t.Fatalf("handler saw %d requests, want 1", len(seen))
	}
	var tooLarge *http.MaxBytesError
	if !errors.As(seen[0].readErr, &tooLarge) || len(seen[0].body) > 16 {
		t.Errorf("handler read %d bytes with error %v, want at most 16 and *http.MaxBytesError",
			len(seen[0].body), seen[0].readErr)
	}
}

func TestCheckout_RateLimited(t *testing.T) {
	checkout := &fakeCheckout{}
	server, _ := newTestServer(t, Options{Checkout: checkout, RateLimit: 0.001, RateBurst: 1})

	first := serve(server, httptest.NewRequest(http.MethodGet, "/checkout/tok", nil))
	second := serve(server, httptest.NewRequest(http.MethodPost, "/checkout/tok/pay", nil))

	if first.Code != http.StatusOK {
		t.Errorf("first request status = %d, want 200", first.Code)
	}
	wantJSONError(t, second, http.StatusTooManyRequests, "rate_limited")
	if n := len(checkout.seen()); n != 1 {
		t.Errorf("handler saw %d requests, want 1", n)
	}
}

func TestCheckout_TokenNotLogged(t *testing.T) {
	const token = "SECRET-checkout-token"
	server, logs := newTestServer(t, Options{Checkout: &fakeCheckout{}})

	serve(server, httptest.NewRequest(http.MethodGet, "/checkout/"+token, nil))

	record := logs.one(t, "HTTP request")
	if record["path"] != "/checkout/[token]" {
		t.Errorf("path = %v, want /checkout/[token]", record["path"])
	}
	if strings.Contains(logs.String(), token) {
		t.Errorf("log contains the checkout token:\n%s", logs.String())
	}
}

// errorPage is one call of pagedCheckout.ServeErrorPage.
type errorPage struct {
	status     int
	retryAfter string
}

// pagedCheckout is a fakeCheckout that also writes the server's 429 and
// 413 responses as "error page" with the status.
type pagedCheckout struct {
	fakeCheckout

	mu    sync.Mutex
	pages []errorPage
}

func (p *pagedCheckout) ServeErrorPage(w http.ResponseWriter, _ *http.Request, status int) {
	p.mu.Lock()
	p.pages = append(p.pages, errorPage{status: status, retryAfter: w.Header().Get("Retry-After")})
	p.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "error page")
}

func (p *pagedCheckout) errorPages() []errorPage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]errorPage(nil), p.pages...)
}

func TestCheckout_RateLimitedShowsHandlerPage(t *testing.T) {
	checkout := &pagedCheckout{}
	server, logs := newTestServer(t, Options{Checkout: checkout, RateLimit: 0.001, RateBurst: 1})

	serve(server, httptest.NewRequest(http.MethodGet, "/checkout/tok", nil))
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		got := serve(server, httptest.NewRequest(method, "/checkout/tok/pay", nil))

		if got.Code != http.StatusTooManyRequests || got.Body.String() != "error page" {
			t.Errorf("%s returned %d %q, want 429 with the handler's page", method, got.Code, got.Body)
		}
		if got.Header().Get("Retry-After") == "" {
			t.Errorf("%s: Retry-After header is missing", method)
		}
	}

	pages := checkout.errorPages()
	if len(pages) != 2 {
		t.Fatalf("handler wrote %d error pages, want 2", len(pages))
	}
	for _, page := range pages {
		if page.status != http.StatusTooManyRequests || page.retryAfter == "" {
			t.Errorf("error page = %+v, want 429 with Retry-After set before", page)
		}
	}
	if n := len(checkout.seen()); n != 1 {
		t.Errorf("handler served %d requests, want 1", n)
	}
	statuses := map[float64]int{}
	for _, record := range logs.withMessage(t, "HTTP request") {
		statuses[record["status"].(float64)]++
	}
	if statuses[http.StatusTooManyRequests] != 2 {
		t.Errorf("access log statuses = %v, want two 429", statuses)
	}
}

func TestCheckout_PostOverBodyLimitShowsHandlerPage(t *testing.T) {
	checkout := &pagedCheckout{}
	server, _ := newTestServer(t, Options{Checkout: checkout, BodyLimit: 16})

	got := serve(server, httptest.NewRequest(http.MethodPost, "/checkout/tok/pay",
		strings.NewReader(strings.Repeat("a", 17))))

	if got.Code != http.StatusRequestEntityTooLarge || got.Body.String() != "error page" {
		t.Errorf("returned %d %q, want 413 with the handler's page", got.Code, got.Body)
	}
	if pages := checkout.errorPages(); len(pages) != 1 || pages[0].status != http.StatusRequestEntityTooLarge {
		t.Errorf("error pages = %+v, want one 413", pages)
	}
	if n := len(checkout.seen()); n != 0 {
		t.Errorf("handler served %d requests, want 0", n)
	}
}

func TestCheckout_OtherErrorsStayJSON(t *testing.T) {
	server, _ := newTestServer(t, Options{Checkout: &pagedCheckout{}})

	got := serve(server, httptest.NewRequest(http.MethodPut, "/checkout/tok", nil))

	wantJSONError(t, got, http.StatusMethodNotAllowed, "method_not_allowed")
}
