package config

// setting is one scalar configuration key: its dotted YAML path, the
// environment variable that overrides it and its built-in default.
type setting struct {
	key    string
	env    string
	def    string
	secret bool
}

// settings lists every scalar key with its default. This table is the only
// place defaults are written. The product catalog is not here because it has
// no environment variable and no default.
var settings = []setting{
	{key: "app.env", env: "APP_ENV", def: AppEnvDevelopment},

	{key: "telegram.bot_token", env: "TELEGRAM_BOT_TOKEN", secret: true},
	{key: "telegram.api_endpoint", env: "TELEGRAM_API_ENDPOINT", def: "https://api.telegram.org/bot%s/%s"},
	{key: "telegram.mode", env: "BOT_MODE", def: ModePolling},
	{key: "telegram.webhook_secret", env: "TELEGRAM_WEBHOOK_SECRET", secret: true},
	{key: "telegram.admin_chat_ids", env: "ADMIN_CHAT_IDS"},
	{key: "telegram.max_connections", env: "TELEGRAM_MAX_CONNECTIONS", def: "40"},

	{key: "server.listen", env: "WEBHOOK_LISTEN", def: "0.0.0.0"},
	{key: "server.port", env: "WEBHOOK_PORT", def: "8000"},
	{key: "server.public_base_url", env: "PUBLIC_BASE_URL"},
	{key: "server.ssl_cert_path", env: "SSL_CERT_PATH"},
	{key: "server.ssl_key_path", env: "SSL_KEY_PATH"},
	{key: "server.metrics_listen", env: "METRICS_LISTEN"},
	{key: "server.pingpong_allowed_ips", env: "PINGPONG_ALLOWED_IPS"},
	{key: "server.trusted_proxies", env: "TRUSTED_PROXIES"},
	{key: "server.rate_limit", env: "RATE_LIMIT", def: "20"},
	{key: "server.rate_burst", env: "RATE_BURST", def: "40"},

	{key: "pingpong.mode", env: "PINGPONG_MODE", def: PingPongModeSandbox},
	{key: "pingpong.api_base", env: "PINGPONG_API_BASE", def: "https://sandbox-acquirer-payment.pingpongx.com"},
	{key: "pingpong.client_id", env: "PINGPONG_CLIENT_ID"},
	{key: "pingpong.acc_id", env: "PINGPONG_ACC_ID"},
	{key: "pingpong.webhook_secret", env: "PINGPONG_WEBHOOK_SECRET", secret: true},
	{key: "pingpong.sign_type", env: "PINGPONG_SIGN_TYPE", def: SignTypeSHA256},
	{key: "pingpong.timeout", env: "PINGPONG_TIMEOUT", def: "15s"},
	{key: "pingpong.shopper_ip", env: "PINGPONG_SHOPPER_IP", def: "127.0.0.1"},

	{key: "database.path", env: "DATABASE_PATH", def: "data/bot.db"},

	{key: "log.dir", env: "LOG_DIR", def: "logs"},
	{key: "log.level", env: "LOG_LEVEL", def: "info"},
	{key: "log.format", env: "LOG_FORMAT", def: LogFormatText},
	{key: "log.max_size_mb", env: "LOG_MAX_SIZE_MB", def: "20"},
	{key: "log.max_backups", env: "LOG_MAX_BACKUPS", def: "5"},

	{key: "outbox.global_rate", env: "OUTBOX_GLOBAL_RATE", def: "25"},
	{key: "outbox.chat_rate", env: "OUTBOX_CHAT_RATE", def: "1"},
	{key: "outbox.max_attempts", env: "OUTBOX_MAX_ATTEMPTS", def: "8"},
	{key: "outbox.poll_interval", env: "OUTBOX_POLL_INTERVAL", def: "2s"},

	{key: "reconciler.pending_age", env: "RECONCILE_PENDING_AGE", def: "10m"},
	{key: "reconciler.interval", env: "RECONCILE_INTERVAL", def: "1m"},
}

// productsKey is the top-level YAML key of the catalog.
const productsKey = "products"

// configFileEnv names the environment variable that selects the YAML file.
const configFileEnv = "CONFIG_FILE"

// defaultConfigFile is the YAML file read when CONFIG_FILE is not set,
// relative to LoadOptions.WorkDir.
const defaultConfigFile = "configs/config.yaml"

// label returns how problems name a key: the YAML path followed by its
// environment variable, such as "server.port (WEBHOOK_PORT)".
func label(key string) string {
	for _, s := range settings {
		if s.key == key {
			return s.key + " (" + s.env + ")"
		}
	}
	return key
}

// isSecret reports whether the value of key must never be printed.
func isSecret(key string) bool {
	for _, s := range settings {
		if s.key == key {
			return s.secret
		}
	}
	return false
}
