package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/payments/money"
	"telegram-bot-webhook/payments/pingpongtest"
	"telegram-bot-webhook/store"
)

// stormPosts is how many notifications the storm test posts at once.
const stormPosts = 200

// stormEvent is one payment or refund event of the storm test. Copies of
// an event share its event key.
type stormEvent struct {
	order    testOrder
	refund   bool
	status   string
	refundID string
	// refundMinor is the refunded amount of a refund event.
	refundMinor int64
}

// build returns a new signed notification of the event. Each call carries
// a new requestId and the same event key.
func (e stormEvent) build(pingpong *pingpongtest.Server) []byte {
	if e.refund {
		amount := money.FormatAmount(e.refundMinor, e.order.Currency)
		return pingpong.RefundNotification(e.order.ID, e.refundID, amount, e.status)
	}
	if e.status == payments.StatusFailed {
		return pingpong.PaymentNotification(e.order.ID, e.status, pingpongtest.WithResult("300001", "Card declined"))
	}
	return pingpong.PaymentNotification(e.order.ID, e.status)
}

// stormPlan returns the events of one order, chosen by its index:
// payments that succeed at once or after a failure, payments that only
// fail, and full, partial and split refunds, one of which has no payment.
func stormPlan(index int, order testOrder) []stormEvent {
	success := stormEvent{order: order, status: payments.StatusSuccess}
	failure := stormEvent{order: order, status: payments.StatusFailed}
	refund := func(n int, minor int64) stormEvent {
		return stormEvent{
			order:       order,
			refund:      true,
			status:      payments.StatusSuccess,
			refundID:    fmt.Sprintf("RF%03d-%d", index, n),
			refundMinor: minor,
		}
	}
	amount := order.AmountMinor
	switch index % 8 {
	case 0:
		return []stormEvent{success}
	case 1:
		return []stormEvent{failure, success}
	case 2:
		return []stormEvent{failure}
	case 3:
		return []stormEvent{success, refund(1, amount)}
	case 4:
		return []stormEvent{success, refund(1, amount/4)}
	case 5:
		return []stormEvent{failure, success, refund(1, amount/3), refund(2, amount-amount/3)}
	case 6:
		return []stormEvent{success, refund(1, amount/5), refund(2, amount/5)}
	default:
		// A refund whose payment never arrives stays deferred.
		return []stormEvent{refund(1, amount)}
	}
}

// stormPost is one notification delivery of the storm.
type stormPost struct {
	event int
	body  []byte
}

// stormExpectation is the final state of an order, derived from its events
// alone.
type stormExpectation struct {
	status        store.OrderStatus
	refundedMinor int64
	paid          bool
	failed        bool
	refunds       int
}

func expectStorm(order testOrder, events []stormEvent) stormExpectation {
	var want stormExpectation
	var refundSum int64
	for _, e := range events {
		switch {
		case e.refund:
			refundSum += e.refundMinor
			want.refunds++
		case e.status == payments.StatusSuccess:
			want.paid = true
		case e.status == payments.StatusFailed:
			want.failed = true
		}
	}
	switch {
	case !want.paid && want.failed:
		want.status = store.StatusFailed
	case !want.paid:
		want.status = store.StatusPending
	case refundSum == 0:
		want.status = store.StatusPaid
	case refundSum < order.AmountMinor:
		want.status = store.StatusPartiallyRefunded
	default:
		want.status = store.StatusRefunded
	}
	if want.paid {
		want.refundedMinor = refundSum
	} else {
		want.refunds = 0
	}
	return want
}

// stormSeed returns STORM_SEED when set, so a failing order can be
// replayed, and a new seed otherwise.
func stormSeed(t *testing.T) uint64 {
	t.Helper()
	if value := os.Getenv("STORM_SEED"); value != "" {
		seed, err := strconv.ParseUint(value, 10, 64)
		if err != nil {
			t.Fatalf("STORM_SEED=%q is not an unsigned integer", value)
		}
		return seed
	}
	return uint64(time.Now().UnixNano())
}

// TestStorm_ConcurrentNotifications posts 200 notifications at once:
// copies of one event, failures before successes, refunds before and after
// their payment, shuffled. It checks that each event is applied once, that
// no notification meets more than one 500, and that every buyer gets one
// paid message per paid order.
func TestStorm_ConcurrentNotifications(t *testing.T) {
	a := startApp(t, map[string]string{"OUTBOX_GLOBAL_RATE": "30", "OUTBOX_CHAT_RATE": "30"})

	// The orders are created through payments.Service.CreateOrder, the call
	// behind the bot's Buy button, which stores each order and creates its
	// checkout at the PingPong fake. The purchase dialog itself is covered
	// by TestApp_PurchaseToDelivery.
	orders := createOrders(t, a.dbPath, a.pingpong, a.baseURL, testBuyers(10, 8001), 4)

	seed := stormSeed(t)
	t.Logf("storm seed %d (set STORM_SEED to replay)", seed)
	random := rand.New(rand.NewPCG(seed, seed))

	var events []stormEvent
	plans := make(map[string][]stormEvent)
	var posts []stormPost
	for i, order := range orders {
		plan := stormPlan(i, order)
		plans[order.ID] = plan
		for _, e := range plan {
			posts = append(posts, stormPost{event: len(events), body: e.build(a.pingpong)})
			events = append(events, e)
		}
	}
	// The rest are copies: half the same bytes, as PingPong resends them,
	// half a new notification of the same event.
	for len(posts) < stormPosts {
		event := random.IntN(len(events))
		if random.IntN(2) == 0 {
			// The first len(events) posts are the originals, in event order.
			posts = append(posts, posts[event])
		} else {
			posts = append(posts, stormPost{event: event, body: events[event].build(a.pingpong)})
		}
	}
	random.Shuffle(len(posts), func(i, j int) { posts[i], posts[j] = posts[j], posts[i] })

	deliveries := postStorm(a.baseURL+payments.NotificationPath, posts)
	serverErrors, rateLimited := 0, 0
	for i, d := range deliveries {
		serverErrors += d.serverErrors
		rateLimited += d.rateLimited
		if !d.acknowledged {
			t.Errorf("post %d (event %d) was not acknowledged after %d attempts: %s",
				i, posts[i].event, d.attempts, d.lastError)
		}
		// A 500 makes PingPong retry. One per notification is tolerable, but
		// more would mean the database stays locked across retries.
		if d.serverErrors > 1 {
			t.Errorf("post %d (event %d) got %d responses with status 500, want at most 1", i, posts[i].event, d.serverErrors)
		}
	}
	t.Logf("%d posts of %d events: %d responses with status 500, %d with status 429", len(posts), len(events), serverErrors, rateLimited)

	// Every event is committed with its outbox rows once its post was
	// acknowledged, so an empty outbox means every message reached the fake.
	st := a.openStore()
	waitForCondition(t, a.telegram, 60*time.Second, "an empty outbox", func() bool {
		return countOutbox(t, st, store.OutboxPending) == 0
	})
	if dead := countOutbox(t, st, store.OutboxDead); dead != 0 {
		t.Errorf("%d outbox messages are dead, want 0", dead)
	}

	for _, order := range orders {
		assertStormOrder(t, a, st, order, expectStorm(order, plans[order.ID]))
	}
	rejected, err := st.ListNotificationsByOutcome(context.Background(), store.OutcomeRejected, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range rejected {
		t.Errorf("notification for order %s was rejected: %s", n.MerchantTransactionID, n.Detail)
	}
}

// postStorm posts every notification from its own goroutine, all released
// at once, each retried as PingPong does until acknowledged.
func postStorm(url string, posts []stormPost) []delivery {
	const maxAttempts = 10
	client := newNotificationClient()
	deliveries := make([]delivery, len(posts))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, post := range posts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			deliveries[i] = deliverNotification(client, url, post.body, maxAttempts)
		}()
	}
	close(start)
	wg.Wait()
	return deliveries
}

// assertStormOrder compares one order and its buyer's messages with the
// expectation.
func assertStormOrder(t *testing.T, a *app, st *store.Store, order testOrder, want stormExpectation) {
	t.Helper()
	stored, err := st.GetOrder(context.Background(), order.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != want.status {
		t.Errorf("order %s is %s, want %s", order.ID, stored.Status, want.status)
	}
	if stored.RefundedMinor != want.refundedMinor {
		t.Errorf("order %s refunded %d minor units, want %d", order.ID, stored.RefundedMinor, want.refundedMinor)
	}

	messages := a.telegram.Messages(order.Buyer.ID)
	wantPaid := 0
	if want.paid {
		wantPaid = 1
	}
	if got := countOrderMessages(messages, order.ID, paidMarker); got != wantPaid {
		t.Errorf("order %s: buyer got %d paid messages, want %d", order.ID, got, wantPaid)
	}
	if got := countOrderMessages(messages, order.ID, refundedMarker); got != want.refunds {
		t.Errorf("order %s: buyer got %d refund messages, want %d", order.ID, got, want.refunds)
	}
	// A failure that arrives after the success is ignored, so a paid order
	// may or may not have reported it first.
	failed := countOrderMessages(messages, order.ID, failedMarker)
	switch {
	case !want.failed && failed != 0:
		t.Errorf("order %s: buyer got %d failure messages without a failure", order.ID, failed)
	case want.failed && !want.paid && failed != 1:
		t.Errorf("order %s: buyer got %d failure messages, want 1", order.ID, failed)
	case failed > 1:
		t.Errorf("order %s: buyer got %d failure messages, want at most 1", order.ID, failed)
	}
}
