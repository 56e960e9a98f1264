package webhooks

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/store"
)

// fakeClock is a clock that moves only when the test advances it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newLimitedServer builds a server whose rate limiters read clock.
func newLimitedServer(t *testing.T, opts Options) (*Server, *logBuffer, *fakeClock) {
	t.Helper()
	server, logs := newTestServer(t, opts)
	clock := newFakeClock()
	for _, limiter := range server.limiters() {
		limiter.now = clock.Now
	}
	return server, logs, clock
}

// limiters returns the rate limiters of every route group.
func (s *Server) limiters() map[string]*rateLimiter {
	return map[string]*rateLimiter{
		"pingpong": s.pingPongLimiter,
		"telegram": s.telegramLimiter,
		"checkout": s.checkoutLimiter,
	}
}

// notificationFrom returns a notification request from remoteAddr.
func notificationFrom(remoteAddr string) *http.Request {
	req := notificationRequest(sampleNotification)
	req.RemoteAddr = remoteAddr
	return req
}

func wantStatus(t *testing.T, got *httptest.ResponseRecorder, want int) {
	t.Helper()
	if got.Code != want {
		t.Errorf("status = %d, want %d; body %s", got.Code, want, got.Body)
	}
}

func TestRateLimit_OverBurstReturns429(t *testing.T) {
	processor := &fakeProcessor{result: payments.Result{Outcome: store.OutcomeApplied}}
	server, logs, _ := newLimitedServer(t, Options{
		Notifications: processor,
		RateLimit:     1,
		RateBurst:     3,
	})

	for i := range 3 {
		if got := serve(server, notificationFrom("198.51.100.9:1000")); got.Code != http.StatusOK {
			t.Fatalf("request %d: status = %d, want 200", i+1, got.Code)
		}
	}
	got := serve(server, notificationFrom("198.51.100.9:1000"))

	wantJSONError(t, got, http.StatusTooManyRequests, "rate_limited")
	if retry := got.Header().Get("Retry-After"); retry != "1" {
		t.Errorf("Retry-After = %q, want 1", retry)
	}
	if n := processor.callCount(); n != 3 {
		t.Errorf("processor called %d times, want 3", n)
	}
	record := logs.one(t, "Rate limit exceeded")
	want := map[string]any{
		"level":       "WARN",
		"remote_ip":   "198.51.100.9",
		"path":        PingPongPath,
		"retry_after": float64(1),
		"suppressed":  float64(0),
		"request_id":  got.Header().Get("X-Request-Id"),
	}
	for field, value := range want {
		if record[field] != value {
			t.Errorf("%s = %v, want %v", field, record[field], value)
		}
	}
}

func TestRateLimit_RetryAfterRoundsUp(t *testing.T) {
	server, _, clock := newLimitedServer(t, Options{RateLimit: 0.25, RateBurst: 1})
	serve(server, notificationFrom("198.51.100.9:1000"))

	got := serve(server, notificationFrom("198.51.100.9:1000"))
	if retry := got.Header().Get("Retry-After"); retry != "4" {
		t.Errorf("Retry-After right after the burst = %q, want 4", retry)
	}

	clock.Advance(1500 * time.Millisecond)
	got = serve(server, notificationFrom("198.51.100.9:1000"))
	if retry := got.Header().Get("Retry-After"); retry != "3" {
		t.Errorf("Retry-After 1.5 s later = %q, want 3", retry)
	}
}

func TestRateLimit_RefillsOverTime(t *testing.T) {
	server, _, clock := newLimitedServer(t, Options{RateLimit: 2, RateBurst: 1})
	wantStatus(t, serve(server, notificationFrom("198.51.100.9:1000")), http.StatusOK)
	wantStatus(t, serve(server, notificationFrom("198.51.100.9:1000")), http.StatusTooManyRequests)

	clock.Advance(500 * time.Millisecond)

	wantStatus(t, serve(server, notificationFrom("198.51.100.9:1000")), http.StatusOK)
	wantStatus(t, serve(server, notificationFrom("198.51.100.9:1000")), http.StatusTooManyRequests)
}

func TestRateLimit_SeparateBucketPerClient(t *testing.T) {
	server, _, _ := newLimitedServer(t, Options{RateLimit: 1, RateBurst: 1})
	wantStatus(t, serve(server, notificationFrom("198.51.100.9:1000")), http.StatusOK)
	wantStatus(t, serve(server, notificationFrom("198.51.100.9:1001")), http.StatusTooManyRequests)

	wantStatus(t, serve(server, notificationFrom("198.51.100.10:1000")), http.StatusOK)
	wantStatus(t, serve(server, notificationFrom("[2001:db8::1]:1000")), http.StatusOK)
	// The same /64 network shares one bucket.
	wantStatus(t, serve(server, notificationFrom("[2001:db8::2]:1000")), http.StatusTooManyRequests)
	wantStatus(t, serve(server, notificationFrom("[2001:db8:0:1::1]:1000")), http.StatusOK)
}

func TestRateLimit_SpoofedHeaderSharesPeerBucket(t *testing.T) {
	server, _, _ := newLimitedServer(t, Options{RateLimit: 1, RateBurst: 1})
	wantStatus(t, serve(server, notificationFrom("198.51.100.9:1000")), http.StatusOK)

	for _, spoofed := range []string{"203.0.113.1", "203.0.113.2"} {
		req := notificationFrom("198.51.100.9:1000")
		req.Header.Set("X-Forwarded-For", spoofed)
		req.Header.Set("X-Real-Ip", spoofed)

		wantStatus(t, serve(server, req), http.StatusTooManyRequests)
	}
}

func TestRateLimit_ClientsBehindTrustedProxy(t *testing.T) {
	server, logs, _ := newLimitedServer(t, Options{
		RateLimit:      1,
		RateBurst:      1,
		TrustedProxies: []string{"10.0.0.1"},
	})
	viaProxy := func(client string) *http.Request {
		req := notificationFrom("10.0.0.1:3000")
		req.Header.Set("X-Forwarded-For", client)
		return req
	}

	wantStatus(t, serve(server, viaProxy("203.0.113.1")), http.StatusOK)
	wantStatus(t, serve(server, viaProxy("203.0.113.2")), http.StatusOK)
	wantStatus(t, serve(server, viaProxy("203.0.113.1")), http.StatusTooManyRequests)

	if record := logs.one(t, "Rate limit exceeded"); record["remote_ip"] != "203.0.113.1" {
		t.Errorf("remote_ip = %v, want the forwarded client 203.0.113.1", record["remote_ip"])
	}
}

func TestRateLimit_WarnsOncePerMinutePerClient(t *testing.T) {
	server, logs, clock := newLimitedServer(t, Options{RateLimit: 1, RateBurst: 1})
	send := func(remoteAddr string, times int) {
		for range times {
			serve(server, notificationFrom(remoteAddr))
		}
	}

	send("198.51.100.9:1000", 6) // 1 allowed, 1 warned, 4 counted
	send("198.51.100.10:1000", 2)
	clock.Advance(30 * time.Second)
	send("198.51.100.9:1000", 3) // 1 allowed, 2 counted
	if n := len(logs.withMessage(t, "Rate limit exceeded")); n != 2 {
		t.Fatalf("got %d warnings within a minute, want 2 (one per client); log:\n%s", n, logs)
	}

	clock.Advance(31 * time.Second)
	send("198.51.100.9:1000", 2) // 1 allowed, 1 warned

	warnings := logs.withMessage(t, "Rate limit exceeded")
	if len(warnings) != 3 {
		t.Fatalf("got %d warnings, want 3; log:\n%s", len(warnings), logs)
	}
	last := warnings[2]
	if last["remote_ip"] != "198.51.100.9" {
		t.Errorf("remote_ip = %v, want 198.51.100.9", last["remote_ip"])
	}
	if last["suppressed"] != float64(6) {
		t.Errorf("suppressed = %v, want 6", last["suppressed"])
	}
}

func TestRateLimit_HealthNotLimited(t *testing.T) {
	server, _, _ := newLimitedServer(t, Options{RateLimit: 1, RateBurst: 1})

	for range 5 {
		req := httptest.NewRequest(http.MethodGet, HealthPath, nil)
		req.RemoteAddr = "198.51.100.9:1000"
		wantStatus(t, serve(server, req), http.StatusOK)
	}
	wantStatus(t, serve(server, notificationFrom("198.51.100.9:1000")), http.StatusOK)
}

func TestRateLimit_TelegramLimited(t *testing.T) {
	telegram := &fakeTelegram{accept: true}
	server, _, _ := newLimitedServer(t, Options{
		RateLimit:      1,
		RateBurst:      1,
		Telegram:       telegram,
		TelegramSecret: telegramTestSecret,
	})

	wantStatus(t, serve(server, telegramRequest(`{"update_id":1}`, telegramTestSecret)), http.StatusOK)
	got := serve(server, telegramRequest(`{"update_id":2}`, telegramTestSecret))

	wantJSONError(t, got, http.StatusTooManyRequests, "rate_limited")
	if got.Header().Get("Retry-After") == "" {
		t.Error("Retry-After header is missing")
	}
	if n := len(telegram.received()); n != 1 {
		t.Errorf("handler got %d updates, want 1", n)
	}
}

func TestRateLimit_CheckedBeforeAllowlist(t *testing.T) {
	server, logs, _ := newLimitedServer(t, Options{
		RateLimit:          1,
		RateBurst:          2,
		PingPongAllowedIPs: pingPongProductionIPs,
	})

	for range 10 {
		serve(server, notificationFrom("203.0.113.50:1000"))
	}

	if n := len(logs.withMessage(t, "PingPong notification rejected")); n != 2 {
		t.Errorf("got %d allowlist warnings, want 2 (the burst)", n)
	}
	if n := len(logs.withMessage(t, "Rate limit exceeded")); n != 1 {
		t.Errorf("got %d rate limit warnings, want 1", n)
	}
}

func TestNew_RateLimitDefaults(t *testing.T) {
	server, _ := newTestServer(t, Options{})

	for name, limiter := range server.limiters() {
		if limiter.limit != rate.Limit(DefaultRateLimit) {
			t.Errorf("%s limit = %v, want %v", name, limiter.limit, DefaultRateLimit)
		}
		if limiter.burst != DefaultRateBurst {
			t.Errorf("%s burst = %d, want %d", name, limiter.burst, DefaultRateBurst)
		}
		if limiter.capacity != maxRateLimitedClients {
			t.Errorf("%s capacity = %d, want %d", name, limiter.capacity, maxRateLimitedClients)
		}
	}
}

func TestRateLimit_RouteGroupsLimitedSeparately(t *testing.T) {
	telegram := &fakeTelegram{accept: true}
	server, _, _ := newLimitedServer(t, Options{
		RateLimit:      1,
		RateBurst:      2,
		Checkout:       &fakeCheckout{},
		Telegram:       telegram,
		TelegramSecret: telegramTestSecret,
	})
	const remoteAddr = "127.0.0.1:1000"

	for i := range 2 {
		req := httptest.NewRequest(http.MethodGet, "/checkout/tok", nil)
		req.RemoteAddr = remoteAddr
		wantStatus(t, serve(server, req), http.StatusOK)

		update := telegramRequest(fmt.Sprintf(`{"update_id":%d}`, i+1), telegramTestSecret)
		update.RemoteAddr = remoteAddr
		wantStatus(t, serve(server, update), http.StatusOK)
	}
	page := httptest.NewRequest(http.MethodGet, "/checkout/tok", nil)
	page.RemoteAddr = remoteAddr
	wantStatus(t, serve(server, page), http.StatusTooManyRequests)

	for i := range 2 {
		if got := serve(server, notificationFrom(remoteAddr)); got.Code != http.StatusOK {
			t.Errorf("notification %d after the pages and updates: status = %d, want 200", i+1, got.Code)
		}
	}
	wantStatus(t, serve(server, notificationFrom(remoteAddr)), http.StatusTooManyRequests)
}

func TestNew_InvalidRateOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"negative rate", Options{RateLimit: -1}, "rate limit -1"},
		{"NaN rate", Options{RateLimit: math.NaN()}, "rate limit NaN"},
		{"infinite rate", Options{RateLimit: math.Inf(1)}, "rate limit +Inf"},
		{"negative burst", Options{RateBurst: -5}, "rate burst -5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Notifications = &fakeProcessor{}

			_, err := New(tt.opts)

			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestRateLimiter_EvictsLeastRecentlySeen(t *testing.T) {
	limiter := newRateLimiter(1, 1)
	limiter.capacity = 3
	clock := newFakeClock()
	limiter.now = clock.Now

	for _, key := range []string{"a", "b", "c", "a", "d"} {
		clock.Advance(time.Second)
		limiter.allow(key)
	}

	if n := limiter.size(); n != 3 {
		t.Errorf("size = %d, want 3", n)
	}
	for key, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if _, got := limiter.clients[key]; got != want {
			t.Errorf("client %s tracked = %v, want %v", key, got, want)
		}
	}
}

func TestRateLimiter_PrunesIdleClients(t *testing.T) {
	limiter := newRateLimiter(1, 1)
	clock := newFakeClock()
	limiter.now = clock.Now
	limiter.allow("a")
	limiter.allow("b")
	clock.Advance(limiter.idleTime)
	limiter.allow("c")
	if n := limiter.size(); n != 3 {
		t.Fatalf("size at exactly the idle time = %d, want 3", n)
	}

	clock.Advance(time.Nanosecond)
	limiter.allow("d")

	if n := limiter.size(); n != 2 {
		t.Errorf("size = %d, want 2 (c and d)", n)
	}
	if _, ok := limiter.clients["a"]; ok {
		t.Error("idle client a is still tracked")
	}
}

func TestRateLimiter_BoundedByCapacity(t *testing.T) {
	limiter := newRateLimiter(DefaultRateLimit, DefaultRateBurst)

	for i := range maxRateLimitedClients + 5000 {
		limiter.allow(fmt.Sprintf("key-%d", i))
	}

	if n := limiter.size(); n != maxRateLimitedClients {
		t.Errorf("size = %d, want %d", n, maxRateLimitedClients)
	}
	if n := len(limiter.clients); n != maxRateLimitedClients {
		t.Errorf("map size = %d, want %d", n, maxRateLimitedClients)
	}
}

func TestRateLimiter_IdleTime(t *testing.T) {
	tests := []struct {
		perSecond float64
		burst     int
		want      time.Duration
	}{
		{DefaultRateLimit, DefaultRateBurst, minClientIdleTime},
		{0.01, 10, 1000 * time.Second},
		{1e-12, 1, maxClientIdleTime},
	}
	for _, tt := range tests {
		if got := newRateLimiter(tt.perSecond, tt.burst).idleTime; got != tt.want {
			t.Errorf("idle time for %v/s burst %d = %s, want %s", tt.perSecond, tt.burst, got, tt.want)
		}
	}
}

func TestRateLimitKey(t *testing.T) {
	tests := []struct {
		ip, want string
	}{
		{"198.51.100.9", "198.51.100.9"},
		{"::ffff:198.51.100.9", "198.51.100.9"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::ffff", "2001:db8:1:2::/64"},
		{"", ""},
		{"not-an-ip", "not-an-ip"},
	}
	for _, tt := range tests {
		if got := rateLimitKey(tt.ip); got != tt.want {
			t.Errorf("rateLimitKey(%q) = %q, want %q", tt.ip, got, tt.want)
		}
	}
}

func TestRateLimit_AccessLogAtDebug(t *testing.T) {
	server, logs, _ := newLimitedServer(t, Options{
		RateLimit:      1,
		RateBurst:      1,
		Telegram:       &fakeTelegram{accept: true},
		TelegramSecret: telegramTestSecret,
	})

	for range 5 {
		serve(server, telegramRequest(`{"update_id":1}`, telegramTestSecret))
	}

	var info int
	for _, record := range logs.withMessage(t, "HTTP request") {
		if record["level"] == "INFO" {
			info++
		}
	}
	if info != 1 {
		t.Errorf("got %d access lines at INFO, want 1 (the allowed request)", info)
	}
}
