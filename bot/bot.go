// Package bot runs the Telegram side of the shop. It receives updates by
// long polling or from the webhook route, replies to the buyer's commands
// and buttons, and creates orders through Checkout. It also sends the outbox
// messages (paid, failed, refunded, expired, admin) that other packages
// queue in the database.
//
// Updates are handled by a fixed pool of workers. All updates of one chat go
// to the same worker, so a chat's commands are answered in the order they
// arrived, and a recently seen update_id is ignored. Order creation runs
// beside the workers, so a slow payment provider does not hold other chats
// back. Buyers are served in private chats only: in a group the bot answers
// a command addressed to it with a pointer to the private chat and ignores
// all other messages. The exception is a group listed among the admin
// chats, where every member may use the admin commands and the refund
// buttons, and a refund is confirmed only by the member who requested it.
package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"telegram-bot-webhook/config"
	"telegram-bot-webhook/store"
)

// Checkout is implemented by payments.Service.
type Checkout interface {
	// CreateOrder stores a new order for the user and product, creates the
	// PingPong hosted checkout, and returns the order in state pending with
	// PaymentURL set. On error the buyer must be told to try again later;
	// the order, if one was stored, is already moved to checkout_failed by
	// the implementation.
	CreateOrder(ctx context.Context, user *store.User, product config.Product) (*store.Order, error)
}

// Metrics receives counts of the bot's outcomes, for example to feed
// Prometheus counters. Its methods must be safe for concurrent use and must
// not block.
type Metrics interface {
	// UpdateHandled counts an update by type: "message", "callback_query"
	// or "other".
	UpdateHandled(kind string)
	// OutboxSent counts an outbox message of the kind that Telegram accepted.
	OutboxSent(kind string)
	// OutboxRetried counts a failed send that will be tried again.
	OutboxRetried(kind string)
	// OutboxDead counts a message kept as dead, never to be sent.
	OutboxDead(kind string)
	// OutboxDropped counts pending messages dropped because the chat is
	// unreachable.
	OutboxDropped(count int)
	// UpdateRejected counts a webhook update rejected because the queue was
	// full or the bot had stopped.
	UpdateRejected()
}

// Clock is the time source of the outbox sender, the rate limit pause and
// the polling backoff. Tests replace it so that waits take no real time.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, returning ctx.Err() then.
	Sleep(ctx context.Context, d time.Duration) error
}

// Options configures a Bot. Token, APIEndpoint, Mode, Store and Checkout are
// required; zero values of the optional fields select the defaults below.
type Options struct {
	// Token is the bot token. It is secret and never logged.
	Token string
	// APIEndpoint is a format with two %s verbs, the token and the method,
	// such as "https://api.telegram.org/bot%s/%s".
	APIEndpoint string
	// Mode is config.ModePolling or config.ModeWebhook.
	Mode string
	// WebhookURL is the public URL of the webhook route, required in
	// webhook mode.
	WebhookURL string
	// WebhookSecret is registered as secret_token in webhook mode.
	WebhookSecret string
	// MaxConnections is sent to setWebhook as max_connections; 0 leaves
	// Telegram's default of 40.
	MaxConnections int
	// AdminChatIDs are the chats of the shop's admins.
	AdminChatIDs []int64
	// Products is the catalog, shown in this order.
	Products []config.Product
	Store    *store.Store
	Checkout Checkout
	// Refunder requests refunds for the /refund admin command; nil makes
	// /refund reply that refunds are not configured.
	Refunder Refunder
	// Outbox sets the sending limits. Zero fields take the defaults 25
	// messages per second overall, 1 per second per chat, 8 attempts and a
	// 5 second poll interval.
	Outbox config.OutboxConfig
	// Logger defaults to a logger that discards everything.
	Logger *slog.Logger
	// HTTPClient sends the Bot API requests; nil means a new http.Client.
	// Its Timeout, if set, must exceed the 30 second long poll.
	HTTPClient *http.Client

	// Workers is the number of update workers, 4 by default.
	Workers int
	// QueueSize bounds the updates waiting for a worker, 256 by default.
	QueueSize int
	// HandlerTimeout bounds the handling of one update, including order
	// creation, 60 seconds by default.
	HandlerTimeout time.Duration
	// RetryBaseDelay and RetryMaxDelay bound the exponential backoff of an
	// outbox message after a network error or a 5xx answer; 2 seconds and 10
	// minutes by default.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// Metrics may be nil.
	Metrics Metrics
	// Clock defaults to the system clock.
	Clock Clock
}

// Defaults of the optional Options fields.
const (
	defaultWorkers        = 4
	defaultQueueSize      = 256
	defaultHandlerTimeout = 60 * time.Second
	defaultRetryBaseDelay = 2 * time.Second
	defaultRetryMaxDelay  = 10 * time.Minute
	defaultGlobalRate     = 25
	defaultChatRate       = 1
	defaultMaxAttempts    = 8
	defaultPollInterval   = 5 * time.Second
	// maxConcurrentOrders bounds order creations running at once.
	maxConcurrentOrders = 16
	// maxCallbackDataBytes is the Bot API limit of an inline button's data.
	maxCallbackDataBytes = 64
)

var webhookSecretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// silenceLibraryLogger replaces tgbotapi's package-wide logger once.
var silenceLibraryLogger sync.Once

// Bot is the shop bot. Create it with New and start it with Run.
type Bot struct {
	api        *tgbotapi.BotAPI
	httpClient *http.Client
	token      string
	mode       string
	webhookURL string
	secret     string
	maxConns   int
	admin      *adminState
	products   []config.Product
	store      *store.Store
	checkout   Checkout
	log        *slog.Logger
	metrics    Metrics
	clock      Clock

	handlerTimeout time.Duration
	// requestTimeout bounds one Bot API call other than getUpdates.
	requestTimeout time.Duration
	// pollBackoff is the first wait after a failed getUpdates call.
	pollBackoff time.Duration
	// drainTimeout bounds the handling of queued updates at shutdown.
	drainTimeout time.Duration

	dispatcher *dispatcher
	sender     *sender
	orders     orderGuard
	// orderSlots limits concurrent order creations, orderWG tracks them.
	orderSlots chan struct{}
	orderWG    sync.WaitGroup
	// workCtx is the context of update handling; it outlives the Run
	// context so that queued updates are handled at shutdown.
	workCtx context.Context
	running atomic.Bool
	// queueFull is set while webhook updates are rejected.
	queueFull atomic.Bool
	// pause holds back sendMessage calls after a 429 response.
	pause sendPause
}

// New checks the options, calls getMe to learn the bot's username, and
// returns a Bot that is not running yet. No error contains the token.
func New(ctx context.Context, opts Options) (*Bot, error) {
	if err := validateOptions(opts); err != nil {
		return nil, err
	}
	silenceLibraryLogger.Do(func() {
		// tgbotapi logs through a package-wide logger only in debug mode and
		// in GetUpdatesChan, and neither is used. Discarding it anyway keeps
		// request URLs, which contain the token, out of every log.
		_ = tgbotapi.SetLogger(discardLogger{})
	})

	b := newBot(opts)
	getMeCtx, cancel := context.WithTimeout(ctx, b.requestTimeout)
	defer cancel()
	api, err := tgbotapi.NewBotAPIWithClient(opts.Token, opts.APIEndpoint, b.client(getMeCtx))
	if err != nil {
		return nil, fmt.Errorf("bot: get bot identity with getMe: %s", b.describe(err))
	}
	b.api = api
	b.log.Info("Connected to Telegram", "username", api.Self.UserName, "bot_id", api.Self.ID)
	return b, nil
}

func newBot(opts Options) *Bot {
	b := &Bot{
		httpClient:     opts.HTTPClient,
		token:          opts.Token,
		mode:           opts.Mode,
		webhookURL:     opts.WebhookURL,
		secret:         opts.WebhookSecret,
		maxConns:       opts.MaxConnections,
		products:       opts.Products,
		store:          opts.Store,
		checkout:       opts.Checkout,
		log:            opts.Logger,
		metrics:        opts.Metrics,
		clock:          opts.Clock,
		handlerTimeout: orDefault(opts.HandlerTimeout, defaultHandlerTimeout),
		requestTimeout: 30 * time.Second,
		pollBackoff:    time.Second,
		drainTimeout:   15 * time.Second,
		orderSlots:     make(chan struct{}, maxConcurrentOrders),
		workCtx:        context.Background(),
	}
	if b.httpClient == nil {
		b.httpClient = &http.Client{}
	}
	if b.log == nil {
		b.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if b.metrics == nil {
		b.metrics = noMetrics{}
	}
	if b.clock == nil {
		b.clock = systemClock{}
	}
	b.orders.inFlight = make(map[orderKey]bool)
	b.admin = newAdminState(opts)
	b.dispatcher = newDispatcher(b, orDefault(opts.Workers, defaultWorkers), orDefault(opts.QueueSize, defaultQueueSize))
	b.sender = newSender(b, opts)
	return b
}

// validateOptions reports every invalid option at once.
func validateOptions(opts Options) error {
	var problems []error
	add := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf("bot: "+format, args...))
	}
	if opts.Token == "" {
		add("missing bot token: set the token from @BotFather")
	}
	if strings.Count(opts.APIEndpoint, "%") != 2 || strings.Count(opts.APIEndpoint, "%s") != 2 {
		add("invalid API endpoint %q: want a format with exactly two %%s verbs for token and method, such as https://api.telegram.org/bot%%s/%%s", opts.APIEndpoint)
	}
	switch opts.Mode {
	case config.ModePolling:
	case config.ModeWebhook:
		if !strings.HasPrefix(opts.WebhookURL, "https://") && !strings.HasPrefix(opts.WebhookURL, "http://") {
			add("invalid webhook URL %q: webhook mode needs the public http(s) URL of the webhook route", opts.WebhookURL)
		}
		if !webhookSecretPattern.MatchString(opts.WebhookSecret) {
			add("invalid webhook secret: want 1-256 characters of A-Z, a-z, 0-9, _ and -")
		}
	default:
		add("invalid mode %q: want %q or %q", opts.Mode, config.ModePolling, config.ModeWebhook)
	}
	if opts.Store == nil {
		add("missing store")
	}
	if opts.Checkout == nil {
		add("missing checkout")
	}
	problems = append(problems, validateProducts(opts.Products)...)
	problems = append(problems, validateLimits(opts)...)
	return errors.Join(problems...)
}

func validateProducts(products []config.Product) []error {
	var problems []error
	seen := make(map[string]bool)
	for i, p := range products {
		switch {
		case p.SKU == "":
			problems = append(problems, fmt.Errorf("bot: product %d (%q) has an empty SKU", i+1, p.Name))
		case len(buyCallbackPrefix)+len(p.SKU) > maxCallbackDataBytes:
			problems = append(problems, fmt.Errorf("bot: product SKU %q is longer than %d bytes and does not fit a button", p.SKU, maxCallbackDataBytes-len(buyCallbackPrefix)))
		case seen[p.SKU]:
			problems = append(problems, fmt.Errorf("bot: product SKU %q is listed twice", p.SKU))
		}
		seen[p.SKU] = true
	}
	return problems
}

func validateLimits(opts Options) []error {
	checks := []struct {
		name     string
		negative bool
	}{
		{"outbox global rate", opts.Outbox.GlobalRate < 0},
		{"outbox chat rate", opts.Outbox.ChatRate < 0},
		{"outbox max attempts", opts.Outbox.MaxAttempts < 0},
		{"outbox poll interval", opts.Outbox.PollInterval < 0},
		{"workers", opts.Workers < 0},
		{"queue size", opts.QueueSize < 0},
		{"handler timeout", opts.HandlerTimeout < 0},
		{"retry base delay", opts.RetryBaseDelay < 0},
		{"retry max delay", opts.RetryMaxDelay < 0},
	}
	var problems []error
	for _, check := range checks {
		if check.negative {
			problems = append(problems, fmt.Errorf("bot: invalid %s: must not be negative (zero selects the default)", check.name))
		}
	}
	return problems
}

// Username returns the bot's Telegram username, without the @.
func (b *Bot) Username() string {
	return b.api.Self.UserName
}

// HandleWebhookUpdate queues an update received on the webhook route. It
// returns false when the queue is full or the bot has stopped, and the route
// should then answer 503 so that Telegram delivers the update again. An
// update_id seen recently is accepted and ignored.
func (b *Bot) HandleWebhookUpdate(update tgbotapi.Update) bool {
	if b.dispatcher.offer(update) {
		if b.queueFull.CompareAndSwap(true, false) {
			b.log.Info("Update queue accepts webhook updates again")
		}
		return true
	}
	b.metrics.UpdateRejected()
	// Log the first rejection only, because Telegram retries every one.
	if b.queueFull.CompareAndSwap(false, true) {
		b.log.Warn("Update queue full or bot stopped, rejecting webhook updates",
			"update_id", update.UpdateID, "chat_id", updateChatID(update))
	}
	return false
}

// WakeSender makes the outbox sender look for due messages now. It never
// blocks; call it after a transaction that queued outbox messages commits.
func (b *Bot) WakeSender() {
	b.sender.wakeUp()
}

func orDefault[T int | float64 | time.Duration](value, fallback T) T {
	if value == 0 {
		return fallback
	}
	return value
}

type noMetrics struct{}

func (noMetrics) UpdateHandled(string) {}
func (noMetrics) OutboxSent(string)    {}
func (noMetrics) OutboxRetried(string) {}
func (noMetrics) OutboxDead(string)    {}
func (noMetrics) OutboxDropped(int)    {}
func (noMetrics) UpdateRejected()      {}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
