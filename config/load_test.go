package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoad_Defaults(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)
	cfg := mustLoad(t, dir, withToken(nil))

	checks := []struct {
		name string
		got  any
		want any
	}{
		{"telegram.api_endpoint", cfg.Telegram.APIEndpoint, "https://api.telegram.org/bot%s/%s"},
		{"telegram.mode", cfg.Telegram.Mode, ModePolling},
		{"telegram.webhook_secret", cfg.Telegram.WebhookSecret, ""},
		{"telegram.admin_chat_ids", len(cfg.Telegram.AdminChatIDs), 0},
		{"server.listen", cfg.Server.Listen, "0.0.0.0"},
		{"server.port", cfg.Server.Port, 8000},
		{"server.public_base_url", cfg.Server.PublicBaseURL, ""},
		{"pingpong.api_base", cfg.PingPong.APIBase, "https://sandbox-acquirer-payment.pingpongx.com"},
		{"pingpong.sign_type", cfg.PingPong.SignType, SignTypeSHA256},
		{"pingpong.timeout", cfg.PingPong.Timeout, 15 * time.Second},
		{"pingpong.shopper_ip", cfg.PingPong.ShopperIP, "127.0.0.1"},
		{"database.path", cfg.Database.Path, "data/bot.db"},
		{"log.dir", cfg.Log.Dir, "logs"},
		{"log.level", cfg.Log.Level, "info"},
		{"log.format", cfg.Log.Format, LogFormatText},
		{"log.max_size_mb", cfg.Log.MaxSizeMB, 20},
		{"log.max_backups", cfg.Log.MaxBackups, 5},
		{"outbox.global_rate", cfg.Outbox.GlobalRate, 25.0},
		{"outbox.chat_rate", cfg.Outbox.ChatRate, 1.0},
		{"outbox.max_attempts", cfg.Outbox.MaxAttempts, 8},
		{"outbox.poll_interval", cfg.Outbox.PollInterval, 2 * time.Second},
		{"reconciler.pending_age", cfg.Reconciler.PendingAge, 10 * time.Minute},
		{"reconciler.interval", cfg.Reconciler.Interval, time.Minute},
		{"file", cfg.File, filepath.Join(dir, defaultConfigFile)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoad_NoConfigFileUsesDefaultsOnly(t *testing.T) {
	problems := loadProblems(t, t.TempDir(), withToken(map[string]string{
		"PINGPONG_CLIENT_ID":      "2018092714313010016",
		"PINGPONG_ACC_ID":         "2018092714313010016291",
		"PINGPONG_WEBHOOK_SECRET": testSalt,
	}))

	if len(problems) != 1 {
		t.Fatalf("got %d problems, want only the missing catalog:\n%s",
			len(problems), strings.Join(problems, "\n"))
	}
	assertProblem(t, problems, "products is missing or empty")
}

func TestLoad_YAMLFile(t *testing.T) {
	dir := workDirWithYAML(t, `
telegram:
  bot_token: "`+testToken+`"
  mode: webhook
  webhook_secret: hook-secret_1
  admin_chat_ids: [111, -100222]
server:
  listen: 127.0.0.1
  port: 9443
  public_base_url: https://bot.example.com/
pingpong:
  client_id: "2018092714313010016"
  acc_id: "2018092714313010016291"
  webhook_secret: `+testSalt+`
  sign_type: md5
  timeout: 30s
log:
  level: DEBUG
  format: json
  max_size_mb: 7
  max_backups: 2
outbox:
  global_rate: 10.5
  chat_rate: 0.5
products:
  - sku: stickers
    name: Stickers
    description: A pack
    price: 1500
    currency: jpy
    delivery: |
      CODE-1
`)
	cfg := mustLoad(t, dir, nil)

	if cfg.Telegram.BotToken != testToken {
		t.Errorf("BotToken not read from YAML")
	}
	if cfg.Telegram.Mode != ModeWebhook {
		t.Errorf("Mode = %q, want webhook", cfg.Telegram.Mode)
	}
	if want := []int64{111, -100222}; !reflect.DeepEqual(cfg.Telegram.AdminChatIDs, want) {
		t.Errorf("AdminChatIDs = %v, want %v", cfg.Telegram.AdminChatIDs, want)
	}
	if got := cfg.Server.Addr(); got != "127.0.0.1:9443" {
		t.Errorf("Addr = %q, want 127.0.0.1:9443", got)
	}
	if cfg.Server.PublicBaseURL != "https://bot.example.com" {
		t.Errorf("PublicBaseURL = %q, want the trailing slash trimmed", cfg.Server.PublicBaseURL)
	}
	if cfg.PingPong.SignType != SignTypeMD5 {
		t.Errorf("SignType = %q, want MD5", cfg.PingPong.SignType)
	}
	if cfg.PingPong.Timeout != 30*time.Second {
		t.Errorf("Timeout = %v, want 30s", cfg.PingPong.Timeout)
	}
	if cfg.Log.Level != "debug" || cfg.Log.Format != LogFormatJSON {
		t.Errorf("Log level/format = %q/%q, want debug/json", cfg.Log.Level, cfg.Log.Format)
	}
	if cfg.Log.MaxSizeMB != 7 || cfg.Log.MaxBackups != 2 {
		t.Errorf("Log rotation = %d MB/%d, want 7/2", cfg.Log.MaxSizeMB, cfg.Log.MaxBackups)
	}
	if cfg.Outbox.GlobalRate != 10.5 || cfg.Outbox.ChatRate != 0.5 {
		t.Errorf("Outbox rates = %v/%v, want 10.5/0.5", cfg.Outbox.GlobalRate, cfg.Outbox.ChatRate)
	}

	want := Product{SKU: "stickers", Name: "Stickers", Description: "A pack", Price: "1500",
		Currency: "JPY", AmountMinor: 1500, Delivery: "CODE-1"}
	if len(cfg.Products) != 1 || cfg.Products[0] != want {
		t.Errorf("Products = %+v, want [%+v]", cfg.Products, want)
	}
	if p, ok := cfg.Product("stickers"); !ok || p.AmountMinor != 1500 {
		t.Errorf("Product(stickers) = %+v, %v", p, ok)
	}
}

func TestLoad_DotEnvOverridesYAML(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML+"server:\n  port: 9000\n")
	writeFile(t, dir, ".env", "WEBHOOK_PORT=9100\nTELEGRAM_BOT_TOKEN="+testToken+"\n")

	cfg := mustLoad(t, dir, nil)

	if cfg.Server.Port != 9100 {
		t.Errorf("Port = %d, want 9100 from .env", cfg.Server.Port)
	}
	if cfg.Telegram.BotToken != testToken {
		t.Errorf("BotToken not read from .env")
	}
}

func TestLoad_EnvOverridesDotEnv(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)
	writeFile(t, dir, ".env", "WEBHOOK_PORT=9100\nLOG_LEVEL=debug\n")

	cfg := mustLoad(t, dir, withToken(map[string]string{"WEBHOOK_PORT": "9200"}))

	if cfg.Server.Port != 9200 {
		t.Errorf("Port = %d, want 9200 from the environment", cfg.Server.Port)
	}
	if cfg.Log.Level != "debug" {
		t.Errorf("Level = %q, want debug from .env", cfg.Log.Level)
	}
}

func TestLoad_EnvOverridesNestedYAMLKey(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML+"server:\n  listen: 127.0.0.1\n  port: 9000\n")

	cfg := mustLoad(t, dir, withToken(map[string]string{"WEBHOOK_PORT": "9100"}))

	if cfg.Server.Port != 9100 {
		t.Errorf("Port = %d, want 9100 from the environment", cfg.Server.Port)
	}
	if cfg.Server.Listen != "127.0.0.1" {
		t.Errorf("Listen = %q, want the YAML value kept beside the overridden port", cfg.Server.Listen)
	}
}

func TestLoad_EmptyEnvValueCountsAsUnset(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML+"server:\n  port: 9000\n")
	writeFile(t, dir, ".env", "LOG_LEVEL=\n")

	cfg := mustLoad(t, dir, withToken(map[string]string{"WEBHOOK_PORT": ""}))

	if cfg.Server.Port != 9000 {
		t.Errorf("Port = %d, want the YAML value 9000", cfg.Server.Port)
	}
	if cfg.Log.Level != "info" {
		t.Errorf("Level = %q, want the default info", cfg.Log.Level)
	}
}

func TestLoad_EmptySectionKeepsDefaults(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML+"server:\n  # port: 9000\nlog:\n")

	cfg := mustLoad(t, dir, withToken(nil))

	if cfg.Server.Port != 8000 || cfg.Log.Dir != "logs" {
		t.Errorf("Port = %d, Dir = %q, want the defaults 8000 and logs", cfg.Server.Port, cfg.Log.Dir)
	}
}

func TestLoad_ConfigFileMissing(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)

	_, err := load(t, dir, withToken(map[string]string{"CONFIG_FILE": "configs/prod.yaml"}))

	if err == nil {
		t.Fatal("Load succeeded with a missing CONFIG_FILE")
	}
	var validation *ValidationError
	if errors.As(err, &validation) {
		t.Fatalf("got a validation error, want a file error: %v", err)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v does not wrap os.ErrNotExist", err)
	}
	for _, want := range []string{"CONFIG_FILE", filepath.Join(dir, "configs/prod.yaml")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestLoad_ConfigFileRelativeToWorkDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "other/shop.yaml", minimalYAML)

	cfg := mustLoad(t, dir, withToken(map[string]string{"CONFIG_FILE": "other/shop.yaml"}))

	if cfg.File != filepath.Join(dir, "other/shop.yaml") {
		t.Errorf("File = %q", cfg.File)
	}
}

func TestLoad_ConfigFileFromDotEnv(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "elsewhere.yaml", minimalYAML)
	writeFile(t, dir, ".env", "CONFIG_FILE="+path+"\n")

	cfg := mustLoad(t, dir, withToken(nil))

	if cfg.File != path {
		t.Errorf("File = %q, want %q", cfg.File, path)
	}
}

func TestLoad_InvalidYAMLNamesFile(t *testing.T) {
	dir := workDirWithYAML(t, "telegram:\n  mode: [polling\n")

	_, err := load(t, dir, withToken(nil))

	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, defaultConfigFile)) {
		t.Errorf("error = %v, want it to name the YAML file", err)
	}
}

func TestLoad_MalformedDotEnvNamesLine(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)
	writeFile(t, dir, ".env", "# comment\nLOG_LEVEL=debug\n\nthis line has no equals SECRETVALUE\n")

	_, err := load(t, dir, withToken(nil))

	if err == nil {
		t.Fatal("Load accepted a malformed .env")
	}
	if !strings.Contains(err.Error(), "line 4") {
		t.Errorf("error %q does not name line 4", err)
	}
	if strings.Contains(err.Error(), "SECRETVALUE") {
		t.Errorf("error %q repeats the content of the line", err)
	}
}

func TestLoad_DotEnvUnclosedQuoteNamesLine(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)
	writeFile(t, dir, ".env", "LOG_LEVEL=debug\nMULTI=\"one\ntwo\"\nPINGPONG_WEBHOOK_SECRET=\"SECRETVALUE\nLOG_DIR=x\n")

	_, err := load(t, dir, withToken(nil))

	if err == nil {
		t.Fatal("Load accepted an unclosed quote")
	}
	if !strings.Contains(err.Error(), "line 4") {
		t.Errorf("error %q does not name line 4", err)
	}
	if strings.Contains(err.Error(), "SECRETVALUE") {
		t.Errorf("error %q repeats the content of the line", err)
	}
}

func TestLoad_DoesNotChangeProcessEnvironment(t *testing.T) {
	dir := workDirWithYAML(t, minimalYAML)
	writeFile(t, dir, ".env", "TELEGRAM_BOT_TOKEN="+testToken+"\nLOG_LEVEL=debug\n")
	tokenBefore, hadToken := os.LookupEnv("TELEGRAM_BOT_TOKEN")
	levelBefore, hadLevel := os.LookupEnv("LOG_LEVEL")

	mustLoad(t, dir, nil)

	tokenAfter, hasToken := os.LookupEnv("TELEGRAM_BOT_TOKEN")
	levelAfter, hasLevel := os.LookupEnv("LOG_LEVEL")
	if tokenAfter != tokenBefore || hasToken != hadToken {
		t.Error("Load changed TELEGRAM_BOT_TOKEN in the process environment")
	}
	if levelAfter != levelBefore || hasLevel != hadLevel {
		t.Error("Load changed LOG_LEVEL in the process environment")
	}
}

func TestLoad_CommittedConfig(t *testing.T) {
	path, err := filepath.Abs(filepath.Join("..", defaultConfigFile))
	if err != nil {
		t.Fatal(err)
	}

	cfg := mustLoad(t, t.TempDir(), withToken(map[string]string{"CONFIG_FILE": path}))

	if cfg.PingPong.ClientID != "2018092714313010016" || cfg.PingPong.AccID != "2018092714313010016291" {
		t.Errorf("PingPong ids = %q/%q, want sandbox store A", cfg.PingPong.ClientID, cfg.PingPong.AccID)
	}
	if cfg.PingPong.Salt == "" {
		t.Error("sandbox salt not set")
	}
	if cfg.Telegram.Mode != ModePolling {
		t.Errorf("Mode = %q, want polling", cfg.Telegram.Mode)
	}

	currencies := make(map[string]int64)
	for _, p := range cfg.Products {
		currencies[p.Currency] = p.AmountMinor
		if p.Delivery == "" || p.Name == "" {
			t.Errorf("product %s has no name or delivery", p.SKU)
		}
	}
	want := map[string]int64{"USD": 999, "JPY": 1500, "EUR": 450}
	if !reflect.DeepEqual(currencies, want) {
		t.Errorf("amounts by currency = %v, want %v", currencies, want)
	}
}

func TestLoad_EnvExampleAsDotEnv(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	dir := workDirWithYAML(t, minimalYAML)
	writeFile(t, dir, ".env", string(example))

	cfg := mustLoad(t, dir, withToken(nil))

	if cfg.Server.Port != 8000 {
		t.Errorf("Port = %d, want the default because every entry is empty", cfg.Server.Port)
	}
}

func TestLoad_EnvExampleListsEverySetting(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(settings, setting{env: configFileEnv}) {
		if !strings.Contains(string(example), "\n"+s.env+"=") {
			t.Errorf(".env.example does not list %s", s.env)
		}
	}
}
