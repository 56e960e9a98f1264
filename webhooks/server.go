// Package webhooks runs the HTTP server that receives PingPong payment
// notifications and, in webhook mode, Telegram updates.
package webhooks

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"telegram-bot-webhook/payments"
)

// Routes served by the server.
const (
	HealthPath   = "/health"
	PingPongPath = "/webhook/pingpong"
	TelegramPath = "/webhook/telegram"
	MetricsPath  = "/metrics"
	// CheckoutPath is the prefix of the local checkout pages, served when
	// Options.Checkout is set.
	CheckoutPath = "/checkout"
)

// Timeouts and limits of the underlying http.Server. net/http bounds the TLS
// handshake by the smallest timeout, readHeaderTimeout. Webhook requests
// carry a few headers, so maxHeaderBytes is far below the net/http default
// of 1 MiB.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
)

// NotificationProcessor verifies and applies PingPong notifications. It is
// implemented by payments.Service.
type NotificationProcessor interface {
	// ProcessNotification verifies and applies one notification body. A
	// non-nil error is a transient failure with nothing committed, so the
	// server responds 500 and PingPong retries. Otherwise Result.Outcome
	// decides the response.
	ProcessNotification(ctx context.Context, body []byte, remoteAddr string) (payments.Result, error)
}

var _ NotificationProcessor = (*payments.Service)(nil)

// TelegramUpdates accepts updates received on the Telegram webhook. It is
// implemented by bot.Bot.
type TelegramUpdates interface {
	// HandleWebhookUpdate queues one update and returns false when the queue
	// is full, so the server responds 503 and Telegram retries.
	HandleWebhookUpdate(update tgbotapi.Update) bool
}

// Server is the HTTP server for payment notifications and Telegram updates.
type Server struct {
	logger          *slog.Logger
	notifications   NotificationProcessor
	telegram        TelegramUpdates
	metrics         http.Handler
	checkout        http.Handler
	telegramSecret  string
	bodyLimit       int64
	shutdownTimeout time.Duration
	address         string
	certificates    *certificateHolder
	// reloadDelay is how long the certificate directories must be quiet
	// after a change before the key pair is reloaded.
	reloadDelay     time.Duration
	pingPongAllowed []*net.IPNet
	trustedProxies  []*net.IPNet
	// Each route group has its own rate limiter, so checkout page loads
	// from an address never use up the allowance of the notifications or
	// updates from the same address. In local mode both come from
	// 127.0.0.1, and so does every client behind a tunnel when
	// TrustedProxies is empty.
	pingPongLimiter *rateLimiter
	telegramLimiter *rateLimiter
	checkoutLimiter *rateLimiter

	echo       *echo.Echo
	httpServer *http.Server

	mu       sync.Mutex
	listener net.Listener
	started  bool
}

// New validates opts, loads the TLS key pair when one is configured and
// builds the routes. Run binds the port, New does not.
func New(opts Options) (*Server, error) {
	lists, err := validateOptions(opts)
	if err != nil {
		return nil, err
	}

	s := &Server{
		logger:          opts.Logger,
		notifications:   opts.Notifications,
		telegram:        opts.Telegram,
		metrics:         opts.Metrics,
		checkout:        opts.Checkout,
		telegramSecret:  opts.TelegramSecret,
		bodyLimit:       opts.BodyLimit,
		shutdownTimeout: opts.ShutdownTimeout,
		address:         net.JoinHostPort(opts.Listen, strconv.Itoa(opts.Port)),
		reloadDelay:     defaultReloadDelay,
		pingPongAllowed: lists.pingPongAllowed,
		trustedProxies:  lists.trustedProxies,
		listener:        opts.Listener,
	}
	s.applyDefaults(opts)

	if opts.CertPath != "" {
		certificates, err := loadCertificate(opts.CertPath, opts.KeyPath)
		if err != nil {
			return nil, err
		}

		certificates.warnIfExpired(s.logger, time.Now())
		s.certificates = certificates
	}

	s.echo = s.newEcho()
	s.httpServer = s.newHTTPServer()

	return s, nil
}

// applyDefaults fills the settings that opts leaves at zero.
func (s *Server) applyDefaults(opts Options) {
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.bodyLimit == 0 {
		s.bodyLimit = DefaultBodyLimit
	}
	if s.shutdownTimeout == 0 {
		s.shutdownTimeout = DefaultShutdownTimeout
	}

	rateLimit := opts.RateLimit
	if rateLimit == 0 {
		rateLimit = DefaultRateLimit
	}
	rateBurst := opts.RateBurst
	if rateBurst == 0 {
		rateBurst = DefaultRateBurst
	}
	s.pingPongLimiter = newRateLimiter(rateLimit, rateBurst)
	s.telegramLimiter = newRateLimiter(rateLimit, rateBurst)
	s.checkoutLimiter = newRateLimiter(rateLimit, rateBurst)
}

func (s *Server) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError

	e.IPExtractor = newIPExtractor(s.trustedProxies)

	e.Use(dropInvalidRequestID)
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{}))
	e.Use(s.accessLog())
	e.Use(s.recoverPanic)

	e.GET(HealthPath, handleHealth)
	if s.metrics != nil {
		e.GET(MetricsPath, echo.WrapHandler(s.metrics))
	}

	// The rate limit comes first, so that a flood from one client costs a
	// map lookup per request and no log line.
	pingPongMiddleware := []echo.MiddlewareFunc{s.limitRate(s.pingPongLimiter)}
	if len(s.pingPongAllowed) > 0 {
		pingPongMiddleware = append(pingPongMiddleware, s.allowPingPongSources)
	}
	e.POST(PingPongPath, s.handlePingPong, pingPongMiddleware...)
	if s.telegram != nil {
		e.POST(TelegramPath, s.handleTelegram, s.limitRate(s.telegramLimiter))
	}
	if s.checkout != nil {
		s.addCheckoutRoutes(e)
	}
	return e
}

// addCheckoutRoutes registers the checkout pages. When the handler
// implements CheckoutErrorPages, it also shows the 429 and 413 responses
// of the server, so a buyer's browser gets a page instead of JSON.
func (s *Server) addCheckoutRoutes(e *echo.Echo) {
	checkout := echo.WrapHandler(s.checkout)
	var middleware []echo.MiddlewareFunc
	if pages, ok := s.checkout.(CheckoutErrorPages); ok {
		middleware = append(middleware, showCheckoutErrors(pages))
	}
	middleware = append(middleware, s.limitRate(s.checkoutLimiter))

	e.GET(CheckoutPath+"/*", checkout, middleware...)
	e.POST(CheckoutPath+"/*", checkout, append(middleware, s.limitBody)...)
}

func (s *Server) newHTTPServer() *http.Server {
	server := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          log.New(serverErrorWriter{logger: s.logger}, "", 0),
	}
	if s.certificates != nil {
		server.TLSConfig = &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: s.certificates.getCertificate,
		}
	}
	return server
}

// healthBody is written byte for byte, without a trailing newline.
var healthBody = []byte(`{"status":"ok","service":"telegram-bot-webhook"}`)

func handleHealth(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, healthBody)
}

// Handler returns the Echo instance that serves every route, for use with
// httptest.
func (s *Server) Handler() http.Handler {
	return s.echo
}

// Addr returns the bound address once Run is listening or a Listener was
// given, and the configured Listen:Port otherwise.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.listener != nil {
		return s.listener.Addr().String()
	}
	return s.address
}

// Run listens and serves until ctx is cancelled, then shuts down gracefully:
// it stops accepting connections and waits up to ShutdownTimeout for
// in-flight requests. It returns nil after a clean shutdown and an error when
// listening or serving fails or in-flight requests outlast the timeout. Run
// may be called once.
//
// While it runs, Run catches SIGHUP and reloads the TLS key pair on it, and
// also once the certificate or key directory has been quiet for a second
// after a change. Without TLS, SIGHUP is logged and ignored.
func (s *Server) Run(ctx context.Context) error {
	listener, err := s.listen()
	if err != nil {
		return err
	}

	stopReloads := s.startReloads(ctx)
	defer stopReloads()

	addr := listener.Addr().String()
	useTLS := s.certificates != nil
	s.logger.Info("HTTP server listening", "addr", addr, "tls", useTLS)

	serveErr := make(chan error, 1)
	go func() {
		if useTLS {
			// Empty file names: the certificate comes from TLSConfig.
			serveErr <- s.httpServer.ServeTLS(listener, "", "")
			return
		}
		serveErr <- s.httpServer.Serve(listener)
	}()

	select {
	case err := <-serveErr:
		return fmt.Errorf("webhooks: serve HTTP on %s: %w", addr, err)
	case <-ctx.Done():
	}

	return s.shutdown(addr, serveErr)
}

func (s *Server) listen() (net.Listener, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.started {
		return nil, errors.New("webhooks: Run was already called: create a new Server with New")
	}
	s.started = true

	if s.listener != nil {
		return s.listener, nil
	}

	listener, err := net.Listen("tcp", s.address)
	if err != nil {
		return nil, fmt.Errorf("webhooks: listen on %s: %w", s.address, err)
	}

	s.listener = listener
	return listener, nil
}

func (s *Server) shutdown(addr string, serveErr <-chan error) error {
	s.logger.Info("Stopping HTTP server", "addr", addr, "timeout", s.shutdownTimeout)

	ctx, cancel := context.WithTimeout(context.Background(), s.shutdownTimeout)
	defer cancel()

	if err := s.httpServer.Shutdown(ctx); err != nil {
		s.logger.Warn("HTTP server shutdown timed out, closing open connections",
			"addr", addr, "timeout", s.shutdownTimeout, "error", err)
		closeErr := s.httpServer.Close()
		<-serveErr
		return errors.Join(
			fmt.Errorf("webhooks: shut down HTTP server on %s: %w", addr, err),
			closeErr)
	}

	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("webhooks: serve HTTP on %s: %w", addr, err)
	}

	s.logger.Info("HTTP server stopped", "addr", addr)
	return nil
}
