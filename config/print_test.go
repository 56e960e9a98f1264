package config

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

func loadWithSecrets(t *testing.T) *Config {
	t.Helper()
	dir := workDirWithYAML(t, minimalYAML)
	return mustLoad(t, dir, withToken(map[string]string{
		"BOT_MODE":                "webhook",
		"TELEGRAM_WEBHOOK_SECRET": "hook-secret_value",
		"PUBLIC_BASE_URL":         "https://bot.example.com",
		"ADMIN_CHAT_IDS":          "42",
	}))
}

func TestConfigRedacted_HidesSecrets(t *testing.T) {
	cfg := loadWithSecrets(t)

	text := cfg.Redacted()

	for _, secret := range []string{testToken, "hook-secret_value", testSalt} {
		if strings.Contains(text, secret) {
			t.Errorf("Redacted output contains a secret:\n%s", text)
		}
	}
	for _, line := range []string{
		"telegram.bot_token: [redacted]",
		"telegram.webhook_secret: [redacted]",
		"pingpong.webhook_secret: [redacted]",
		"server.public_base_url: https://bot.example.com",
		"telegram.admin_chat_ids: 42",
		"server.ssl_cert_path: not set",
		"pingpong.timeout: 15s",
		`products[0]: sku=ebook name="E-book" price=9.99 USD`,
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("Redacted output has no line %q:\n%s", line, text)
		}
	}
	if strings.Contains(text, "https://example.com/ebook.pdf") {
		t.Errorf("Redacted output contains a product's delivery:\n%s", text)
	}
}

func TestConfigRedacted_EmptySecretIsNotSet(t *testing.T) {
	cfg := mustLoad(t, workDirWithYAML(t, minimalYAML), withToken(nil))

	if !strings.Contains(cfg.Redacted(), "telegram.webhook_secret: not set\n") {
		t.Errorf("empty webhook secret not shown as not set:\n%s", cfg.Redacted())
	}
}

func TestConfigRedacted_ListsEverySetting(t *testing.T) {
	cfg := loadWithSecrets(t)
	text := cfg.Redacted()

	for _, s := range settings {
		if !strings.Contains(text, "\n"+s.key+": ") {
			t.Errorf("Redacted output has no line for %s", s.key)
		}
	}
}

func TestConfigLogValue_HidesSecrets(t *testing.T) {
	cfg := loadWithSecrets(t)
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, nil))

	logger.Info("Loaded configuration", "config", cfg)

	for _, secret := range []string{testToken, "hook-secret_value", testSalt} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("log output contains a secret: %s", out.String())
		}
	}
	if !strings.Contains(out.String(), "config.telegram.bot_token=[redacted]") {
		t.Errorf("log output has no redacted token: %s", out.String())
	}
}

func TestConfigSecrets(t *testing.T) {
	cfg := loadWithSecrets(t)

	want := []string{testToken, "hook-secret_value", testSalt}
	if got := cfg.Secrets(); !reflect.DeepEqual(got, want) {
		t.Errorf("Secrets() = %v, want %v", got, want)
	}

	cfg.Telegram.WebhookSecret = ""
	if got := cfg.Secrets(); len(got) != 2 {
		t.Errorf("Secrets() = %v, want the empty webhook secret left out", got)
	}
}
