package webhooks

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"time"
)

// Defaults applied when the matching Options field is zero.
const (
	DefaultBodyLimit       int64 = 1 << 20
	DefaultShutdownTimeout       = 10 * time.Second
	// DefaultRateLimit is the sustained number of requests per second that
	// one client IP may send to each route group.
	DefaultRateLimit float64 = 20
	// DefaultRateBurst is the number of requests one client IP may send at
	// once before DefaultRateLimit applies.
	DefaultRateBurst = 40
)

// Options configures a Server.
type Options struct {
	// Listen is the host or IP to bind, empty for all interfaces.
	Listen string
	// Port is the TCP port to bind, 0 for any free port.
	Port int
	// CertPath and KeyPath are PEM files. When both are set the server
	// speaks HTTPS with TLS 1.2 or later only. Run reloads them on SIGHUP
	// and after a file in their directories changes.
	CertPath string
	KeyPath  string
	// Logger receives every log line of the server. Nil means slog.Default.
	Logger *slog.Logger
	// Notifications processes PingPong notifications. Required.
	Notifications NotificationProcessor
	// Telegram receives webhook updates. When nil, TelegramPath is not
	// registered because the bot polls for updates.
	Telegram TelegramUpdates
	// TelegramSecret is the secret_token given to setWebhook. Required when
	// Telegram is set.
	TelegramSecret string
	// BodyLimit is the maximum request body in bytes, DefaultBodyLimit when 0.
	BodyLimit int64
	// ShutdownTimeout bounds how long Run waits for in-flight requests after
	// its context is cancelled, DefaultShutdownTimeout when 0.
	ShutdownTimeout time.Duration
	// Listener, when set, is used instead of binding Listen and Port.
	Listener net.Listener

	// PingPongAllowedIPs lists the IP addresses and CIDR ranges that may
	// post to PingPongPath. Other clients get 403 and the notification is
	// not processed. Empty entries are skipped, and an empty list allows
	// every client.
	//
	// PingPong publishes the addresses its notifications come from:
	// 3.125.243.2, 3.126.196.22 and 18.195.199.34 in production, and
	// 52.76.198.228 in the sandbox. Behind a reverse proxy, list the proxy
	// in TrustedProxies too, or every request appears to come from the proxy.
	PingPongAllowedIPs []string
	// TrustedProxies lists the IP addresses and CIDR ranges of reverse
	// proxies in front of the server. X-Forwarded-For and X-Real-IP are read
	// only when the TCP peer is in this list. Empty means that the TCP peer
	// is always the client, whatever headers it sends. Loopback and private
	// addresses are not trusted unless listed.
	TrustedProxies []string
	// RateLimit is the sustained number of requests per second that one
	// client IP may send to each route group, DefaultRateLimit when 0.
	// PingPongPath, TelegramPath and the checkout pages each have their own
	// allowance. IPv6 clients are counted per /64 network. HealthPath is
	// not limited.
	RateLimit float64
	// RateBurst is the number of requests one client IP may send at once to
	// each route group, DefaultRateBurst when 0.
	RateBurst int
	// Checkout, when set, serves GET and POST requests under CheckoutPath,
	// such as the pages of a simulated checkout. Its requests count against
	// their own RateLimit allowance, and POST bodies over BodyLimit get 413.
	// A handler that implements CheckoutErrorPages shows those two
	// responses itself. Paths under CheckoutPath are logged without the
	// part after it, which is where checkout tokens go.
	Checkout http.Handler
	// Metrics, when set, is served at MetricsPath, such as a Prometheus
	// handler. Leave it nil to serve metrics on another address.
	Metrics http.Handler
}

// addressLists are the parsed IP lists of Options.
type addressLists struct {
	pingPongAllowed []*net.IPNet
	trustedProxies  []*net.IPNet
}

// validateOptions checks every field and returns all problems at once,
// together with the parsed IP lists.
func validateOptions(opts Options) (addressLists, error) {
	var errs []error
	if opts.Notifications == nil {
		errs = append(errs, errors.New("webhooks: notification processor is missing"))
	}
	if opts.Telegram != nil && opts.TelegramSecret == "" {
		errs = append(errs, errors.New(
			"webhooks: telegram webhook secret is empty: set it so that forged updates are rejected"))
	}
	if (opts.CertPath == "") != (opts.KeyPath == "") {
		errs = append(errs, fmt.Errorf(
			"webhooks: TLS needs both a certificate and a key file (certificate %q, key %q)",
			opts.CertPath, opts.KeyPath))
	}
	if opts.Listener == nil && (opts.Port < 0 || opts.Port > 65535) {
		errs = append(errs, fmt.Errorf("webhooks: invalid port %d: use 0-65535", opts.Port))
	}
	if opts.BodyLimit < 0 {
		errs = append(errs, fmt.Errorf(
			"webhooks: invalid body limit %d: use a positive number of bytes", opts.BodyLimit))
	}
	if opts.ShutdownTimeout < 0 {
		errs = append(errs, fmt.Errorf(
			"webhooks: invalid shutdown timeout %s: use a positive duration", opts.ShutdownTimeout))
	}
	if opts.RateLimit < 0 || math.IsNaN(opts.RateLimit) || math.IsInf(opts.RateLimit, 0) {
		errs = append(errs, fmt.Errorf(
			"webhooks: invalid rate limit %v: use a positive number of requests per second",
			opts.RateLimit))
	}
	if opts.RateBurst < 0 {
		errs = append(errs, fmt.Errorf(
			"webhooks: invalid rate burst %d: use a positive number of requests", opts.RateBurst))
	}

	var lists addressLists
	var err error
	lists.pingPongAllowed, err = parseIPRanges("PingPong allowed IPs", opts.PingPongAllowedIPs)
	errs = append(errs, err)
	lists.trustedProxies, err = parseIPRanges("trusted proxies", opts.TrustedProxies)
	errs = append(errs, err)

	return lists, errors.Join(errs...)
}
