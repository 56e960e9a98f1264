package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"telegram-bot-webhook/bot/telegramtest"
	"telegram-bot-webhook/config"
	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/pingpongtest"
	"telegram-bot-webhook/store"
)

const (
	testToken    = "123456:TEST-token-e2e"
	testDelivery = "Download: https://files.example.com/guide.pdf"
)

const testCatalog = `
products:
  - sku: guide
    name: Field Guide
    price: "9.99"
    currency: USD
    description: A guide.
    delivery: "` + testDelivery + `"
  - sku: stickers
    name: Sticker Pack
    price: "1500"
    currency: JPY
    delivery: "Code: STICK-1500"
`

// app is a running instance of the whole program against fake Telegram and
// PingPong servers on loopback.
type app struct {
	t        *testing.T
	telegram *telegramtest.Server
	pingpong *pingpongtest.Server
	baseURL  string
	dbPath   string
	logDir   string
	stdout   *syncBuffer
	cancel   context.CancelFunc
	done     chan error
	// dir is the working directory and env the environment of the app.
	dir string
	env map[string]string
}

func startApp(t *testing.T, extraEnv map[string]string) *app {
	t.Helper()
	dir := t.TempDir()
	configPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(configPath, []byte(testCatalog), 0o600); err != nil {
		t.Fatal(err)
	}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &app{
		t:        t,
		telegram: telegramtest.NewServer(t, testToken),
		pingpong: pingpongtest.NewServer(t, pingpongtest.Config{}),
		baseURL:  "http://" + listener.Addr().String(),
		dbPath:   filepath.Join(dir, "data", "bot.db"),
		logDir:   filepath.Join(dir, "logs"),
		stdout:   &syncBuffer{},
		done:     make(chan error, 1),
	}
	cfg := a.pingpong.Config()
	env := map[string]string{
		"CONFIG_FILE":             configPath,
		"TELEGRAM_BOT_TOKEN":      testToken,
		"TELEGRAM_API_ENDPOINT":   a.telegram.Endpoint(),
		"ADMIN_CHAT_IDS":          "777",
		"PUBLIC_BASE_URL":         a.baseURL,
		"PINGPONG_API_BASE":       a.pingpong.URL,
		"PINGPONG_CLIENT_ID":      cfg.ClientID,
		"PINGPONG_ACC_ID":         cfg.AccID,
		"PINGPONG_WEBHOOK_SECRET": cfg.Salt,
		"DATABASE_PATH":           a.dbPath,
		"LOG_DIR":                 a.logDir,
		"LOG_LEVEL":               "debug",
		"OUTBOX_POLL_INTERVAL":    "100ms",
	}
	for key, value := range extraEnv {
		env[key] = value
	}
	a.dir, a.env = dir, env

	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	go func() {
		a.done <- run(ctx, runOptions{
			Getenv:   func(key string) (string, bool) { v, ok := env[key]; return v, ok },
			Stdout:   a.stdout,
			WorkDir:  dir,
			Listener: listener,
		})
	}()
	t.Cleanup(func() { a.stop() })

	a.waitHealthy()
	return a
}

// stop cancels the app and waits for run to return; it fails the test if
// run returned an error.
func (a *app) stop() {
	if a.cancel == nil {
		return
	}
	a.cancel()
	a.cancel = nil
	select {
	case err := <-a.done:
		if err != nil {
			a.t.Errorf("run returned %v", err)
		}
	case <-time.After(30 * time.Second):
		a.t.Error("run did not return within 30s of cancellation")
	}
}

func (a *app) waitHealthy() {
	a.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-a.done:
			a.t.Fatalf("run returned before serving: %v\n%s", err, a.stdout.String())
		default:
		}
		resp, err := http.Get(a.baseURL + "/health")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK && (a.telegram.Calls("getUpdates") > 0 || a.telegram.Webhook().URL != "") {
				return
			}
		}
		select {
		case <-a.telegram.Changed():
		case <-time.After(50 * time.Millisecond):
		}
	}
	a.t.Fatalf("app did not become healthy\n%s", a.stdout.String())
}

// notify posts a notification body to the app as PingPong does and returns
// the status and body of the answer.
func (a *app) notify(body []byte) (int, string) {
	a.t.Helper()
	resp, err := http.Post(a.baseURL+"/webhook/pingpong", "application/json", strings.NewReader(string(body)))
	if err != nil {
		a.t.Fatalf("post notification: %v", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

func (a *app) mustNotify(body []byte) {
	a.t.Helper()
	status, answer := a.notify(body)
	if status != http.StatusOK || answer != "OK" {
		a.t.Fatalf("notification answered %d %q, want 200 OK", status, answer)
	}
}

// buy goes through /start and the Buy button and returns the order id the
// pay link was created for.
func (a *app) buy(buyer telegramtest.User, sku string) string {
	a.t.Helper()
	before := len(a.pingpong.Checkouts())
	a.telegram.SendText(buyer, "/products")
	catalog := a.telegram.WaitForMessage(a.t, buyer.ID, func(m telegramtest.SentMessage) bool {
		_, ok := m.ButtonByData("buy:" + sku)
		return ok
	})
	a.telegram.PressButton(buyer, catalog.MessageID, "buy:"+sku)

	var orderID string
	a.telegram.WaitForMessage(a.t, buyer.ID, func(m telegramtest.SentMessage) bool {
		checkouts := a.pingpong.Checkouts()
		if len(checkouts) <= before {
			return false
		}
		orderID = checkouts[len(checkouts)-1].MerchantTransactionID
		return strings.Contains(m.Text, orderID) && len(m.URLButtons()) == 1
	})
	return orderID
}

func (a *app) openStore() *store.Store {
	a.t.Helper()
	st, err := store.Open(a.dbPath)
	if err != nil {
		a.t.Fatal(err)
	}
	a.t.Cleanup(func() { _ = st.Close() })
	return st
}

func countMessages(messages []telegramtest.SentMessage, substring string) int {
	count := 0
	for _, m := range messages {
		if strings.Contains(m.Text, substring) {
			count++
		}
	}
	return count
}

func TestApp_PurchaseToDelivery(t *testing.T) {
	a := startApp(t, nil)
	buyer := telegramtest.User{ID: 5001, FirstName: "Ann", Username: "ann", LanguageCode: "en"}

	a.telegram.SendText(buyer, "/start")
	greeting := a.telegram.WaitForMessage(t, buyer.ID, func(m telegramtest.SentMessage) bool {
		return strings.Contains(m.Text, "Ann")
	})
	if len(greeting.Buttons()) == 0 {
		t.Fatal("greeting has no catalog button")
	}

	orderID := a.buy(buyer, "guide")
	checkout, _ := a.pingpong.Checkout(orderID)
	if checkout.NotificationURL != a.baseURL+"/webhook/pingpong" {
		t.Errorf("notificationUrl = %q, want %q", checkout.NotificationURL, a.baseURL+"/webhook/pingpong")
	}

	paid := a.pingpong.PaymentNotification(orderID, payments.StatusSuccess)
	a.mustNotify(paid)
	a.telegram.WaitForMessage(t, buyer.ID, func(m telegramtest.SentMessage) bool {
		return strings.Contains(m.Text, orderID) && strings.Contains(m.Text, "files.example.com/guide.pdf")
	})

	// The same notification again is acknowledged and changes nothing.
	a.mustNotify(paid)

	// A tampered copy is refused.
	tampered := strings.Replace(string(paid), `9.99`, `0.01`, 1)
	if status, _ := a.notify([]byte(tampered)); status != http.StatusUnauthorized {
		t.Fatalf("tampered notification answered %d, want 401", status)
	}

	// A second order fails, then succeeds on the same link.
	second := a.buy(buyer, "stickers")
	a.mustNotify(a.pingpong.PaymentNotification(second, payments.StatusFailed,
		pingpongtest.WithResult("300001", "Card declined")))
	failed := a.telegram.WaitForMessage(t, buyer.ID, func(m telegramtest.SentMessage) bool {
		return strings.Contains(m.Text, second) && strings.Contains(m.Text, "Card declined")
	})
	if len(failed.URLButtons()) != 1 {
		t.Errorf("failed message has %d URL buttons, want the pay button", len(failed.URLButtons()))
	}
	a.mustNotify(a.pingpong.PaymentNotification(second, payments.StatusSuccess))
	a.telegram.WaitForMessage(t, buyer.ID, func(m telegramtest.SentMessage) bool {
		return strings.Contains(m.Text, second) && strings.Contains(m.Text, "STICK-1500")
	})

	// The first order is refunded.
	a.mustNotify(a.pingpong.RefundNotification(orderID, "RF-1", "9.99", payments.StatusSuccess))
	a.telegram.WaitForMessage(t, buyer.ID, func(m telegramtest.SentMessage) bool {
		return strings.Contains(m.Text, orderID) && strings.Contains(m.Text, "9.99 USD") &&
			strings.Contains(strings.ToLower(m.Text), "refund")
	})

	// Messages to one chat go out in queue order, so any paid message the
	// duplicate or the tampered copy had queued was sent before the refund.
	messages := a.telegram.Messages(buyer.ID)
	if got := countMessages(messages, "files.example.com/guide.pdf"); got != 1 {
		t.Errorf("paid messages for the first order = %d, want 1", got)
	}

	st := a.openStore()
	first, err := st.GetOrder(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != store.StatusRefunded {
		t.Errorf("first order status = %s, want refunded", first.Status)
	}
	secondOrder, err := st.GetOrder(context.Background(), second)
	if err != nil {
		t.Fatal(err)
	}
	if secondOrder.Status != store.StatusPaid {
		t.Errorf("second order status = %s, want paid", secondOrder.Status)
	}
	bad, err := st.ListNotificationsByOutcome(context.Background(), store.OutcomeBadSignature, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) != 1 {
		t.Errorf("stored bad-signature notifications = %d, want 1", len(bad))
	}

	assertMetrics(t, a.baseURL, []string{
		`shopbot_orders_total{event="created"} 2`,
		`shopbot_orders_total{event="paid"} 2`,
		`shopbot_orders_total{event="failed"} 1`,
		`shopbot_orders_total{event="refunded"} 1`,
		`shopbot_notifications_received_total{notify_type="RECHARGE",outcome="duplicate"} 1`,
		`shopbot_notification_signature_failures_total 1`,
		`shopbot_order_success_ratio 1`,
		`shopbot_telegram_updates_total{type="callback_query"} 2`,
		`shopbot_pingpong_request_duration_seconds_count{call="prePay",outcome="ok"} 2`,
	})

	a.stop()
	assertNoSecrets(t, a)
}

// assertMetrics checks that /metrics contains each line.
func assertMetrics(t *testing.T, baseURL string, lines []string) {
	t.Helper()
	resp, err := http.Get(baseURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range lines {
		if !strings.Contains(string(body), line+"\n") {
			t.Errorf("metrics lack %s", line)
		}
	}
}

func TestApp_HealthBody(t *testing.T) {
	a := startApp(t, nil)
	resp, err := http.Get(a.baseURL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != `{"status":"ok","service":"telegram-bot-webhook"}` {
		t.Fatalf("health body = %s", body)
	}
}

func TestRun_InvalidConfigFails(t *testing.T) {
	dir := t.TempDir()
	err := run(context.Background(), runOptions{
		Getenv: func(key string) (string, bool) {
			return map[string]string{"WEBHOOK_PORT": "99999"}[key], key == "WEBHOOK_PORT"
		},
		Stdout:  io.Discard,
		WorkDir: dir,
	})
	if err == nil {
		t.Fatal("run succeeded without a bot token")
	}
	for _, want := range []string{"TELEGRAM_BOT_TOKEN", "WEBHOOK_PORT"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
}

func TestRun_TelegramUnreachableFails(t *testing.T) {
	tg := telegramtest.NewServer(t, testToken)
	endpoint := tg.Endpoint()
	tg.Close()
	dir := t.TempDir()
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN":    testToken,
		"TELEGRAM_API_ENDPOINT": endpoint,
		"DATABASE_PATH":         filepath.Join(dir, "bot.db"),
		"LOG_DIR":               filepath.Join(dir, "logs"),
		"CONFIG_FILE":           filepath.Join(mustGetwd(t), "configs", "config.yaml"),
	}
	stdout := &syncBuffer{}
	err := run(context.Background(), runOptions{
		Getenv:  func(key string) (string, bool) { v, ok := env[key]; return v, ok },
		Stdout:  stdout,
		WorkDir: dir,
	})
	if err == nil {
		t.Fatal("run succeeded with the Bot API down")
	}
	if strings.Contains(err.Error(), testToken) || strings.Contains(stdout.String(), testToken) {
		t.Fatalf("bot token leaked: %v\n%s", err, stdout.String())
	}
}

func mustGetwd(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// assertNoSecrets checks stdout and both log files for the bot token and
// the PingPong salt.
func assertNoSecrets(t *testing.T, a *app) {
	t.Helper()
	salt := a.pingpong.Config().Salt
	sources := map[string]string{"stdout": a.stdout.String()}
	for _, name := range []string{"webhook.log", "bot.log"} {
		data, err := os.ReadFile(filepath.Join(a.logDir, name))
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		if len(data) == 0 {
			t.Errorf("%s is empty", name)
		}
		sources[name] = string(data)
	}
	for name, text := range sources {
		for _, secret := range []string{testToken, salt} {
			if strings.Contains(text, secret) {
				t.Errorf("%s contains a secret", name)
			}
		}
	}
}

// getenv reads the app's environment.
func (a *app) getenv(key string) (string, bool) {
	value, ok := a.env[key]
	return value, ok
}

// command runs a command-line command with the app's environment and
// returns its output and error.
func (a *app) command(stdin string, args ...string) (string, error) {
	output := &syncBuffer{}
	err := run(context.Background(), runOptions{
		Args:    args,
		Getenv:  a.getenv,
		Stdin:   strings.NewReader(stdin),
		Stdout:  output,
		Stderr:  output,
		WorkDir: a.dir,
	})
	return output.String(), err
}

func TestCommand_SimulatePaysRunningApp(t *testing.T) {
	a := startApp(t, nil)
	buyer := telegramtest.User{ID: 5101, FirstName: "Sim", LanguageCode: "en"}
	orderID := a.buy(buyer, "guide")

	output, err := a.command("", "simulate", "paid", "--order", orderID, "--url", a.baseURL+"/webhook/pingpong")
	if err != nil {
		t.Fatalf("simulate paid: %v\n%s", err, output)
	}
	if !strings.Contains(output, "200") {
		t.Errorf("simulate output lacks the 200 status:\n%s", output)
	}
	a.telegram.WaitForMessage(t, buyer.ID, func(m telegramtest.SentMessage) bool {
		return strings.Contains(m.Text, orderID) && strings.Contains(m.Text, "files.example.com/guide.pdf")
	})

	output, err = a.command("", "simulate", "paid", "--order", "ORD-MISSING")
	if err == nil || !strings.Contains(err.Error()+output, "ORD-MISSING") {
		t.Errorf("simulate for a missing order: err = %v, output:\n%s", err, output)
	}
}

func TestCommand_VerifyDiagnosesSignType(t *testing.T) {
	a := startApp(t, nil)
	buyer := telegramtest.User{ID: 5102, FirstName: "Ver", LanguageCode: "en"}
	orderID := a.buy(buyer, "guide")
	valid := a.pingpong.PaymentNotification(orderID, payments.StatusSuccess)

	output, err := a.command(string(valid), "verify")
	if err != nil || !strings.Contains(output, "signature valid") {
		t.Fatalf("verify of a valid body: err = %v, output:\n%s", err, output)
	}

	cfg := a.pingpong.Config()
	md5Body, err := payments.BuildNotification(cfg.AccID, cfg.ClientID, payments.SignMD5, cfg.Salt,
		payments.NotificationFields{NotifyType: payments.NotifyRecharge, Status: payments.StatusSuccess,
			Amount: "9.99", Currency: "USD", MerchantTransactionID: orderID, TransactionID: "T-1", RequestID: "r-1"})
	if err != nil {
		t.Fatal(err)
	}
	// Labelled SHA256 but signed with MD5, as a mixed-up sender does.
	mixed := strings.Replace(string(md5Body), `"signType":"MD5"`, `"signType":"SHA256"`, 1)
	path := filepath.Join(t.TempDir(), "notification.json")
	if err := os.WriteFile(path, []byte(mixed), 0o600); err != nil {
		t.Fatal(err)
	}
	output, err = a.command("", "verify", path)
	if err == nil {
		t.Fatalf("verify accepted a body signed with the other algorithm:\n%s", output)
	}
	if !strings.Contains(output, "MD5") {
		t.Errorf("verify output does not name MD5:\n%s", output)
	}
	if strings.Contains(output, cfg.Salt) {
		t.Error("verify output contains the salt")
	}
}

func TestCommand_UnknownIsRejected(t *testing.T) {
	err := run(context.Background(), runOptions{Args: []string{"serve"}, Getenv: func(string) (string, bool) { return "", false }})
	if err == nil || !strings.Contains(err.Error(), `unknown command "serve"`) {
		t.Fatalf("error = %v, want an unknown-command error", err)
	}
}

func TestRun_PortInUseFailsBeforePolling(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port

	tg := telegramtest.NewServer(t, testToken)
	dir := t.TempDir()
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN":    testToken,
		"TELEGRAM_API_ENDPOINT": tg.Endpoint(),
		"WEBHOOK_LISTEN":        "127.0.0.1",
		"WEBHOOK_PORT":          strconv.Itoa(port),
		"DATABASE_PATH":         filepath.Join(dir, "bot.db"),
		"LOG_DIR":               filepath.Join(dir, "logs"),
		"CONFIG_FILE":           filepath.Join(mustGetwd(t), "configs", "config.yaml"),
	}
	err = run(context.Background(), runOptions{
		Getenv:  func(key string) (string, bool) { v, ok := env[key]; return v, ok },
		Stdout:  io.Discard,
		WorkDir: dir,
	})
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Fatalf("error = %v, want a listen error naming port %d", err, port)
	}
	if calls := tg.Calls("getUpdates"); calls != 0 {
		t.Fatalf("getUpdates called %d times before the port was bound", calls)
	}
}

func TestAllowedNotificationSources_LocalModeAddsOwnAddresses(t *testing.T) {
	cfg := &config.Config{}
	cfg.Server.PingPongAllowedIPs = []string{"52.76.198.228"}
	cfg.Server.Listen = "192.0.2.2"

	cfg.PingPong.Mode = config.PingPongModeSandbox
	if got := allowedNotificationSources(cfg); !slices.Equal(got, []string{"52.76.198.228"}) {
		t.Errorf("sandbox mode: allowed = %v, want only the configured list", got)
	}

	cfg.PingPong.Mode = config.PingPongModeLocal
	got := allowedNotificationSources(cfg)
	for _, want := range []string{"52.76.198.228", "127.0.0.1", "::1", "192.0.2.2"} {
		if !slices.Contains(got, want) {
			t.Errorf("local mode: allowed = %v, missing %s", got, want)
		}
	}

	cfg.Server.PingPongAllowedIPs = nil
	if got := allowedNotificationSources(cfg); len(got) != 0 {
		t.Errorf("no allowlist: allowed = %v, want empty (everyone)", got)
	}
}

func TestApp_WebhookModeHandlesUpdates(t *testing.T) {
	const secret = "hook_Secret-42"
	a := startApp(t, map[string]string{
		"BOT_MODE":                "webhook",
		"TELEGRAM_WEBHOOK_SECRET": secret,
		"PUBLIC_BASE_URL":         "https://shop.example.test",
	})
	if got := a.telegram.Webhook().URL; got != "https://shop.example.test/webhook/telegram" {
		t.Fatalf("registered webhook = %q", got)
	}
	if got := a.telegram.Webhook().SecretToken; got != secret {
		t.Fatalf("registered secret differs from TELEGRAM_WEBHOOK_SECRET")
	}

	update := `{"update_id":900,"message":{"message_id":1,"date":1700000000,"text":"/help",` +
		`"from":{"id":5201,"is_bot":false,"first_name":"Hook","language_code":"en"},` +
		`"chat":{"id":5201,"type":"private","first_name":"Hook"},` +
		`"entities":[{"type":"bot_command","offset":0,"length":5}]}}`
	post := func(token string) int {
		req, err := http.NewRequest(http.MethodPost, a.baseURL+"/webhook/telegram", strings.NewReader(update))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}

	if status := post("wrong"); status != http.StatusUnauthorized {
		t.Fatalf("wrong secret answered %d, want 401", status)
	}
	if status := post(secret); status != http.StatusOK {
		t.Fatalf("right secret answered %d, want 200", status)
	}
	a.telegram.WaitForMessage(t, 5201, func(m telegramtest.SentMessage) bool {
		return strings.Contains(m.Text, "/products")
	})
	// Telegram may deliver the same update again; it is handled once.
	if status := post(secret); status != http.StatusOK {
		t.Fatalf("repeated update answered %d, want 200", status)
	}
	// A later update of the same chat is handled after the repeat, so once
	// its reply is here, a reply to the repeat would be too.
	update = strings.Replace(strings.Replace(update, `"update_id":900`, `"update_id":901`, 1), `"/help"`, `"hello"`, 1)
	update = strings.Replace(update, `,"entities":[{"type":"bot_command","offset":0,"length":5}]`, ``, 1)
	if status := post(secret); status != http.StatusOK {
		t.Fatalf("second update answered %d, want 200", status)
	}
	a.telegram.WaitForMessage(t, 5201, func(m telegramtest.SentMessage) bool {
		return strings.Contains(m.Text, "don't understand")
	})
	if got := countMessages(a.telegram.Messages(5201), "<b>Commands</b>"); got != 1 {
		t.Errorf("help replies = %d, want 1: the repeated update was handled again", got)
	}
	if calls := a.telegram.Calls("getUpdates"); calls != 0 {
		t.Errorf("getUpdates called %d times in webhook mode", calls)
	}
}

func TestApp_MetricsOnSeparateAddress(t *testing.T) {
	metricsAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	a := startApp(t, map[string]string{"METRICS_LISTEN": metricsAddr})

	var body string
	waitForCondition(t, a.telegram, 30*time.Second, "the metrics server", func() bool {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		body = string(data)
		return resp.StatusCode == http.StatusOK
	})
	if !strings.Contains(body, "shopbot_order_success_ratio") {
		t.Errorf("metrics server does not serve the shop metrics")
	}
	resp, err := http.Get(a.baseURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("main port /metrics = %d, want 404 when METRICS_LISTEN is set", resp.StatusCode)
	}
}

func TestApp_LocalModeWarnsAtStart(t *testing.T) {
	a := startApp(t, map[string]string{"PINGPONG_MODE": "local"})
	if !strings.Contains(a.stdout.String(), "payments are simulated") {
		t.Errorf("local mode did not log its warning at start:\n%s", a.stdout.String())
	}
}
