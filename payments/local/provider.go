// Package local simulates PingPong Checkout inside the app, for a first run
// on a laptop before the merchant's PingPong account is approved.
//
// Provider implements payments.Gateway without calling PingPong. PrePay
// records the checkout in memory and returns a link to a page this server
// shows at PathPrefix + token. There the buyer presses Pay or Decline, and
// the provider builds the notification PingPong would send, signed with the
// configured store ids and salt, and POSTs it over HTTP to the app's own
// notification route. The order therefore goes through the same
// verification and state machine as with PingPong. No money moves.
//
// A SUCCESS is final: the link then stops working. A Decline posts a FAILED
// notification and leaves the checkout payable, because PingPong lets the
// buyer retry on the same page after a failed payment. When the app does
// not accept a notification for a reason that may pass, such as 429, a 5xx
// status or no response, it is posted again a few times in the background.
// Refund returns SUCCESS at once and posts the REFUND notification shortly
// after. Close stops every background post.
//
// Checkouts live in memory. With Options.Orders set, a checkout missing
// after a restart is rebuilt from its stored order when its link is opened
// or its order is queried or refunded. An order the store shows as paid
// then counts as paid, whatever posted its notification. Without it, a
// restart loses the pending checkouts: their links show the not-found page,
// Query reports them unknown, and the reconciler expires the orders once
// their links run out.
package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"telegram-bot-webhook/payments"
)

// PathPrefix is the path under which checkout pages are served: GET
// PathPrefix + token shows a checkout, and POST to its "/pay" and
// "/decline" sub-paths completes it.
const PathPrefix = "/checkout/"

// CodeNotFound is the code of the payments.APIError returned for an order
// or refund this provider does not know. It is in PingPong's 1xxxxx
// validation class, so callers treat it as permanent.
const CodeNotFound = "103000"

// CodeRefundRejected is the code of the payments.APIError returned for a
// refund that the checkout's state or amount does not allow. PingPong
// documents 108000-108003 as refund rejections.
const CodeRefundRejected = "108000"

// DeclineDescription is the resultDescription of the FAILED notification
// that the Decline button sends on an English checkout.
// DeclineDescriptionChinese is the one of a Chinese checkout.
const (
	DeclineDescription        = "Declined on the local checkout page"
	DeclineDescriptionChinese = "已在本地测试收银台拒绝支付"
)

// DefaultNotifyTimeout bounds each notification post, the app's response
// included.
const DefaultNotifyTimeout = 15 * time.Second

// DefaultRefundDelay is the refund notification delay used when
// Options.RefundDelay is zero.
const DefaultRefundDelay = time.Second

// Options configures a Provider.
type Options struct {
	// PublicBaseURL is the origin buyers open checkout pages on, such as
	// http://127.0.0.1:8000 or an https tunnel. Required.
	PublicBaseURL string
	// NotifyURL receives every notification. Use the app's own
	// payments.NotificationPath on an address this process reaches
	// directly, such as http://127.0.0.1:8000/webhook/pingpong, so that no
	// tunnel is needed. The notificationUrl of each request is ignored.
	// Required.
	NotifyURL string
	// AccID, ClientID, Salt and SignType sign the notifications; they must
	// be the ones the app verifies with. SignType is payments.SignSHA256
	// when empty.
	AccID    string
	ClientID string
	Salt     string
	SignType string
	// Logger is slog.Default when nil.
	Logger *slog.Logger
	// HTTPClient posts the notifications. Nil means http.Client with
	// default settings. Each post is limited to DefaultNotifyTimeout.
	HTTPClient *http.Client
	// Now returns the current time. Tests set it, and nil means time.Now.
	Now func() time.Time
	// RefundDelay is how long after Refund returns its notification is
	// posted, DefaultRefundDelay when 0. PingPong also notifies after its
	// response, and the caller stores the refund id from that response first.
	RefundDelay time.Duration
	// Orders, when set, is read to rebuild checkouts lost on restart and to
	// see orders paid by a notification this provider did not send. Nil
	// keeps checkouts in memory only.
	Orders OrderLookup
}

// Provider is a simulated PingPong Checkout. It implements payments.Gateway
// and, as an http.Handler, serves the checkout pages under PathPrefix. Its
// methods are safe for concurrent use.
type Provider struct {
	opts   Options
	log    *slog.Logger
	client *http.Client
	pages  *http.ServeMux

	// ctx bounds every notification post, and Close cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// refundRetryDelays and paymentRetryDelays are the waits between posts
	// of one refund or payment notification, and maxRetryAfter caps how
	// long a Retry-After response header extends a wait. Tests shorten them.
	refundRetryDelays  []time.Duration
	paymentRetryDelays []time.Duration
	maxRetryAfter      time.Duration

	mu        sync.Mutex
	closed    bool
	byToken   map[string]*checkout
	byOrderID map[string]*checkout
	refunds   map[string]*refund
}

var (
	_ payments.Gateway = (*Provider)(nil)
	_ http.Handler     = (*Provider)(nil)
)

// New checks opts and returns a Provider. It logs a warning that payments
// are simulated, so the mode is never mistaken for a real one.
func New(opts Options) (*Provider, error) {
	if opts.SignType == "" {
		opts.SignType = payments.SignSHA256
	}
	if err := validateOptions(opts); err != nil {
		return nil, err
	}
	opts.PublicBaseURL = strings.TrimRight(opts.PublicBaseURL, "/")
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RefundDelay <= 0 {
		opts.RefundDelay = DefaultRefundDelay
	}

	ctx, cancel := context.WithCancel(context.Background())
	p := &Provider{
		opts:      opts,
		log:       opts.Logger,
		client:    opts.HTTPClient,
		ctx:       ctx,
		cancel:    cancel,
		byToken:   map[string]*checkout{},
		byOrderID: map[string]*checkout{},
		refunds:   map[string]*refund{},

		refundRetryDelays:  defaultRefundRetryDelays,
		paymentRetryDelays: defaultPaymentRetryDelays,
		maxRetryAfter:      defaultMaxRetryAfter,
	}
	p.pages = p.newPages()

	p.log.Warn("PINGPONG_MODE=local: payments are simulated, no money moves",
		"checkout_url", opts.PublicBaseURL+PathPrefix,
		"notification_url", opts.NotifyURL)
	return p, nil
}

// validateOptions returns every problem of opts at once.
func validateOptions(opts Options) error {
	var errs []error
	if problem := checkHTTPURL(opts.PublicBaseURL); problem != "" {
		errs = append(errs, fmt.Errorf("local checkout: public base URL %q %s", opts.PublicBaseURL, problem))
	}
	if problem := checkHTTPURL(opts.NotifyURL); problem != "" {
		errs = append(errs, fmt.Errorf("local checkout: notification URL %q %s", opts.NotifyURL, problem))
	}
	if opts.AccID == "" || opts.ClientID == "" {
		errs = append(errs, fmt.Errorf("local checkout: accId %q and clientId %q must both be set "+
			"to the ids the app verifies notifications with", opts.AccID, opts.ClientID))
	}
	// Signing a sample checks the salt and the sign type without printing
	// the salt.
	if _, err := payments.Sign(map[string]string{"check": "1"}, opts.Salt, opts.SignType); err != nil {
		errs = append(errs, fmt.Errorf("local checkout: %w", err))
	}
	return errors.Join(errs...)
}

// checkHTTPURL returns "" for an absolute http or https URL, and otherwise
// what is wrong with raw.
func checkHTTPURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return "is missing"
	case err != nil:
		return "is not a URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "is not an http or https URL"
	case u.Host == "":
		return "has no host"
	}
	return ""
}

// Close stops the refund and payment notifications still waiting or being
// posted in the background and waits for their goroutines. Later refunds
// fail. Checkout pages still show, but their notifications fail. Close may
// be called more than once.
func (p *Provider) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()

	p.cancel()
	p.wg.Wait()
	return nil
}

// LoopbackBaseURL returns the http origin at which this process reaches a
// server listening on addr, a host:port such as "0.0.0.0:8000". An empty or
// unspecified host and "localhost" become 127.0.0.1, so notifications stay
// on this machine and need no public address. Telegram has been reported to
// reject button URLs whose host has no dot, such as localhost
// (BUTTON_URL_INVALID), so 127.0.0.1 also suits the pay button better.
func LoopbackBaseURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("local checkout: listen address %q is not host:port: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if host == "" || strings.EqualFold(host, "localhost") || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

func (p *Provider) now() time.Time {
	return p.opts.Now()
}
