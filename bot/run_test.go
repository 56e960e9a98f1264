package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"telegram-bot-webhook/bot/telegramtest"
	"telegram-bot-webhook/config"
)

func TestRun_SetsCommandMenu(t *testing.T) {
	e := startEnv(t, nil)
	e.tg.WaitUntil(t, "two setMyCommands calls", func() bool { return e.tg.Calls("setMyCommands") == 2 })
	commands := e.tg.Commands()
	if len(commands) != len(textsZH.Commands) || commands[0].Command != "start" {
		t.Errorf("commands = %+v", commands)
	}
}

func TestRun_SetMyCommandsUnsupportedKeepsRunning(t *testing.T) {
	e := newEnv(t, nil)
	e.tg.SetCommandsUnsupported(true)
	e.start(t)

	e.tg.SendText(alice, "/help")
	e.tg.WaitForMessage(t, alice.ID, containsText("<b>Commands</b>"))
	if lines := e.logs.lines("level=WARN", "Failed to set the command menu", "404"); len(lines) != 1 {
		t.Errorf("warning lines = %v, want one", lines)
	}
}

func TestPolling_ConfirmsOffset(t *testing.T) {
	e := startEnv(t, nil)
	id := e.tg.SendText(alice, "/help")
	e.tg.WaitForMessage(t, alice.ID, containsText("<b>Commands</b>"))
	e.tg.WaitUntil(t, "offset confirmation", func() bool {
		return slices.Contains(e.tg.Offsets(), id+1) && e.tg.PendingUpdates() == 0
	})

	next := e.tg.SendText(alice, "/orders")
	e.tg.WaitForMessage(t, alice.ID, containsText(textsEN.OrdersEmpty))
	e.tg.WaitUntil(t, "second confirmation", func() bool { return slices.Contains(e.tg.Offsets(), next+1) })
	if n := len(e.tg.Messages(alice.ID)); n != 2 {
		t.Errorf("bot sent %d messages, want 2 (each update handled once)", n)
	}
}

func TestPolling_DeletesWebhookBeforePolling(t *testing.T) {
	e := newEnv(t, nil)
	e.tg.SetWebhook("https://old.example.test/hook")
	e.start(t)

	e.tg.SendText(alice, "/help")
	e.tg.WaitForMessage(t, alice.ID, containsText("<b>Commands</b>"))
	if e.tg.Webhook().URL != "" {
		t.Errorf("webhook still set: %+v", e.tg.Webhook())
	}
}

func TestPolling_ConflictReportedOnce(t *testing.T) {
	e := newEnv(t, nil)
	e.tg.FailGetUpdates(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running", 4)
	e.start(t)

	e.tg.SendText(alice, "/help")
	e.tg.WaitForMessage(t, alice.ID, containsText("<b>Commands</b>"))
	lines := e.logs.lines("level=ERROR", "another instance is polling", "or a webhook is set", "409")
	if len(lines) != 1 {
		t.Errorf("conflict error lines = %d, want 1:\n%s", len(lines), e.logs.String())
	}
	if len(e.logs.lines("Polling resumed")) != 1 {
		t.Errorf("no resume logged:\n%s", e.logs.String())
	}
	if sleeps := e.clock.Sleeps(); len(sleeps) != 4 {
		t.Errorf("backoff sleeps = %v, want 4", sleeps)
	}
}

func TestPolling_UnauthorizedIsFatal(t *testing.T) {
	e := newEnv(t, nil)
	e.tg.FailGetUpdates(401, "Unauthorized", 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	err := e.bot.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "rejected the bot token") {
		t.Fatalf("Run error = %v, want token rejection", err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error contains the token: %v", err)
	}
	if len(e.logs.lines("Outbox sender stopped")) != 1 {
		t.Errorf("sender not stopped:\n%s", e.logs.String())
	}
}

func TestRun_WebhookModeRegistersWebhook(t *testing.T) {
	const hookURL = "https://shop.example.test/webhook/telegram"
	e := startEnv(t, func(o *Options) {
		o.Mode = config.ModeWebhook
		o.WebhookURL = hookURL
		o.WebhookSecret = "s3cret_Token-1"
		o.MaxConnections = 12
	})
	e.tg.WaitUntil(t, "setWebhook", func() bool { return e.tg.Webhook().URL != "" })

	info := e.tg.Webhook()
	if info.URL != hookURL || info.SecretToken != "s3cret_Token-1" {
		t.Errorf("webhook = %+v", info)
	}
	if !slices.Equal(info.AllowedUpdates, []string{"message", "callback_query"}) {
		t.Errorf("allowed updates = %v", info.AllowedUpdates)
	}
	if info.MaxConnections != 12 {
		t.Errorf("max_connections = %d, want 12", info.MaxConnections)
	}
	if lines := e.logs.lines("Telegram delivers webhook updates only to ports"); len(lines) != 0 {
		t.Errorf("port 443 warned about: %v", lines)
	}

	update := tgbotapi.Update{UpdateID: 42, Message: &tgbotapi.Message{
		MessageID: 1, Text: "/help",
		From: &tgbotapi.User{ID: alice.ID, FirstName: "Alice"},
		Chat: &tgbotapi.Chat{ID: alice.ID, Type: "private"},
	}}
	if !e.bot.HandleWebhookUpdate(update) {
		t.Fatal("HandleWebhookUpdate rejected the update")
	}
	e.tg.WaitForMessage(t, alice.ID, containsText("<b>Commands</b>"))
	if n := e.tg.Calls("getUpdates"); n != 0 {
		t.Errorf("getUpdates called %d times in webhook mode", n)
	}
}

func TestRun_WebhookFailureIsFatal(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.Mode = config.ModeWebhook
		o.WebhookURL = "https://"
		o.WebhookSecret = "secret"
	})
	err := e.bot.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "set webhook") || !strings.Contains(err.Error(), "400") {
		t.Fatalf("Run error = %v, want the setWebhook rejection", err)
	}
}

func TestHandleWebhookUpdate_QueueFull(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		o.Workers = 1
		o.QueueSize = 2
	})
	for id := 1; id <= 4; id++ {
		accepted := e.bot.HandleWebhookUpdate(textUpdate(id, alice.ID, "/help"))
		if want := id <= 2; accepted != want {
			t.Errorf("update %d accepted = %v, want %v", id, accepted, want)
		}
	}
	if !e.bot.HandleWebhookUpdate(textUpdate(1, alice.ID, "/help")) {
		t.Error("a repeated update_id was rejected; it should be accepted and ignored")
	}
	if got := e.metrics.get(&e.metrics.rejected); got != 2 {
		t.Errorf("rejected updates counted = %d, want 2", got)
	}
	if lines := e.logs.lines("level=WARN", "Update queue full"); len(lines) != 1 {
		t.Errorf("queue full warnings = %d, want 1", len(lines))
	}
}

func TestDispatcher_KeepsPerChatOrder(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.QueueSize = 400 })
	var mu sync.Mutex
	handled := make(map[int64][]int)
	total := 0
	done := make(chan struct{})
	e.bot.dispatcher.handler = func(_ context.Context, update tgbotapi.Update) {
		runtime.Gosched()
		mu.Lock()
		defer mu.Unlock()
		chatID := update.Message.Chat.ID
		handled[chatID] = append(handled[chatID], update.UpdateID)
		total++
		if total == 90 {
			close(done)
		}
	}
	e.bot.dispatcher.start(context.Background())
	defer e.bot.dispatcher.close()

	for i := range 30 {
		for chat := int64(1); chat <= 3; chat++ {
			if !e.bot.HandleWebhookUpdate(textUpdate(int(chat)*1000+i, chat, "/help")) {
				t.Fatalf("update %d of chat %d rejected", i, chat)
			}
		}
	}
	<-done

	mu.Lock()
	defer mu.Unlock()
	for chat, ids := range handled {
		if !slices.IsSorted(ids) || len(ids) != 30 {
			t.Errorf("chat %d handled %v, want 30 ids in order", chat, ids)
		}
	}
}

func TestDispatcher_IgnoresRepeatedUpdateID(t *testing.T) {
	e := newEnv(t, nil)
	var mu sync.Mutex
	var handled []int
	e.bot.dispatcher.handler = func(_ context.Context, update tgbotapi.Update) {
		mu.Lock()
		defer mu.Unlock()
		handled = append(handled, update.UpdateID)
	}
	ctx := context.Background()
	e.bot.dispatcher.start(ctx)

	e.bot.HandleWebhookUpdate(textUpdate(7, alice.ID, "/help"))
	e.bot.HandleWebhookUpdate(textUpdate(7, alice.ID, "/help"))
	if err := e.bot.dispatcher.enqueue(ctx, textUpdate(7, alice.ID, "/help")); err != nil {
		t.Fatal(err)
	}
	e.bot.HandleWebhookUpdate(textUpdate(8, alice.ID, "/help"))
	e.bot.dispatcher.close()
	e.bot.dispatcher.wait()

	if !slices.Equal(handled, []int{7, 8}) {
		t.Errorf("handled = %v, want [7 8]", handled)
	}
	if e.bot.HandleWebhookUpdate(textUpdate(9, alice.ID, "/help")) {
		t.Error("a stopped dispatcher accepted an update")
	}
}

func TestRecentIDs_ForgetsOldest(t *testing.T) {
	ids := newRecentIDs(3)
	for id := 1; id <= 4; id++ {
		ids.add(id)
	}
	if ids.contains(1) {
		t.Error("oldest id still remembered")
	}
	for id := 2; id <= 4; id++ {
		if !ids.contains(id) {
			t.Errorf("id %d forgotten", id)
		}
	}
}

func TestNew_RejectsInvalidOptions(t *testing.T) {
	st := openStore(t)
	valid := Options{
		Token: testToken, APIEndpoint: "http://127.0.0.1:1/bot%s/%s", Mode: config.ModePolling,
		Store: st, Checkout: &fakeCheckout{store: st}, Products: testProducts(),
	}
	cases := []struct {
		name   string
		change func(*Options)
		want   string
	}{
		{"missing token", func(o *Options) { o.Token = "" }, "missing bot token"},
		{"endpoint without verbs", func(o *Options) { o.APIEndpoint = "http://127.0.0.1:1/bot" }, "invalid API endpoint"},
		{"unknown mode", func(o *Options) { o.Mode = "push" }, `invalid mode "push"`},
		{"webhook without URL", func(o *Options) { o.Mode = config.ModeWebhook; o.WebhookSecret = "s" }, "invalid webhook URL"},
		{"webhook secret with space", func(o *Options) {
			o.Mode, o.WebhookURL, o.WebhookSecret = config.ModeWebhook, "https://x.example.test/hook", "a b"
		}, "invalid webhook secret"},
		{"missing store", func(o *Options) { o.Store = nil }, "missing store"},
		{"missing checkout", func(o *Options) { o.Checkout = nil }, "missing checkout"},
		{"duplicate SKU", func(o *Options) { o.Products = append(o.Products, o.Products[0]) }, `SKU "ebook" is listed twice`},
		{"long SKU", func(o *Options) { o.Products[0].SKU = strings.Repeat("x", 61) }, "does not fit a button"},
		{"negative rate", func(o *Options) { o.Outbox.GlobalRate = -1 }, "invalid outbox global rate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := valid
			opts.Products = testProducts()
			tc.change(&opts)
			_, err := New(context.Background(), opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New error = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error contains the token: %v", err)
			}
		})
	}
}

func TestNew_WrongTokenErrorHidesToken(t *testing.T) {
	tg := telegramtest.NewServer(t, "999:other-token")
	st := openStore(t)
	_, err := New(context.Background(), Options{
		Token: testToken, APIEndpoint: tg.Endpoint(), Mode: config.ModePolling,
		Store: st, Checkout: &fakeCheckout{store: st},
	})
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "Unauthorized") {
		t.Fatalf("New error = %v, want 401 Unauthorized", err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error contains the token: %v", err)
	}
}

func TestNew_UnreachableServerErrorHidesToken(t *testing.T) {
	tg := telegramtest.NewServer(t, testToken)
	endpoint := tg.Endpoint()
	tg.Close()
	st := openStore(t)
	_, err := New(context.Background(), Options{
		Token: testToken, APIEndpoint: endpoint, Mode: config.ModePolling,
		Store: st, Checkout: &fakeCheckout{store: st},
	})
	if err == nil {
		t.Fatal("New succeeded against a closed server")
	}
	if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), url.PathEscape(testToken)) {
		t.Errorf("error contains the token: %v", err)
	}
	if !strings.Contains(err.Error(), redactedToken) {
		t.Errorf("error = %v, want the URL with the token redacted", err)
	}
}

func TestRedactedError_KeepsContextErrors(t *testing.T) {
	b := &Bot{token: testToken}
	err := newRedactedError(&url.Error{
		Op: "Post", URL: "http://127.0.0.1/bot" + testToken + "/getMe", Err: context.DeadlineExceeded,
	}, b.redact)
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error contains the token: %v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v, DeadlineExceeded) = false", err)
	}

	leaky := newRedactedError(fmt.Errorf("dial %s: refused", testToken), b.redact)
	if errors.Unwrap(leaky) != nil {
		t.Errorf("error unwraps to a cause that contains the token")
	}
}

func textUpdate(id int, chatID int64, text string) tgbotapi.Update {
	return tgbotapi.Update{UpdateID: id, Message: &tgbotapi.Message{
		MessageID: id, Text: text,
		From: &tgbotapi.User{ID: chatID, FirstName: "User"},
		Chat: &tgbotapi.Chat{ID: chatID, Type: "private"},
	}}
}

func TestWarnUnsupportedWebhookPort_Table(t *testing.T) {
	cases := map[string]bool{
		"https://shop.example.test/webhook/telegram":      false,
		"https://shop.example.test:8443/webhook/telegram": false,
		"https://shop.example.test:88/webhook/telegram":   false,
		"http://shop.example.test/webhook/telegram":       false,
		"https://shop.example.test:8000/webhook/telegram": true,
	}
	for webhookURL, warned := range cases {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		warnUnsupportedWebhookPort(log, webhookURL)
		if got := buf.Len() > 0; got != warned {
			t.Errorf("%s: warned = %v, want %v", webhookURL, got, warned)
		}
	}
}
