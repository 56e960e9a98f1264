package bot

import (
	"fmt"
	"strings"
	"testing"

	"telegram-bot-webhook/bot/telegramtest"
	"telegram-bot-webhook/config"
	"telegram-bot-webhook/store"
)

func manyProducts(n int) []config.Product {
	var products []config.Product
	for i := range n {
		products = append(products, config.Product{
			SKU:         fmt.Sprintf("sku-%03d", i),
			Name:        fmt.Sprintf("Product %d & <more> ", i) + strings.Repeat("名", 150),
			Description: strings.Repeat("Long & detailed <description>. ", 30),
			Currency:    "USD", AmountMinor: int64(100 + i),
		})
	}
	return products
}

func TestRenderCatalog_SplitsIntoPages(t *testing.T) {
	products := manyProducts(12)
	pages := renderCatalog(&textsEN, products)

	if len(pages) < 2 {
		t.Fatalf("pages = %d, want the long catalog split over several messages", len(pages))
	}
	buttons := 0
	for i, page := range pages {
		if length := htmlTextLength(page.text); length > maxMessageLength {
			t.Errorf("page %d length = %d, over %d", i, length, maxMessageLength)
		}
		buttons += len(page.keyboard.InlineKeyboard)
	}
	if buttons != len(products) {
		t.Fatalf("buy buttons = %d, want one for each of %d products", buttons, len(products))
	}
	if !strings.HasPrefix(pages[0].text, textsEN.CatalogTitle) {
		t.Error("first page lacks the title")
	}
	if strings.HasPrefix(pages[1].text, textsEN.CatalogTitle) {
		t.Error("second page repeats the title")
	}
}

func TestRenderCatalog_HugeCatalogNamesTheRest(t *testing.T) {
	products := manyProducts(200)
	pages := renderCatalog(&textsEN, products)

	if len(pages) != maxCatalogPages {
		t.Fatalf("pages = %d, want the maximum of %d", len(pages), maxCatalogPages)
	}
	shown := 0
	for i, page := range pages {
		if length := htmlTextLength(page.text); length > maxMessageLength {
			t.Errorf("page %d length = %d, over %d", i, length, maxMessageLength)
		}
		shown += len(page.keyboard.InlineKeyboard)
		for _, row := range page.keyboard.InlineKeyboard {
			if data := *row[0].CallbackData; len(data) > maxCallbackDataBytes {
				t.Errorf("callback data %q is over %d bytes", data, maxCallbackDataBytes)
			}
		}
	}
	last := pages[len(pages)-1].text
	if want := fmt.Sprintf("…and %d more products", len(products)-shown); !strings.Contains(last, want) {
		t.Errorf("last page lacks %q", want)
	}
	if !strings.Contains(last, products[shown].SKU) {
		t.Errorf("last page does not name the first product left out, %s", products[shown].SKU)
	}
}

func TestRenderCatalog_HugeCatalogAcceptedByTelegram(t *testing.T) {
	e := startEnv(t, func(o *Options) { o.Products = manyProducts(200) })
	e.tg.SendText(li, "/products")
	e.tg.WaitForMessage(t, li.ID, containsText("商品列表"))
	msg := e.tg.WaitForMessage(t, li.ID, containsText("另有"))
	if !strings.Contains(msg.Text, "sku-") {
		t.Errorf("closing line does not name the remaining codes:\n%s", msg.Text)
	}
}

func TestRenderCatalog_Empty(t *testing.T) {
	pages := renderCatalog(&textsEN, nil)
	if len(pages) != 1 || pages[0].text != textsEN.CatalogEmpty || pages[0].keyboard != nil {
		t.Errorf("empty catalog = %+v", pages)
	}
}

func TestRenderOrders_LongNamesStayWithinLimit(t *testing.T) {
	var orders []store.Order
	for i := range ordersShown {
		orders = append(orders, store.Order{
			MerchantTransactionID: fmt.Sprintf("ORD-%d", i),
			ProductName:           strings.Repeat("&", 500),
			AmountMinor:           999, Currency: "USD", Status: store.StatusPending,
			PaymentURL: fmt.Sprintf("https://checkout.example.test/pay/%d", i),
		})
	}
	text, keyboard := renderOrders(&textsEN, orders)
	if length := htmlTextLength(text); length > maxMessageLength {
		t.Errorf("orders length = %d", length)
	}
	if len(keyboard.InlineKeyboard) != ordersShown {
		t.Errorf("pay buttons = %d, want %d", len(keyboard.InlineKeyboard), ordersShown)
	}
}

func TestTruncateHTMLMessage_KeepsWholeBlocks(t *testing.T) {
	block := "<b>" + strings.Repeat("&amp;", 1500) + "</b>"
	text := strings.Join([]string{block, block, block}, "\n\n")

	got := truncateHTMLMessage(text)
	if got != block+"\n\n"+block+"\n…" {
		t.Errorf("truncated to %d blocks", strings.Count(got, "<b>"))
	}
	short := "<b>short</b>\n\nmessage"
	if truncateHTMLMessage(short) != short {
		t.Error("a short message was changed")
	}
}

func TestTruncateHTMLMessage_SingleHugeBlock(t *testing.T) {
	text := "<b>" + strings.Repeat("a&amp;", 5000) + "</b>"
	got := truncateHTMLMessage(text)
	if length := htmlTextLength(got); length > maxMessageLength {
		t.Errorf("length = %d", length)
	}
	if strings.Contains(got, "<b>") {
		t.Error("a cut block kept its tags")
	}
}

func TestHTMLTextLength(t *testing.T) {
	cases := map[string]int{
		"plain":                  5,
		"<b>bold</b>":            4,
		"a &amp; b":              5,
		"<code>&lt;x&gt;</code>": 3,
		"名字":                     2,
		"😀":                      2,
	}
	for text, want := range cases {
		if got := htmlTextLength(text); got != want {
			t.Errorf("htmlTextLength(%q) = %d, want %d", text, got, want)
		}
	}
}

func TestParseCommand(t *testing.T) {
	cases := []struct {
		text, command, args string
		addressed           bool
	}{
		{"/start", "start", "", true},
		{"/start buy_ebook", "start", "buy_ebook", true},
		{"/Buy@ShopTestBot  ebook ", "buy", "ebook", true},
		{"/help@OtherBot", "help", "", false},
		{"hello", "", "", false},
		{"/", "", "", false},
	}
	for _, tc := range cases {
		command, args, addressed := parseCommand(tc.text, "ShopTestBot")
		if command != tc.command || args != tc.args || addressed != tc.addressed {
			t.Errorf("parseCommand(%q) = %q, %q, %v; want %q, %q, %v",
				tc.text, command, args, addressed, tc.command, tc.args, tc.addressed)
		}
	}
}

func TestRenderPaid_LongestCatalogTextFits(t *testing.T) {
	product := config.Product{
		SKU:  "big",
		Name: strings.Repeat("名", config.MaxProductNameLength),
		// "&" is one character once escaped, and each emoji is two.
		Delivery: strings.Repeat("&😀", config.MaxProductDeliveryLength/3),
		Price:    "1.000", Currency: "KWD", AmountMinor: 1000,
	}
	e := startEnv(t, func(o *Options) { o.Products = []config.Product{product} })
	orderID := strings.Repeat("9", 64)

	for _, user := range []telegramtest.User{alice, li} {
		addUser(t, e.store, user)
		id := orderID[:63] + fmt.Sprint(user.ID%10)
		addOrder(t, e.store, id, user.ID, func(o *store.Order) {
			o.SKU, o.ProductName, o.AmountMinor, o.Currency = product.SKU, product.Name, 1000, "KWD"
		})
		enqueue(t, e.store, user.ID, id, store.MessagePaid, store.MessagePayload{})
		e.bot.WakeSender()

		sent := e.tg.WaitForMessage(t, user.ID, containsText(id))
		if !strings.Contains(sent.Text, escape(product.Delivery)) {
			t.Errorf("%s: delivery text was shortened", user.LanguageCode)
		}
		if !strings.Contains(sent.Text, escape(product.Name)) {
			t.Errorf("%s: product name was shortened", user.LanguageCode)
		}
	}
}
