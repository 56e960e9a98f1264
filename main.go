// Command telegram-bot-webhook runs a Telegram shop bot and the HTTP server
// that receives PingPong Checkout notifications, sharing one SQLite
// database.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"telegram-bot-webhook/bot"
	"telegram-bot-webhook/config"
	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/local"
	"telegram-bot-webhook/payments/tools"
	"telegram-bot-webhook/store"
	"telegram-bot-webhook/webhooks"
	"telegram-bot-webhook/webhooks/metrics"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	opts := runOptions{
		Args:   os.Args[1:],
		Getenv: os.LookupEnv,
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
	}
	if err := run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "telegram-bot-webhook:", err)
		os.Exit(1)
	}
}

// runOptions are the inputs of run; tests set them instead of the process
// environment.
type runOptions struct {
	Args   []string
	Getenv func(string) (string, bool)
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// WorkDir is the folder where .env and configs/config.yaml are looked up.
	WorkDir string
	// Listener, when set, is used by the HTTP server instead of binding
	// WEBHOOK_LISTEN:WEBHOOK_PORT.
	Listener net.Listener
}

// run starts the bot, the HTTP server and the reconciler, and returns when
// ctx is cancelled and all have stopped, or when one of them fails.
func run(ctx context.Context, opts runOptions) error {
	if len(opts.Args) > 0 {
		return runCommand(ctx, opts)
	}

	cfg, err := config.Load(config.LoadOptions{Getenv: opts.Getenv, WorkDir: opts.WorkDir})
	if err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}

	logs, err := config.OpenLogs(cfg.Log, cfg.Secrets(), opts.Stdout)
	if err != nil {
		return err
	}
	defer logs.Close()
	log := logs.App

	log.Info("Starting",
		"app_env", cfg.AppEnv,
		"bot_mode", cfg.Telegram.Mode,
		"pingpong_mode", cfg.PingPong.Mode,
		"listen", cfg.Server.Addr(),
		"tls", cfg.Server.SSLCertPath != "",
		"public_base_url", cfg.Server.PublicBaseURL,
		"pingpong_api", pingPongTarget(cfg),
		"database", cfg.Database.Path,
		"products", len(cfg.Products))

	st, err := store.Open(cfg.Database.Path)
	if err != nil {
		log.Error("Failed to open the database", "path", cfg.Database.Path, "error", err)
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("Failed to close the database", "error", err)
			return
		}
		log.Info("Database closed")
	}()

	err = serve(ctx, cfg, st, logs, opts.Listener)
	if err != nil {
		log.Error("Stopped with an error", "error", err)
		return err
	}
	log.Info("Stopped")
	return nil
}

// serve wires the payment service, the bot, the HTTP server and the
// reconciler, and runs them in one errgroup: the first to fail cancels the
// others.
func serve(ctx context.Context, cfg *config.Config, st *store.Store, logs *config.Logs, listener net.Listener) error {
	// The port is bound before the bot starts, so a second instance on a
	// busy port fails before it confirms any Telegram update.
	if listener == nil {
		var err error
		listener, err = net.Listen("tcp", cfg.Server.Addr())
		if err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.Server.Addr(), err)
		}
	}
	served := false
	defer func() {
		if !served {
			_ = listener.Close()
		}
	}()

	counters := metrics.New(st)
	var gateway payments.Gateway
	var localCheckout *local.Provider
	if cfg.PingPong.Mode == config.PingPongModeLocal {
		provider, err := newLocalCheckout(cfg, logs.Server, listener, st)
		if err != nil {
			return err
		}
		// Deferred calls run after group.Wait, once the HTTP server stopped.
		defer provider.Close()
		gateway, localCheckout = provider, provider
	} else {
		client, err := payments.NewClient(payments.ClientConfig{
			BaseURL:  cfg.PingPong.APIBase,
			ClientID: cfg.PingPong.ClientID,
			AccID:    cfg.PingPong.AccID,
			Salt:     cfg.PingPong.Salt,
			SignType: cfg.PingPong.SignType,
			Timeout:  cfg.PingPong.Timeout,
			Observe:  counters.PingPongCall,
		})
		if err != nil {
			return err
		}
		gateway = client
	}

	var shopBot *bot.Bot
	service, err := payments.NewService(payments.ServiceOptions{
		Store:         st,
		Gateway:       gateway,
		AccID:         cfg.PingPong.AccID,
		ClientID:      cfg.PingPong.ClientID,
		Salt:          cfg.PingPong.Salt,
		PublicBaseURL: publicBaseURL(cfg, logs.App),
		ShopperIP:     cfg.PingPong.ShopperIP,
		AdminChatIDs:  cfg.Telegram.AdminChatIDs,
		Logger:        logs.Server,
		Metrics:       counters,
		Wake: func() {
			if shopBot != nil {
				shopBot.WakeSender()
			}
		},
	})
	if err != nil {
		return err
	}

	shopBot, err = bot.New(ctx, bot.Options{
		Token:          cfg.Telegram.BotToken,
		APIEndpoint:    cfg.Telegram.APIEndpoint,
		Mode:           cfg.Telegram.Mode,
		WebhookURL:     cfg.Server.PublicBaseURL + webhooks.TelegramPath,
		WebhookSecret:  cfg.Telegram.WebhookSecret,
		MaxConnections: cfg.Telegram.MaxConnections,
		AdminChatIDs:   cfg.Telegram.AdminChatIDs,
		Products:       cfg.Products,
		Store:          st,
		Checkout:       service,
		Refunder:       service,
		Outbox:         cfg.Outbox,
		Logger:         logs.Bot,
		Metrics:        counters,
		HTTPClient:     &http.Client{Transport: counters.TelegramTransport(nil)},
	})
	if err != nil {
		return fmt.Errorf("connect to the Telegram Bot API: %w", err)
	}
	service.SetReturnURL("https://t.me/" + shopBot.Username())

	serverOpts := webhooks.Options{
		Listen:         cfg.Server.Listen,
		Port:           cfg.Server.Port,
		CertPath:       cfg.Server.SSLCertPath,
		KeyPath:        cfg.Server.SSLKeyPath,
		Logger:         logs.Server,
		Notifications:  service,
		TelegramSecret: cfg.Telegram.WebhookSecret,
		Listener:       listener,

		PingPongAllowedIPs: allowedNotificationSources(cfg),
		TrustedProxies:     cfg.Server.TrustedProxies,
		RateLimit:          cfg.Server.RateLimit,
		RateBurst:          cfg.Server.RateBurst,
	}
	if cfg.Server.MetricsListen == "" {
		serverOpts.Metrics = counters.Handler()
	}
	// A nil *local.Provider in the interface field would register the
	// routes with a nil handler, so the field is set only in local mode.
	if localCheckout != nil {
		serverOpts.Checkout = localCheckout
	}
	if cfg.Telegram.Mode == config.ModeWebhook {
		serverOpts.Telegram = shopBot
	}
	server, err := webhooks.New(serverOpts)
	if err != nil {
		return err
	}

	reconciler := service.NewReconciler(payments.ReconcilerOptions{
		PendingAge: cfg.Reconciler.PendingAge,
		Interval:   cfg.Reconciler.Interval,
		// An order is "creating" while prePay runs, which the client bounds
		// with the PingPong timeout, so twice that plus a margin is safe.
		MinCreatingAge: 2*cfg.PingPong.Timeout + time.Minute,
		OnFailure:      counters.ReconcileFailure,
	})

	served = true
	group, groupCtx := errgroup.WithContext(ctx)
	group.Go(func() error { return stopsOthers(groupCtx, "bot", shopBot.Run(groupCtx)) })
	group.Go(func() error { return stopsOthers(groupCtx, "HTTP server", server.Run(groupCtx)) })
	group.Go(func() error { return stopsOthers(groupCtx, "reconciler", reconciler.Run(groupCtx)) })
	if cfg.Server.MetricsListen != "" {
		group.Go(func() error {
			err := serveMetrics(groupCtx, cfg.Server.MetricsListen, counters.Handler(), logs.Server)
			return stopsOthers(groupCtx, "metrics server", err)
		})
	}
	return group.Wait()
}

// stopsOthers turns a component's early clean return into an error, so the
// errgroup stops the rest: every component is meant to run until ctx ends.
func stopsOthers(ctx context.Context, name string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if ctx.Err() == nil {
		return errors.New(name + " stopped unexpectedly")
	}
	return nil
}

// newLocalCheckout returns the simulated PingPong of PINGPONG_MODE=local.
// Buyers open its pages on PUBLIC_BASE_URL, or on this machine's loopback
// address when that is not set, and it posts notifications to the bound
// listener's loopback address, so no tunnel is needed.
func newLocalCheckout(cfg *config.Config, log *slog.Logger, listener net.Listener, st *store.Store) (*local.Provider, error) {
	if cfg.Server.SSLCertPath != "" {
		return nil, errors.New("PINGPONG_MODE=local posts notifications to this server over plain HTTP: " +
			"unset SSL_CERT_PATH and SSL_KEY_PATH, or use PINGPONG_MODE=sandbox")
	}
	loopback, err := local.LoopbackBaseURL(listener.Addr().String())
	if err != nil {
		return nil, err
	}
	public := cfg.Server.PublicBaseURL
	if public == "" {
		public = loopback
	}
	return local.New(local.Options{
		PublicBaseURL: public,
		NotifyURL:     loopback + payments.NotificationPath,
		AccID:         cfg.PingPong.AccID,
		ClientID:      cfg.PingPong.ClientID,
		Salt:          cfg.PingPong.Salt,
		SignType:      cfg.PingPong.SignType,
		Logger:        log,
		// Checkouts live in memory; the store lets links opened after a
		// restart be rebuilt from their orders.
		Orders: st,
	})
}

// publicBaseURL returns PUBLIC_BASE_URL, or the local address of the server
// when it is not set. PingPong cannot reach a local address, so orders are
// then confirmed by the reconciler's inquiries instead of notifications.
func publicBaseURL(cfg *config.Config, log *slog.Logger) string {
	if cfg.Server.PublicBaseURL != "" {
		return cfg.Server.PublicBaseURL
	}
	address := fmt.Sprintf("http://localhost:%d", cfg.Server.Port)
	if cfg.PingPong.Mode == config.PingPongModeLocal {
		// The local checkout posts its notifications to the loopback
		// address itself and ignores this URL.
		return address
	}
	log.Warn("PUBLIC_BASE_URL is not set, so PingPong cannot deliver notifications; "+
		"payments are confirmed by transaction inquiry after RECONCILE_PENDING_AGE",
		"notification_url", address+payments.NotificationPath)
	return address
}

// serveMetrics serves /metrics on its own address until ctx ends, for
// deployments that keep metrics off the public port.
func serveMetrics(ctx context.Context, addr string, handler http.Handler, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle(webhooks.MetricsPath, handler)
	server := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}

	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for metrics on %s: %w", addr, err)
	}
	log.Info("Metrics server listening", "addr", listener.Addr().String())

	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve metrics on %s: %w", addr, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down the metrics server: %w", err)
	}
	log.Info("Metrics server stopped")
	return nil
}

// placeholderToken replaces a missing bot token when a command that
// never talks to Telegram loads the configuration.
const placeholderToken = "0:placeholder-for-commands-without-telegram"

// runCommand runs the "simulate" or "verify" command named by the first
// argument. Both need only the PingPong settings and the database path, so
// a missing bot token is not an error for them.
func runCommand(ctx context.Context, opts runOptions) error {
	name, args := opts.Args[0], opts.Args[1:]
	if name != "simulate" && name != "verify" {
		return fmt.Errorf("unknown command %q: run without arguments to start the bot and server, "+
			"or use \"simulate\" or \"verify\"", name)
	}

	getenv := func(key string) (string, bool) {
		value, ok := opts.Getenv(key)
		if key == "TELEGRAM_BOT_TOKEN" && value == "" {
			return placeholderToken, true
		}
		return value, ok
	}
	cfg, err := config.Load(config.LoadOptions{Getenv: getenv, WorkDir: opts.WorkDir})
	if err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}

	host := cfg.Server.Listen
	if host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	settings := tools.Settings{
		AccID:        cfg.PingPong.AccID,
		ClientID:     cfg.PingPong.ClientID,
		Salt:         cfg.PingPong.Salt,
		SignType:     cfg.PingPong.SignType,
		DatabasePath: cfg.Database.Path,
		LocalURL:     "http://" + net.JoinHostPort(host, strconv.Itoa(cfg.Server.Port)) + payments.NotificationPath,
	}
	if name == "simulate" {
		return tools.Simulate(ctx, settings, args, opts.Stdout, opts.Stderr)
	}
	return tools.Verify(ctx, settings, args, opts.Stdin, opts.Stdout)
}

// allowedNotificationSources returns PINGPONG_ALLOWED_IPS, plus in local
// mode the addresses this process itself posts notifications from:
// loopback, and the listen address when it names one interface.
func allowedNotificationSources(cfg *config.Config) []string {
	allowed := cfg.Server.PingPongAllowedIPs
	if len(allowed) == 0 || cfg.PingPong.Mode != config.PingPongModeLocal {
		return allowed
	}
	allowed = append(slices.Clone(allowed), "127.0.0.1", "::1")
	if ip := net.ParseIP(cfg.Server.Listen); ip != nil && !ip.IsUnspecified() {
		allowed = append(allowed, ip.String())
	}
	return allowed
}

// pingPongTarget names where checkouts are created, for the start-up line.
func pingPongTarget(cfg *config.Config) string {
	if cfg.PingPong.Mode == config.PingPongModeLocal {
		return "local checkout pages, no PingPong calls"
	}
	return cfg.PingPong.APIBase
}
