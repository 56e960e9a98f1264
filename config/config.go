// Package config loads the application's settings from built-in defaults,
// a YAML file, a .env file and environment variables, later sources
// overriding earlier ones, and validates them all at once.
package config

import "time"

// Config is the whole validated configuration.
type Config struct {
	// AppEnv is AppEnvDevelopment or AppEnvProduction.
	AppEnv   string
	Telegram TelegramConfig
	Server   ServerConfig
	PingPong PingPongConfig
	Database DatabaseConfig
	Log      LogConfig
	Outbox   OutboxConfig
	// Reconciler settings: how old a pending order must be before PingPong is
	// asked about it, and how often the reconciler runs.
	Reconciler ReconcilerConfig
	// Products is the catalog, in the order of the YAML file.
	Products []Product
	// File is the YAML file that was read, or "" when only defaults and
	// environment variables were used.
	File string
}

// TelegramConfig holds the Bot API settings.
type TelegramConfig struct {
	// BotToken is secret: it is part of every Bot API URL.
	BotToken string
	// APIEndpoint is a fmt format with two %s verbs, the token and the
	// method, such as "https://api.telegram.org/bot%s/%s".
	APIEndpoint string
	// Mode is ModePolling or ModeWebhook.
	Mode string
	// WebhookSecret is sent by Telegram in X-Telegram-Bot-Api-Secret-Token.
	WebhookSecret string
	AdminChatIDs  []int64
	// MaxConnections is setWebhook's max_connections: how many HTTPS
	// connections Telegram opens at once to deliver updates, 1-100.
	MaxConnections int
}

// Bot modes.
const (
	ModePolling = "polling"
	ModeWebhook = "webhook"
)

// ServerConfig holds the HTTP server settings.
type ServerConfig struct {
	Listen string
	Port   int
	// PublicBaseURL is the origin PingPong and Telegram reach, without a
	// trailing slash, such as "https://abc.ngrok-free.app".
	PublicBaseURL string
	SSLCertPath   string
	SSLKeyPath    string
	// MetricsListen is a separate host:port for /metrics; empty serves
	// /metrics on the main port.
	MetricsListen string
	// PingPongAllowedIPs limits /webhook/pingpong to these IPs or CIDRs;
	// empty allows every client.
	PingPongAllowedIPs []string
	// TrustedProxies are the IPs or CIDRs whose X-Forwarded-For is believed.
	TrustedProxies []string
	// RateLimit is the requests per second one client IP may make to each
	// route group (PingPong notifications, Telegram updates, checkout
	// pages), with bursts of RateBurst.
	RateLimit float64
	RateBurst int
}

// Addr returns the listen address as host:port.
func (s ServerConfig) Addr() string {
	return joinHostPort(s.Listen, s.Port)
}

// Application environments. Production refuses settings meant for a first
// run on a laptop, such as PingPongModeLocal.
const (
	AppEnvDevelopment = "development"
	AppEnvProduction  = "production"
)

// PingPongConfig holds the PingPong Checkout API settings.
type PingPongConfig struct {
	// Mode is PingPongModeSandbox or PingPongModeLocal.
	Mode     string
	APIBase  string
	ClientID string
	AccID    string
	// Salt is the secret key from the PingPong back office that signs every
	// request, response and notification. Env: PINGPONG_WEBHOOK_SECRET.
	Salt string
	// SignType is "SHA256" or "MD5".
	SignType string
	// Timeout bounds each API call.
	Timeout time.Duration
	// ShopperIP is sent as shopperIP with every checkout request.
	// NOTE: PingPong requires the buyer's IP address there, but a Telegram
	// bot never receives it, so one fixed address is sent for every buyer.
	// PingPong's risk checks may treat that address differently from a
	// real one.
	ShopperIP string
}

// PingPong modes. PingPongModeSandbox calls the PingPong API at APIBase,
// which is the sandbox by default, or production when APIBase is set to it.
// PingPongModeLocal calls no PingPong server: the app serves its own
// checkout page and signs the notifications itself, so no money moves.
const (
	PingPongModeSandbox = "sandbox"
	PingPongModeLocal   = "local"
)

// PingPong signature types.
const (
	SignTypeSHA256 = "SHA256"
	SignTypeMD5    = "MD5"
)

// DatabaseConfig holds the SQLite settings.
type DatabaseConfig struct {
	Path string
}

// LogConfig holds the logging settings.
type LogConfig struct {
	// Dir contains webhook.log and bot.log; it is created if missing.
	Dir string
	// Level is "debug", "info", "warn" or "error".
	Level string
	// Format is LogFormatText or LogFormatJSON.
	Format string
	// MaxSizeMB is the size in megabytes at which a log file is rotated.
	MaxSizeMB int
	// MaxBackups is how many rotated, gzip-compressed files are kept per log.
	MaxBackups int
}

// Log formats.
const (
	LogFormatText = "text"
	LogFormatJSON = "json"
)

// OutboxConfig holds the Telegram sending limits.
type OutboxConfig struct {
	// GlobalRate is the maximum messages per second across all chats.
	GlobalRate float64
	// ChatRate is the maximum messages per second to one chat.
	ChatRate float64
	// MaxAttempts bounds sends of one message after network errors and 5xx
	// answers; the message is then kept as dead.
	MaxAttempts int
	// PollInterval is how often the sender looks for due messages when
	// nothing wakes it.
	PollInterval time.Duration
}

// ReconcilerConfig holds the settings of the loop that asks PingPong about
// orders that got no notification.
type ReconcilerConfig struct {
	PendingAge time.Duration
	Interval   time.Duration
}

// Product is one catalog entry.
type Product struct {
	SKU         string
	Name        string
	Description string
	// Price is the decimal string from the YAML file, such as "9.99".
	Price    string
	Currency string
	// AmountMinor is Price in the currency's minor units.
	AmountMinor int64
	// Delivery is sent to the buyer once the order is paid.
	Delivery string
}

// Product returns the catalog entry with the SKU.
func (c *Config) Product(sku string) (Product, bool) {
	for _, p := range c.Products {
		if p.SKU == sku {
			return p, true
		}
	}
	return Product{}, false
}
