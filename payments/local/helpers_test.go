package local

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"telegram-bot-webhook/payments"
)

// Store ids and salt the tests sign and verify with.
const (
	testAccID    = "2018092714313010016291"
	testClientID = "2018092714313010016"
	testSalt     = "TESTSALT0123456789ABCDEF"
)

// waitLimit bounds every wait on a condition in these tests.
const waitLimit = 10 * time.Second

// received is one notification the receiver got.
type received struct {
	contentType  string
	notification *payments.Notification
	// err is set when the body failed parsing or the signature check.
	err error
	at  time.Time
}

// reply is one response of the receiver.
type reply struct {
	status     int
	answer     string
	retryAfter string
}

// receiver is a fake of the app's notification route. It verifies every
// body with payments.ParseNotification, records it and responds with status
// and answer.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu     sync.Mutex
	got    []received
	status int
	answer string
	// next are the responses to the next posts, before status and answer
	// apply again.
	next    []reply
	changed chan struct{}
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{t: t, status: http.StatusOK, answer: "OK", changed: make(chan struct{})}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rc.t.Errorf("receiver: read body: %v", err)
	}
	n, err := payments.ParseNotification(body, testSalt)

	rc.mu.Lock()
	rc.got = append(rc.got, received{contentType: r.Header.Get("Content-Type"), notification: n,
		err: err, at: time.Now()})
	response := reply{status: rc.status, answer: rc.answer}
	if len(rc.next) > 0 {
		response, rc.next = rc.next[0], rc.next[1:]
	}
	close(rc.changed)
	rc.changed = make(chan struct{})
	rc.mu.Unlock()

	if response.retryAfter != "" {
		w.Header().Set("Retry-After", response.retryAfter)
	}
	w.WriteHeader(response.status)
	_, _ = io.WriteString(w, response.answer)
}

// url returns the notification URL of the receiver.
func (rc *receiver) url() string {
	return rc.srv.URL + payments.NotificationPath
}

// answerWith sets the status and body of later responses.
func (rc *receiver) answerWith(status int, answer string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.status, rc.answer = status, answer
}

// failNext makes the next count posts get 500.
func (rc *receiver) failNext(count int) {
	replies := make([]reply, count)
	for i := range replies {
		replies[i] = reply{status: http.StatusInternalServerError, answer: "error"}
	}
	rc.replyNext(replies...)
}

// replyNext sets the responses to the next posts.
func (rc *receiver) replyNext(replies ...reply) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.next = append(rc.next, replies...)
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// waitFor waits until the receiver got count notifications and returns
// them, each checked to be signed and sent as JSON.
func (rc *receiver) waitFor(count int) []*payments.Notification {
	rc.t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		rc.mu.Lock()
		n, changed := len(rc.got), rc.changed
		rc.mu.Unlock()
		if n >= count {
			break
		}
		select {
		case <-changed:
		case <-deadline.C:
			rc.t.Fatalf("receiver got %d notifications after %s, want %d", n, waitLimit, count)
		}
	}

	var notifications []*payments.Notification
	for i, got := range rc.all() {
		if got.err != nil {
			rc.t.Fatalf("notification %d does not verify: %v", i, got.err)
		}
		if got.contentType != "application/json" {
			rc.t.Errorf("notification %d Content-Type = %q, want application/json", i, got.contentType)
		}
		notifications = append(notifications, got.notification)
	}
	return notifications
}

// fixture is a provider whose notifications go to a receiver.
type fixture struct {
	t        *testing.T
	provider *Provider
	receiver *receiver
	now      time.Time
	mu       sync.Mutex
}

func newFixture(t *testing.T, change ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, receiver: newReceiver(t), now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	opts := Options{
		PublicBaseURL: "http://127.0.0.1:8000",
		NotifyURL:     f.receiver.url(),
		AccID:         testAccID,
		ClientID:      testClientID,
		Salt:          testSalt,
		Logger:        slog.New(slog.DiscardHandler),
		Now:           f.clock,
		RefundDelay:   time.Millisecond,
	}
	for _, fn := range change {
		fn(&opts)
	}
	p, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	p.paymentRetryDelays = testRetryDelays
	t.Cleanup(func() { _ = p.Close() })
	f.provider = p
	return f
}

// testRetryDelays are the short waits between payment notification posts
// in tests: one post and three more.
var testRetryDelays = []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// prePayRequest returns a valid request for order id, 9.99 USD.
func (f *fixture) prePayRequest(id string) payments.PrePayRequest {
	return payments.PrePayRequest{
		MerchantTransactionID: id,
		AmountMinor:           999,
		Currency:              "USD",
		ShopperIP:             "127.0.0.1",
		NotificationURL:       "https://public.example.test/webhook/pingpong",
		PayResultURL:          "https://t.me/test_shop_bot",
		PayCancelURL:          "https://t.me/test_shop_bot",
		Language:              "en",
		Remark:                "guide",
		TimeExpire:            f.clock().Add(payments.CheckoutValidity),
		GoodsName:             "Field Guide",
	}
}

// prePay creates the checkout and returns its result.
func (f *fixture) prePay(req payments.PrePayRequest) *payments.PrePayResult {
	f.t.Helper()
	result, err := f.provider.PrePay(context.Background(), req)
	if err != nil {
		f.t.Fatalf("PrePay: %v", err)
	}
	return result
}

// response is a page the provider served.
type response struct {
	status int
	header http.Header
	body   string
}

// get requests the path of a payment URL with the Accept-Language header.
func (f *fixture) get(paymentURL, acceptLanguage string) response {
	f.t.Helper()
	req := httptest.NewRequest(http.MethodGet, pathOf(f.t, paymentURL), nil)
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	return f.serve(req)
}

// submit posts form to the path of a payment URL plus "/" + action.
func (f *fixture) submit(paymentURL, action string, form url.Values) response {
	f.t.Helper()
	req := httptest.NewRequest(http.MethodPost, pathOf(f.t, paymentURL)+"/"+action,
		strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return f.serve(req)
}

// press loads the checkout page and submits its form for action, as a
// browser does.
func (f *fixture) press(paymentURL, action string) response {
	f.t.Helper()
	page := f.get(paymentURL, "")
	if page.status != http.StatusOK {
		f.t.Fatalf("checkout page status = %d, want 200\n%s", page.status, page.body)
	}
	return f.submit(paymentURL, action, url.Values{csrfField: {formToken(f.t, page.body)}})
}

func (f *fixture) serve(req *http.Request) response {
	recorder := httptest.NewRecorder()
	f.provider.ServeHTTP(recorder, req)
	return response{status: recorder.Code, header: recorder.Header(), body: recorder.Body.String()}
}

func pathOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	return u.Path
}

var formTokenPattern = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// formToken returns the form token of a checkout page.
func formToken(t *testing.T, body string) string {
	t.Helper()
	match := formTokenPattern.FindStringSubmatch(body)
	if match == nil {
		t.Fatalf("page has no form token field:\n%s", body)
	}
	return match[1]
}

func assertContains(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("page does not contain %q:\n%s", want, body)
		}
	}
}
