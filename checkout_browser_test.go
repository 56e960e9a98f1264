package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"telegram-bot-webhook/bot/telegramtest"
	"telegram-bot-webhook/store"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// browserTimeout bounds all browser steps of one test.
const browserTimeout = 30 * time.Second

// orderIDPattern matches the order ids payments.Service creates.
var orderIDPattern = regexp.MustCompile(`ORD\d{8}-[A-Z2-7]{10}`)

// TestApp_LocalCheckoutInBrowser buys in the bot with PINGPONG_MODE=local,
// opens the pay link in headless Chromium, presses Pay and waits for the
// bot to deliver the product.
func TestApp_LocalCheckoutInBrowser(t *testing.T) {
	browser := findChromium(t)
	a := startApp(t, map[string]string{"PINGPONG_MODE": "local"})
	buyer := telegramtest.User{ID: 6001, FirstName: "Mei", Username: "mei", LanguageCode: "en"}

	payURL, orderID := requestPayLink(t, a, buyer, "guide")
	if !strings.HasPrefix(payURL, a.baseURL+"/checkout/") {
		t.Fatalf("pay link %q is not a local checkout page under %s/checkout/: "+
			"serve does not use the local provider when PINGPONG_MODE=local", payURL, a.baseURL)
	}

	ctx, requested := newBrowser(t, browser)
	err := chromedp.Do(ctx, chromedp.Navigate(payURL), chromedp.WaitVisible(chromedp.ID("pay")))
	if err != nil {
		t.Fatalf("open the checkout page: %v", err)
	}
	checkoutText, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatalf("read the checkout page: %v", err)
	}
	for _, want := range []string{"Field Guide", "9.99 USD", orderID, "no money moves"} {
		if !strings.Contains(checkoutText, want) {
			t.Errorf("checkout page does not show %q:\n%s", want, checkoutText)
		}
	}

	response, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("pay")))
	if err != nil {
		t.Fatalf("press Pay: %v", err)
	}
	resultText, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatalf("read the result page: %v", err)
	}
	if response.Status != http.StatusOK ||
		!strings.Contains(resultText, "Payment confirmed, return to Telegram") {
		t.Fatalf("result page returned status %d, want 200 with the confirmation:\n%s", response.Status, resultText)
	}
	if !strings.Contains(resultText, "200 OK") {
		t.Errorf("result page does not show the app's 200 OK:\n%s", resultText)
	}

	a.telegram.WaitForMessage(t, buyer.ID, func(m telegramtest.SentMessage) bool {
		return strings.Contains(m.Text, orderID) && strings.Contains(m.Text, "files.example.com/guide.pdf")
	})
	order, err := a.openStore().GetOrder(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	if order.Status != store.StatusPaid {
		t.Errorf("order status = %s, want paid", order.Status)
	}
	for _, raw := range requested() {
		if u, err := url.Parse(raw); err != nil || u.Hostname() != "127.0.0.1" {
			t.Errorf("the browser requested %q, want only pages on 127.0.0.1", raw)
		}
	}
}

// requestPayLink opens the catalog, presses the product's Buy button and
// returns the pay button's URL with the order id of the message.
func requestPayLink(t *testing.T, a *app, buyer telegramtest.User, sku string) (payURL, orderID string) {
	t.Helper()
	a.telegram.SendText(buyer, "/products")
	catalog := a.telegram.WaitForMessage(t, buyer.ID, func(m telegramtest.SentMessage) bool {
		_, ok := m.ButtonByData("buy:" + sku)
		return ok
	})
	a.telegram.PressButton(buyer, catalog.MessageID, "buy:"+sku)

	offer := a.telegram.WaitForMessage(t, buyer.ID, func(m telegramtest.SentMessage) bool {
		return len(m.URLButtons()) == 1 && orderIDPattern.MatchString(m.Text)
	})
	return offer.URLButtons()[0].URL, orderIDPattern.FindString(offer.Text)
}

// findChromium returns the Chromium binary, or skips the test when it is
// not installed.
func findChromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err == nil {
		return chromiumPath
	}
	if path, err := exec.LookPath("chromium"); err == nil {
		return path
	}
	t.Skip("chromium not found: apt-get install chromium")
	return ""
}

// newBrowser starts headless Chromium with a fresh profile and returns a
// tab context, cancelled at the end of the test, with a function that
// returns every URL the tab requested. Host names resolve to nothing, so
// the browser can reach 127.0.0.1 only.
func newBrowser(t *testing.T, path string) (context.Context, func() []string) {
	t.Helper()
	options := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
	}
	timeout, cancelTimeout := context.WithTimeout(context.Background(), browserTimeout)
	allocator, cancelAllocator := chromedp.NewExecAllocator(timeout, options...)

	var mu sync.Mutex
	var urls []string
	// The listener runs in the tab's event loop, so it only records.
	record := chromedp.WithListener(func(ev any) {
		if sent, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			urls = append(urls, sent.Request.URL)
			mu.Unlock()
		}
	})
	tab, cancelTab := chromedp.NewContext(allocator, record)
	// Cleanups run last-registered first, so the browser has exited before
	// t.TempDir removes its profile.
	t.Cleanup(func() {
		cancelTab()
		cancelAllocator()
		cancelTimeout()
	})

	requested := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), urls...)
	}
	return tab, requested
}
