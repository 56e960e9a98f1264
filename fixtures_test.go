package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"telegram-bot-webhook/bot/telegramtest"
	"telegram-bot-webhook/config"
	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/pingpongtest"
	"telegram-bot-webhook/store"
)

// testProducts are the products of testCatalog in their parsed form.
var testProducts = []config.Product{
	{SKU: "guide", Name: "Field Guide", Price: "9.99", Currency: "USD", AmountMinor: 999, Delivery: testDelivery},
	{SKU: "stickers", Name: "Sticker Pack", Price: "1500", Currency: "JPY", AmountMinor: 1500, Delivery: "Code: STICK-1500"},
}

// paidMarker is a phrase of the English paid message and of no other
// message the bot sends.
const paidMarker = "Payment received"

// refundedMarker is a phrase of the English refund message.
const refundedMarker = "Refund issued"

// failedMarker is a phrase of the English payment-failed message.
const failedMarker = "Payment failed"

// testOrder is an order created for a test, known to the database and to
// the PingPong fake.
type testOrder struct {
	ID          string
	Buyer       telegramtest.User
	SKU         string
	AmountMinor int64
	Currency    string
}

// testBuyers returns count English-speaking buyers with ids from firstID on.
func testBuyers(count int, firstID int64) []telegramtest.User {
	buyers := make([]telegramtest.User, count)
	for i := range buyers {
		id := firstID + int64(i)
		buyers[i] = telegramtest.User{
			ID:           id,
			FirstName:    fmt.Sprintf("Buyer%d", i),
			Username:     fmt.Sprintf("buyer%d", id),
			LanguageCode: "en",
		}
	}
	return buyers
}

// createOrders creates perBuyer orders for each buyer through
// payments.Service.CreateOrder, the call the bot's Buy button makes: each
// order is stored in the database at dbPath and its checkout is created at
// the PingPong fake, with notifications directed to baseURL. Products
// alternate between the catalog's entries.
func createOrders(t *testing.T, dbPath string, pingpong *pingpongtest.Server, baseURL string,
	buyers []telegramtest.User, perBuyer int) []testOrder {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			t.Errorf("close the store used to create orders: %v", err)
		}
	}()

	client, err := payments.NewClient(pingpong.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	cfg := pingpong.Config()
	service, err := payments.NewService(payments.ServiceOptions{
		Store:         st,
		Gateway:       client,
		AccID:         cfg.AccID,
		ClientID:      cfg.ClientID,
		Salt:          cfg.Salt,
		PublicBaseURL: baseURL,
		ReturnURL:     "https://t.me/" + telegramtest.BotUsername,
		ShopperIP:     "127.0.0.1",
		Logger:        slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}

	var orders []testOrder
	for i, buyer := range buyers {
		user := &store.User{
			ID:           buyer.ID,
			ChatID:       buyer.ID,
			Username:     buyer.Username,
			FirstName:    buyer.FirstName,
			LanguageCode: buyer.LanguageCode,
		}
		if err := st.UpsertUser(ctx, user); err != nil {
			t.Fatal(err)
		}
		for j := range perBuyer {
			product := testProducts[(i+j)%len(testProducts)]
			order, err := service.CreateOrder(ctx, user, product)
			if err != nil {
				t.Fatalf("create order %d of buyer %d: %v", j, buyer.ID, err)
			}
			orders = append(orders, testOrder{
				ID:          order.MerchantTransactionID,
				Buyer:       buyer,
				SKU:         product.SKU,
				AmountMinor: product.AmountMinor,
				Currency:    product.Currency,
			})
		}
	}
	return orders
}

// countOrderMessages returns how many of the messages name the order and
// contain the marker phrase.
func countOrderMessages(messages []telegramtest.SentMessage, orderID, marker string) int {
	count := 0
	for _, m := range messages {
		if strings.Contains(m.Text, orderID) && strings.Contains(m.Text, marker) {
			count++
		}
	}
	return count
}

// waitForCondition checks condition after every change of the Telegram
// fake and at least every 50ms, and fails the test when it is still false
// after timeout. Database state has no change signal, hence the polling.
func waitForCondition(t *testing.T, telegram *telegramtest.Server, timeout time.Duration, what string, condition func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		changed := telegram.Changed()
		if condition() {
			return
		}
		select {
		case <-changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline.C:
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
}

// countOutbox returns how many outbox messages are in the state.
func countOutbox(t *testing.T, st *store.Store, status string) int64 {
	t.Helper()
	count, err := st.CountMessagesByStatus(context.Background(), status)
	if err != nil {
		t.Fatal(err)
	}
	return count
}

// notificationSources is how many loopback addresses notification clients
// post from. The server may limit requests per client IP, so spreading a
// burst over several addresses keeps the tests about concurrency rather
// than about the rate limit.
const notificationSources = 16

// newNotificationClient returns an HTTP client that opens a new connection
// per request, from 127.0.0.2, 127.0.0.3 and so on in turn. Where those
// addresses cannot be bound, it connects from the default address.
func newNotificationClient() *http.Client {
	var next atomic.Uint32
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	dial := func(ctx context.Context, network, address string) (net.Conn, error) {
		source := 2 + next.Add(1)%notificationSources
		bound := *dialer
		bound.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(source))}
		conn, err := bound.DialContext(ctx, network, address)
		if err == nil {
			return conn, nil
		}
		return dialer.DialContext(ctx, network, address)
	}
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true},
	}
}

// delivery is what happened to one notification posted until acknowledged.
type delivery struct {
	attempts     int
	serverErrors int
	rateLimited  int
	acknowledged bool
	// lastError describes the last response that was neither a 2xx, a 500
	// nor a 429, or the last connection error.
	lastError string
}

// deliverNotification posts body the way PingPong retries a notification
// until it gets a 2xx: at once after a 500 or a connection error, and after
// the Retry-After delay after a 429. It gives up after maxAttempts posts.
func deliverNotification(client *http.Client, url string, body []byte, maxAttempts int) delivery {
	var d delivery
	for d.attempts < maxAttempts {
		d.attempts++
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			d.lastError = err.Error()
			continue
		}
		responseBody, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			d.acknowledged = true
			return d
		case resp.StatusCode == http.StatusInternalServerError:
			d.serverErrors++
		case resp.StatusCode == http.StatusTooManyRequests:
			d.rateLimited++
			<-time.After(retryAfter(resp))
		default:
			d.lastError = fmt.Sprintf("status %d: %s", resp.StatusCode, responseBody)
		}
	}
	return d
}

// retryAfter returns the response's Retry-After delay in seconds, one
// second when it has none.
func retryAfter(resp *http.Response) time.Duration {
	seconds, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || seconds <= 0 {
		seconds = 1
	}
	return time.Duration(seconds) * time.Second
}
