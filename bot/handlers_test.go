package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"telegram-bot-webhook/bot/telegramtest"
	"telegram-bot-webhook/store"
)

func TestStart_GreetsAndRegistersUser(t *testing.T) {
	e := startEnv(t, nil)
	e.tg.SendText(alice, "/start")

	msg := e.tg.WaitForMessage(t, alice.ID, containsText("Hello, Alice!"))
	if msg.ParseMode != "HTML" {
		t.Errorf("parse mode = %q, want HTML", msg.ParseMode)
	}
	if _, ok := msg.ButtonByData(catalogCallback); !ok {
		t.Errorf("greeting has no %q button: %+v", catalogCallback, msg.Keyboard)
	}

	user, err := e.store.GetUser(context.Background(), alice.ID)
	if err != nil {
		t.Fatalf("user not stored: %v", err)
	}
	if user.ChatID != alice.ID || user.Username != "alice" || user.FirstName != "Alice" || user.LanguageCode != "en" {
		t.Errorf("stored user = %+v", user)
	}
}

func TestStart_ChineseUserGetsChinese(t *testing.T) {
	e := startEnv(t, nil)
	e.tg.SendText(li, "/start")

	msg := e.tg.WaitForMessage(t, li.ID, containsText("李雷，你好"))
	button, ok := msg.ButtonByData(catalogCallback)
	if !ok || button.Text != textsZH.BrowseButton {
		t.Errorf("browse button = %+v, want %q", button, textsZH.BrowseButton)
	}
	user, err := e.store.GetUser(context.Background(), li.ID)
	if err != nil || user.LanguageCode != "zh-hans" {
		t.Errorf("stored user = %+v, %v", user, err)
	}
}

func TestStart_DeepLinkBuysProduct(t *testing.T) {
	e := startEnv(t, nil)
	e.tg.SendText(alice, "/start buy_ebook")

	msg := e.tg.WaitForMessage(t, alice.ID, containsText("Order created"))
	if calls := e.checkout.Calls(); len(calls) != 1 || calls[0] != "ebook" {
		t.Errorf("checkout calls = %v, want [ebook]", calls)
	}
	if buttons := msg.URLButtons(); len(buttons) != 1 {
		t.Errorf("URL buttons = %+v, want one pay button", buttons)
	}
}

func TestStart_DeepLinkUnknownSKUShowsCatalog(t *testing.T) {
	e := startEnv(t, nil)
	e.tg.SendText(alice, "/start buy_nosuch")

	e.tg.WaitForMessage(t, alice.ID, containsText("no product with the code <code>nosuch</code>"))
	e.tg.WaitForMessage(t, alice.ID, containsText("<b>Products</b>"))
	if calls := e.checkout.Calls(); len(calls) != 0 {
		t.Errorf("checkout calls = %v, want none", calls)
	}
}

func TestProducts_ListsProductsWithBuyButtons(t *testing.T) {
	e := startEnv(t, nil)
	e.tg.SendText(alice, "/products")

	msg := e.tg.WaitForMessage(t, alice.ID, containsText("<b>Products</b>"))
	for _, want := range []string{"Go Ebook", "9.99 USD", "A book about Go.", "1000 JPY"} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("catalog lacks %q:\n%s", want, msg.Text)
		}
	}
	for _, data := range []string{"buy:ebook", "buy:course"} {
		if _, ok := msg.ButtonByData(data); !ok {
			t.Errorf("catalog has no button %q: %+v", data, msg.Keyboard)
		}
	}
}

func TestProducts_EscapesHTML(t *testing.T) {
	e := startEnv(t, nil)
	e.tg.SendText(alice, "/products")

	msg := e.tg.WaitForMessage(t, alice.ID, containsText("<b>Products</b>"))
	if !strings.Contains(msg.Text, "Tom &amp; &lt;Jerry&gt;") {
		t.Errorf("product name not escaped:\n%s", msg.Text)
	}
	if !strings.Contains(msg.Text, "Cats &lt;and&gt; mice &amp; more") {
		t.Errorf("description not escaped:\n%s", msg.Text)
	}
}

func TestBuy_CreatesOrderWithPayButton(t *testing.T) {
	e := startEnv(t, nil)
	e.tg.SendText(alice, "/buy ebook")

	msg := e.tg.WaitForMessage(t, alice.ID, containsText("Order created"))
	orderID := "ORD-1001-1"
	for _, want := range []string{"Go Ebook", "9.99 USD", "<code>" + orderID + "</code>", "2030-01-02 15:04 UTC"} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("order message lacks %q:\n%s", want, msg.Text)
		}
	}
	buttons := msg.URLButtons()
	if len(buttons) != 1 || buttons[0].URL != "https://checkout.example.test/pay/"+orderID || buttons[0].Text != textsEN.PayButton {
		t.Errorf("pay buttons = %+v", buttons)
	}
	order, err := e.store.GetOrder(context.Background(), orderID)
	if err != nil || order.UserID != alice.ID || order.ChatID != alice.ID {
		t.Errorf("stored order = %+v, %v", order, err)
	}
}

func TestBuy_CheckoutFailureTellsToRetryLater(t *testing.T) {
	e := startEnv(t, nil)
	e.checkout.err = errors.New("pingpong: prepay: status 502")
	e.tg.SendText(alice, "/buy ebook")

	e.tg.WaitForMessage(t, alice.ID, containsText("payment service is unavailable"))
	waitFor(t, "the error log", func() bool {
		return len(e.logs.lines("level=ERROR", "Failed to create order", "user_id=1001", "sku=ebook", "status 502")) == 1
	})
}

func TestBuy_UnknownOrMissingSKU(t *testing.T) {
	e := startEnv(t, nil)
	e.tg.SendText(alice, "/buy <nosuch>")
	e.tg.WaitForMessage(t, alice.ID, containsText("no product with the code <code>&lt;nosuch&gt;</code>", "/products"))

	e.tg.SendText(alice, "/buy")
	e.tg.WaitForMessage(t, alice.ID, containsText(textsEN.BuyUsage))
	if calls := e.checkout.Calls(); len(calls) != 0 {
		t.Errorf("checkout calls = %v, want none", calls)
	}
}

func TestBuyButton_AnswersAndCreatesOrder(t *testing.T) {
	e := startEnv(t, nil)
	e.tg.SendText(li, "/products")
	catalog := e.tg.WaitForMessage(t, li.ID, containsText("商品列表"))

	query := e.tg.PressButton(li, catalog.MessageID, "buy:course")
	answer := e.tg.WaitForCallbackAnswer(t, query)
	if answer.Text != textsZH.CreatingOrder {
		t.Errorf("callback answer = %q, want %q", answer.Text, textsZH.CreatingOrder)
	}
	msg := e.tg.WaitForMessage(t, li.ID, containsText("订单已创建", "Tom &amp; &lt;Jerry&gt;", "1000 JPY"))
	if len(msg.URLButtons()) != 1 {
		t.Errorf("order message buttons = %+v", msg.Keyboard)
	}
}

func TestBuyButton_DoubleTapCreatesOneOrder(t *testing.T) {
	e := startEnv(t, nil)
	e.checkout.release = make(chan struct{})
	e.checkout.started = make(chan string, 2)

	first := e.tg.PressButton(alice, 0, "buy:ebook")
	<-e.checkout.started
	second := e.tg.PressButton(alice, 0, "buy:ebook")
	answer := e.tg.WaitForCallbackAnswer(t, second)
	if answer.Text != textsEN.AlreadyCreating {
		t.Errorf("second tap answer = %q, want %q", answer.Text, textsEN.AlreadyCreating)
	}
	close(e.checkout.release)

	e.tg.WaitForMessage(t, alice.ID, containsText("Order created"))
	if got := e.tg.WaitForCallbackAnswer(t, first).Text; got != textsEN.CreatingOrder {
		t.Errorf("first tap answer = %q", got)
	}
	if calls := e.checkout.Calls(); len(calls) != 1 {
		t.Errorf("checkout calls = %v, want one", calls)
	}
}

func TestOrders_ListsStatusesAndPayLinks(t *testing.T) {
	e := startEnv(t, nil)
	ctx := context.Background()
	orders := []store.Order{
		{MerchantTransactionID: "ORD-A", Status: store.StatusPaid, ProductName: "Go Ebook", AmountMinor: 999, Currency: "USD"},
		{MerchantTransactionID: "ORD-B", Status: store.StatusPending, ProductName: "Tom & <Jerry>", AmountMinor: 1000, Currency: "JPY",
			PaymentURL: "https://checkout.example.test/pay/ORD-B"},
		{MerchantTransactionID: "ORD-C", Status: store.StatusPartiallyRefunded, ProductName: "Go Ebook", AmountMinor: 999, Currency: "USD",
			RefundedMinor: 500, PaymentURL: "https://checkout.example.test/pay/ORD-C"},
	}
	for i := range orders {
		orders[i].UserID, orders[i].ChatID, orders[i].SKU = li.ID, li.ID, "ebook"
		if err := e.store.CreateOrder(ctx, &orders[i]); err != nil {
			t.Fatal(err)
		}
	}

	e.tg.SendText(li, "/orders")
	msg := e.tg.WaitForMessage(t, li.ID, containsText("您最近的订单"))
	for _, want := range []string{"ORD-A", "已付款", "ORD-B", "待付款", "Tom &amp; &lt;Jerry&gt;", "部分退款", "已退款：5.00 USD"} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("orders message lacks %q:\n%s", want, msg.Text)
		}
	}
	buttons := msg.URLButtons()
	if len(buttons) != 1 || buttons[0].URL != "https://checkout.example.test/pay/ORD-B" {
		t.Errorf("pay buttons = %+v, want only ORD-B's", buttons)
	}
}

func TestOrders_NoOrdersYet(t *testing.T) {
	e := startEnv(t, nil)
	e.tg.SendText(alice, "/orders")
	e.tg.WaitForMessage(t, alice.ID, containsText(textsEN.OrdersEmpty))
}

func TestHelp_ListsCommands(t *testing.T) {
	e := startEnv(t, nil)
	e.tg.SendText(alice, "/help")
	msg := e.tg.WaitForMessage(t, alice.ID, containsText("<b>Commands</b>"))
	for _, command := range []string{"/start", "/products", "/buy", "/orders", "/help"} {
		if !strings.Contains(msg.Text, command) {
			t.Errorf("help lacks %s", command)
		}
	}
}

func TestUnknownInput_PointsToHelp(t *testing.T) {
	e := startEnv(t, nil)
	for _, text := range []string{"hello there", "/frobnicate", "/help@SomeOtherBot"} {
		e.tg.SendText(alice, text)
	}
	e.tg.WaitUntil(t, "three replies", func() bool { return len(e.tg.Messages(alice.ID)) == 3 })
	for _, msg := range e.tg.Messages(alice.ID) {
		if msg.Text != textsEN.UnknownCommand {
			t.Errorf("reply = %q, want the pointer to /help", msg.Text)
		}
	}
}

func TestCommand_WithBotUsernameSuffix(t *testing.T) {
	e := startEnv(t, nil)
	e.tg.SendText(alice, "/help@"+telegramtest.BotUsername)
	e.tg.WaitForMessage(t, alice.ID, containsText("<b>Commands</b>"))
	e.tg.SendText(alice, "/BUY@"+strings.ToLower(telegramtest.BotUsername)+" ebook")
	e.tg.WaitForMessage(t, alice.ID, containsText("Order created"))
}

func TestCallback_EveryQueryAnsweredOnce(t *testing.T) {
	e := startEnv(t, nil)
	presses := map[string]string{
		e.tg.PressButton(alice, 0, catalogCallback): "",
		e.tg.PressButton(alice, 0, "garbage"):       textsEN.UnknownAction,
		e.tg.PressButton(alice, 0, "buy:nosuch"):    textsEN.UnknownAction,
		e.tg.PressButton(alice, 0, "buy:ebook"):     textsEN.CreatingOrder,
	}
	for query, want := range presses {
		if got := e.tg.WaitForCallbackAnswer(t, query).Text; got != want {
			t.Errorf("answer to %s = %q, want %q", query, got, want)
		}
	}
	e.tg.WaitForMessage(t, alice.ID, containsText("Order created"))
	e.tg.WaitForMessage(t, alice.ID, containsText("no product with the code <code>nosuch</code>"))

	counts := make(map[string]int)
	for _, answer := range e.tg.CallbackAnswers() {
		counts[answer.QueryID]++
	}
	for query := range presses {
		if counts[query] != 1 {
			t.Errorf("query %s answered %d times, want once", query, counts[query])
		}
	}
	if lines := e.logs.lines("Failed to answer callback query"); len(lines) != 0 {
		t.Errorf("answer failures logged: %v", lines)
	}
}

func TestGroupChat_CommandPointsToPrivateChat(t *testing.T) {
	e := startEnv(t, nil)
	const group = -100500
	e.tg.SendGroupText(alice, group, "hello everyone")
	e.tg.SendGroupText(alice, group, "/products@SomeOtherBot")
	e.tg.SendGroupText(alice, group, "/products")

	// Updates of one chat are handled in order, so once the last one got
	// its reply the two before it were handled too.
	e.tg.WaitForMessage(t, group, containsText(textsEN.PrivateOnly))
	if msgs := e.tg.Messages(group); len(msgs) != 1 {
		t.Errorf("group got %d messages, want 1", len(msgs))
	}
	if _, err := e.store.GetUser(context.Background(), alice.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("group member stored as user: %v", err)
	}
}

func TestHandlerPanic_IsRecoveredAndLogged(t *testing.T) {
	e := newEnv(t, nil)
	handle := e.bot.dispatcher.handler
	e.bot.dispatcher.handler = func(ctx context.Context, update tgbotapi.Update) {
		if update.Message != nil && update.Message.Text == "/panic" {
			panic("boom")
		}
		handle(ctx, update)
	}
	e.start(t)

	id := e.tg.SendText(alice, "/panic")
	e.tg.SendText(alice, "/help")
	e.tg.WaitForMessage(t, alice.ID, containsText("<b>Commands</b>"))
	lines := e.logs.lines("level=ERROR", "Recovered from panic", fmt.Sprintf("update_id=%d", id), "chat_id=1001", "panic=boom")
	if len(lines) != 1 {
		t.Errorf("panic log lines = %d, want 1:\n%s", len(lines), e.logs.String())
	}
}

func TestBuy_RefusedButtonURLSentAsText(t *testing.T) {
	e := startEnv(t, nil)
	e.tg.FailSendTo(alice.ID, 400, "Bad Request: inline keyboard button URL 'http://localhost:8000/checkout/x' is invalid: Wrong HTTP URL", 0, 1)
	e.tg.SendText(alice, "/buy ebook")

	msg := e.tg.WaitForMessage(t, alice.ID, containsText("Order created"))
	if len(msg.URLButtons()) != 0 {
		t.Errorf("URL buttons = %+v after Telegram refused them", msg.URLButtons())
	}
	if !strings.Contains(msg.Text, "https://checkout.example.test/pay/ORD-1001-1") {
		t.Errorf("order message lacks the pay link as text:\n%s", msg.Text)
	}
}
