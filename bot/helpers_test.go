package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"telegram-bot-webhook/bot/telegramtest"
	"telegram-bot-webhook/config"
	"telegram-bot-webhook/store"
)

const testToken = "123456789:AAH-test_Secret-Token"

var (
	alice = telegramtest.User{ID: 1001, FirstName: "Alice", Username: "alice", LanguageCode: "en"}
	li    = telegramtest.User{ID: 1002, FirstName: "李雷", Username: "lilei", LanguageCode: "zh-hans"}
)

func testProducts() []config.Product {
	return []config.Product{
		{
			SKU: "ebook", Name: "Go Ebook", Description: "A book about Go.",
			Price: "9.99", Currency: "USD", AmountMinor: 999,
			Delivery: "Download: https://files.example.test/ebook?key=a&b=1",
		},
		{
			SKU: "course", Name: "Tom & <Jerry>", Description: "Cats <and> mice & more",
			Price: "1000", Currency: "JPY", AmountMinor: 1000,
			Delivery: "Your code is <ABC&123>",
		},
	}
}

// logBuffer collects log output for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// lines returns the log lines that contain every one of parts.
func (l *logBuffer) lines(parts ...string) []string {
	var found []string
	for _, line := range strings.Split(l.String(), "\n") {
		matches := line != ""
		for _, part := range parts {
			matches = matches && strings.Contains(line, part)
		}
		if matches {
			found = append(found, line)
		}
	}
	return found
}

// fakeClock moves ahead of the system clock by every Sleep, so waits take
// no real time and scheduled retries fall due at once.
type fakeClock struct {
	mu     sync.Mutex
	offset time.Duration
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.offset += d
	return ctx.Err()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

// steppedClock is a Clock that does not advance until Sleep moves it
// forward, so every wait a test observes is exact. When held is set, a
// sleep of holdFrom or more is sent on held and lasts until the test closes
// its release channel or its context ends.
type steppedClock struct {
	holdFrom time.Duration
	held     chan heldSleep
	// onSleep, when set, is called at the start of every Sleep.
	onSleep func(d time.Duration)

	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

// heldSleep is a Sleep call of a steppedClock waiting for the test.
type heldSleep struct {
	duration time.Duration
	release  chan struct{}
}

// newSteppedClock returns a clock an hour ahead of the system clock, so
// that outbox messages, which the store queues at the system time, are due
// at once.
func newSteppedClock() *steppedClock {
	return &steppedClock{now: time.Now().Add(time.Hour)}
}

func (c *steppedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *steppedClock) Sleep(ctx context.Context, d time.Duration) error {
	if c.onSleep != nil {
		c.onSleep(d)
	}
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()

	if c.held != nil && d >= c.holdFrom {
		sleep := heldSleep{duration: d, release: make(chan struct{})}
		select {
		case c.held <- sleep:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case <-sleep.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *steppedClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

// nextHeldSleep returns the next held sleep, failing the test when none
// starts within telegramtest.WaitTimeout.
func (c *steppedClock) nextHeldSleep(t *testing.T, what string) heldSleep {
	t.Helper()
	select {
	case sleep := <-c.held:
		return sleep
	case <-time.After(telegramtest.WaitTimeout):
		t.Fatalf("timed out after %s waiting for %s", telegramtest.WaitTimeout, what)
		return heldSleep{}
	}
}

// fakeCheckout stores orders like payments.Service does, without PingPong.
type fakeCheckout struct {
	store *store.Store

	mu    sync.Mutex
	calls []string
	err   error
	// release, when set, holds CreateOrder until it is closed.
	release chan struct{}
	started chan string
	next    int
}

func (f *fakeCheckout) CreateOrder(ctx context.Context, user *store.User, product config.Product) (*store.Order, error) {
	f.mu.Lock()
	f.calls = append(f.calls, product.SKU)
	f.next++
	id := fmt.Sprintf("ORD-%d-%d", user.ID, f.next)
	err, release, started := f.err, f.release, f.started
	f.mu.Unlock()

	if started != nil {
		started <- product.SKU
	}
	if release != nil {
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}

	order := &store.Order{
		MerchantTransactionID: id,
		UserID:                user.ID,
		ChatID:                user.ChatID,
		SKU:                   product.SKU,
		ProductName:           product.Name,
		AmountMinor:           product.AmountMinor,
		Currency:              product.Currency,
		Status:                store.StatusPending,
		PaymentURL:            "https://checkout.example.test/pay/" + id,
		LanguageCode:          user.LanguageCode,
		ExpiresAt:             time.Date(2030, 1, 2, 15, 4, 0, 0, time.UTC),
	}
	if err := f.store.CreateOrder(ctx, order); err != nil {
		return nil, err
	}
	return order, nil
}

func (f *fakeCheckout) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// countingMetrics counts the Metrics calls.
type countingMetrics struct {
	mu       sync.Mutex
	sent     int
	retried  int
	dead     int
	dropped  int
	rejected int
}

func (m *countingMetrics) UpdateHandled(string) {}
func (m *countingMetrics) OutboxSent(string)    { m.add(&m.sent, 1) }
func (m *countingMetrics) OutboxRetried(string) { m.add(&m.retried, 1) }
func (m *countingMetrics) OutboxDead(string)    { m.add(&m.dead, 1) }
func (m *countingMetrics) OutboxDropped(n int)  { m.add(&m.dropped, n) }
func (m *countingMetrics) UpdateRejected()      { m.add(&m.rejected, 1) }

func (m *countingMetrics) add(counter *int, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	*counter += n
}

func (m *countingMetrics) get(counter *int) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return *counter
}

// env is one bot under test with its fake Telegram server and store.
type env struct {
	bot      *Bot
	tg       *telegramtest.Server
	store    *store.Store
	checkout *fakeCheckout
	logs     *logBuffer
	clock    *fakeClock
	metrics  *countingMetrics
	stop     func() error
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "bot.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// newEnv creates a bot against a fake server; adjust changes the options
// before New. The bot is not running yet.
func newEnv(t *testing.T, adjust func(*Options)) *env {
	t.Helper()
	return newEnvOn(t, telegramtest.NewServer(t, testToken), openStore(t), adjust)
}

// newEnvOn creates a bot like newEnv, but on an existing fake server and
// store, as a restarted process would run. It has its own logs, clock and
// metrics.
func newEnvOn(t *testing.T, tg *telegramtest.Server, st *store.Store, adjust func(*Options)) *env {
	t.Helper()
	e := &env{
		tg:      tg,
		store:   st,
		logs:    &logBuffer{},
		clock:   &fakeClock{},
		metrics: &countingMetrics{},
	}
	e.checkout = &fakeCheckout{store: e.store}
	opts := Options{
		Token:       testToken,
		APIEndpoint: e.tg.Endpoint(),
		Mode:        config.ModePolling,
		Products:    testProducts(),
		Store:       e.store,
		Checkout:    e.checkout,
		Outbox: config.OutboxConfig{
			GlobalRate: 1000, ChatRate: 1000, MaxAttempts: 3, PollInterval: 50 * time.Millisecond,
		},
		Logger:         slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RetryBaseDelay: time.Millisecond,
		RetryMaxDelay:  5 * time.Millisecond,
		Metrics:        e.metrics,
		Clock:          e.clock,
	}
	if adjust != nil {
		adjust(&opts)
	}
	b, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	b.pollBackoff = time.Millisecond
	e.bot = b
	t.Cleanup(func() {
		if strings.Contains(e.logs.String(), testToken) {
			t.Errorf("log output contains the bot token:\n%s", e.logs.String())
		}
	})
	return e
}

// start runs the bot until the test ends; Cleanup checks that Run returned
// nil.
func (e *env) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.bot.Run(ctx) }()
	var once sync.Once
	var runErr error
	e.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(telegramtest.WaitTimeout):
				runErr = errors.New("Run did not return after cancel")
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := e.stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// startEnv creates and starts a polling bot.
func startEnv(t *testing.T, adjust func(*Options)) *env {
	t.Helper()
	e := newEnv(t, adjust)
	e.start(t)
	return e
}

// waitFor polls a condition that no server change signals, such as a store
// row, until it holds or the deadline passes.
func waitFor(t *testing.T, what string, condition func() bool) {
	t.Helper()
	deadline := time.Now().Add(telegramtest.WaitTimeout)
	ticker := time.NewTicker(5 * time.Millisecond)
	defer ticker.Stop()
	for !condition() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", telegramtest.WaitTimeout, what)
		}
		<-ticker.C
	}
}

func containsText(parts ...string) func(telegramtest.SentMessage) bool {
	return func(m telegramtest.SentMessage) bool {
		for _, part := range parts {
			if !strings.Contains(m.Text, part) {
				return false
			}
		}
		return true
	}
}
