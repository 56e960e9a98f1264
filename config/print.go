package config

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// notSet is printed for an empty setting.
const notSet = "not set"

// Secrets returns the non-empty secret values: the bot token, the Telegram
// webhook secret and the PingPong salt. Pass them to OpenLogs or
// NewRedactor so they never reach a log.
func (c *Config) Secrets() []string {
	var secrets []string
	for _, s := range []string{c.Telegram.BotToken, c.Telegram.WebhookSecret, c.PingPong.Salt} {
		if s != "" {
			secrets = append(secrets, s)
		}
	}
	return secrets
}

// Redacted returns the effective configuration as "key: value" lines, one
// per setting and one per product, safe to print. Secrets are shown as
// "[redacted]" and empty values as "not set". A product's delivery and
// description are left out, because the delivery is what the buyer pays for.
func (c *Config) Redacted() string {
	var b strings.Builder
	for _, e := range c.entries() {
		fmt.Fprintf(&b, "%s: %s\n", e.key, e.value)
	}
	for i, p := range c.Products {
		fmt.Fprintf(&b, "%s[%d]: %s\n", productsKey, i, describeProduct(p))
	}
	return b.String()
}

// LogValue returns the same settings as Redacted as slog attributes, so
// logging a *Config prints no secret.
func (c *Config) LogValue() slog.Value {
	entries := c.entries()
	attrs := make([]slog.Attr, 0, len(entries)+1)
	for _, e := range entries {
		attrs = append(attrs, slog.String(e.key, e.value))
	}
	products := make([]string, len(c.Products))
	for i, p := range c.Products {
		products[i] = describeProduct(p)
	}
	attrs = append(attrs, slog.String(productsKey, strings.Join(products, "; ")))
	return slog.GroupValue(attrs...)
}

type entry struct {
	key   string
	value string
}

// entries lists every setting in the order of the settings table, with
// secrets replaced.
func (c *Config) entries() []entry {
	chatIDs := make([]string, len(c.Telegram.AdminChatIDs))
	for i, id := range c.Telegram.AdminChatIDs {
		chatIDs[i] = strconv.FormatInt(id, 10)
	}
	values := map[string]string{
		"app.env":                     c.AppEnv,
		"pingpong.mode":               c.PingPong.Mode,
		"telegram.bot_token":          c.Telegram.BotToken,
		"telegram.api_endpoint":       c.Telegram.APIEndpoint,
		"telegram.mode":               c.Telegram.Mode,
		"telegram.webhook_secret":     c.Telegram.WebhookSecret,
		"telegram.admin_chat_ids":     strings.Join(chatIDs, ","),
		"server.listen":               c.Server.Listen,
		"server.port":                 strconv.Itoa(c.Server.Port),
		"server.public_base_url":      c.Server.PublicBaseURL,
		"server.ssl_cert_path":        c.Server.SSLCertPath,
		"server.ssl_key_path":         c.Server.SSLKeyPath,
		"telegram.max_connections":    fmt.Sprint(c.Telegram.MaxConnections),
		"server.metrics_listen":       c.Server.MetricsListen,
		"server.pingpong_allowed_ips": strings.Join(c.Server.PingPongAllowedIPs, ","),
		"server.trusted_proxies":      strings.Join(c.Server.TrustedProxies, ","),
		"server.rate_limit":           fmt.Sprint(c.Server.RateLimit),
		"server.rate_burst":           fmt.Sprint(c.Server.RateBurst),
		"pingpong.api_base":           c.PingPong.APIBase,
		"pingpong.client_id":          c.PingPong.ClientID,
		"pingpong.acc_id":             c.PingPong.AccID,
		"pingpong.webhook_secret":     c.PingPong.Salt,
		"pingpong.sign_type":          c.PingPong.SignType,
		"pingpong.timeout":            c.PingPong.Timeout.String(),
		"pingpong.shopper_ip":         c.PingPong.ShopperIP,
		"database.path":               c.Database.Path,
		"log.dir":                     c.Log.Dir,
		"log.level":                   c.Log.Level,
		"log.format":                  c.Log.Format,
		"log.max_size_mb":             strconv.Itoa(c.Log.MaxSizeMB),
		"log.max_backups":             strconv.Itoa(c.Log.MaxBackups),
		"outbox.global_rate":          strconv.FormatFloat(c.Outbox.GlobalRate, 'f', -1, 64),
		"outbox.chat_rate":            strconv.FormatFloat(c.Outbox.ChatRate, 'f', -1, 64),
		"outbox.max_attempts":         strconv.Itoa(c.Outbox.MaxAttempts),
		"outbox.poll_interval":        c.Outbox.PollInterval.String(),
		"reconciler.pending_age":      c.Reconciler.PendingAge.String(),
		"reconciler.interval":         c.Reconciler.Interval.String(),
	}

	file := c.File
	if file == "" {
		file = "none, defaults and environment only"
	}
	entries := []entry{{key: "config_file", value: file}}
	for _, s := range settings {
		value := values[s.key]
		switch {
		case value == "":
			value = notSet
		case s.secret:
			value = RedactedValue
		}
		entries = append(entries, entry{key: s.key, value: value})
	}
	return entries
}

func describeProduct(p Product) string {
	return fmt.Sprintf("sku=%s name=%q price=%s %s", p.SKU, p.Name, p.Price, p.Currency)
}
