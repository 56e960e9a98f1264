package bot

import (
	"context"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"telegram-bot-webhook/bot/telegramtest"
	"telegram-bot-webhook/store"
)

// newHoldingClock returns a steppedClock that holds every sleep of a second
// or more. In these tests only the rate limit pause sleeps that long.
func newHoldingClock() *steppedClock {
	clock := newSteppedClock()
	clock.holdFrom = time.Second
	clock.held = make(chan heldSleep)
	return clock
}

func TestSendPause_OutboxRateLimitHoldsReply(t *testing.T) {
	clock := newHoldingClock()
	e := startEnv(t, func(o *Options) { o.Clock = clock })
	addOrder(t, e.store, "ORD-1", li.ID, nil)
	e.tg.FailSendTo(li.ID, 429, "Too Many Requests: retry after 60", 60, 1)
	msg := enqueue(t, e.store, li.ID, "ORD-1", store.MessagePaid, store.MessagePayload{})
	e.bot.WakeSender()

	senderSleep := clock.nextHeldSleep(t, "the sender's rate limit pause")
	if senderSleep.duration != 60*time.Second {
		t.Errorf("sender paused %s, want retry_after 60s", senderSleep.duration)
	}

	e.tg.SendText(alice, "/help")
	replySleep := clock.nextHeldSleep(t, "the reply to wait for the pause")
	if replySleep.duration != 60*time.Second {
		t.Errorf("reply waited %s, want the whole pause of 60s", replySleep.duration)
	}
	if calls := e.tg.Calls("sendMessage"); calls != 1 {
		t.Errorf("sendMessage calls during the pause = %d, want only the one answered 429", calls)
	}
	if msgs := e.tg.Messages(alice.ID); len(msgs) != 0 {
		t.Errorf("reply sent during the pause: %+v", msgs)
	}

	close(replySleep.release)
	e.tg.WaitForMessage(t, alice.ID, containsText("<b>Commands</b>"))
	close(senderSleep.release)
	sent := waitForStatus(t, e.store, msg.ID, store.OutboxSent)
	if sent.Attempts != 2 {
		t.Errorf("outbox attempts = %d, want 2", sent.Attempts)
	}
}

func TestSendPause_ReplyRateLimitHoldsSender(t *testing.T) {
	clock := newHoldingClock()
	e := startEnv(t, func(o *Options) { o.Clock = clock })
	e.tg.FailSendTo(alice.ID, 429, "Too Many Requests: retry after 45", 45, 1)
	e.tg.SendText(alice, "/help")
	waitFor(t, "the log line of the dropped reply", func() bool {
		return len(e.logs.lines("level=WARN", "dropped the reply", "chat_id=1001", "retry_after=45s")) == 1
	})

	addOrder(t, e.store, "ORD-L", li.ID, nil)
	msg := enqueue(t, e.store, li.ID, "ORD-L", store.MessagePaid, store.MessagePayload{})
	e.bot.WakeSender()

	sleep := clock.nextHeldSleep(t, "the sender to wait for the pause")
	if sleep.duration != 45*time.Second {
		t.Errorf("sender waited %s, want retry_after 45s of the reply's 429", sleep.duration)
	}
	if calls := e.tg.Calls("sendMessage"); calls != 1 {
		t.Errorf("sendMessage calls during the pause = %d, want only the reply answered 429", calls)
	}
	if stored := outboxStatus(t, e.store, msg.ID); stored.Status != store.OutboxPending || stored.Attempts != 0 {
		t.Errorf("outbox message during the pause = %+v, want pending without attempts", stored)
	}

	close(sleep.release)
	e.tg.WaitForMessage(t, li.ID, containsText("Payment received", "<code>ORD-L</code>"))
	if sent := waitForStatus(t, e.store, msg.ID, store.OutboxSent); sent.Attempts != 1 {
		t.Errorf("outbox attempts = %d, want 1 because waiting is no attempt", sent.Attempts)
	}
	if msgs := e.tg.Messages(alice.ID); len(msgs) != 0 {
		t.Errorf("the reply answered 429 was sent again: %+v", msgs)
	}
}

func TestSendPause_ReplyDroppedWhenContextEnds(t *testing.T) {
	clock := newHoldingClock()
	e := newEnv(t, func(o *Options) { o.Clock = clock })
	e.bot.pause.extend(clock.Now().Add(30 * time.Second))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.bot.reply(ctx, alice.ID, "Hello", nil)
	}()
	sleep := clock.nextHeldSleep(t, "the reply to wait for the pause")
	if sleep.duration != 30*time.Second {
		t.Errorf("reply waited %s, want the pause of 30s", sleep.duration)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(telegramtest.WaitTimeout):
		t.Fatal("reply kept waiting after its context ended")
	}

	if calls := e.tg.Calls("sendMessage"); calls != 0 {
		t.Errorf("sendMessage calls = %d, want the reply dropped", calls)
	}
	lines := e.logs.lines("level=WARN", "Failed to send reply", "chat_id=1001", "rate limit pause had not ended", "context canceled")
	if len(lines) != 1 {
		t.Errorf("drop log lines = %v, want one:\n%s", lines, e.logs.String())
	}
}

func TestSendPause_ShutdownEndsSenderWait(t *testing.T) {
	clock := newHoldingClock()
	e := startEnv(t, func(o *Options) { o.Clock = clock })
	e.bot.pause.extend(clock.Now().Add(2 * time.Minute))
	addOrder(t, e.store, "ORD-1", alice.ID, nil)
	msg := enqueue(t, e.store, alice.ID, "ORD-1", store.MessagePaid, store.MessagePayload{})
	e.bot.WakeSender()

	sleep := clock.nextHeldSleep(t, "the sender to wait for the pause")
	if sleep.duration != 2*time.Minute {
		t.Errorf("sender waited %s, want the pause of 2m", sleep.duration)
	}
	if err := e.stop(); err != nil {
		t.Fatalf("Run after cancel during the wait: %v", err)
	}

	if stored := outboxStatus(t, e.store, msg.ID); stored.Status != store.OutboxPending || stored.Attempts != 0 {
		t.Errorf("outbox message = %+v, want pending without attempts for the next start", stored)
	}
	if calls := e.tg.Calls("sendMessage"); calls != 0 {
		t.Errorf("sendMessage calls = %d, want none during the pause", calls)
	}
	if lines := e.logs.lines("level=INFO", "Shutdown ended the wait for the rate limit pause", "order_id=ORD-1"); len(lines) != 1 {
		t.Errorf("shutdown log lines = %v, want one", lines)
	}
}

func TestSendPause_ExtendKeepsLongerPause(t *testing.T) {
	var pause sendPause
	start := time.Date(2030, 1, 2, 15, 4, 0, 0, time.UTC)
	pause.extend(start.Add(time.Minute))
	pause.extend(start.Add(10 * time.Second))
	if got, want := pause.end(), start.Add(time.Minute); !got.Equal(want) {
		t.Errorf("pause ends at %s after a shorter 429, want %s", got, want)
	}
	pause.extend(start.Add(2 * time.Minute))
	if got, want := pause.end(), start.Add(2*time.Minute); !got.Equal(want) {
		t.Errorf("pause ends at %s after a longer 429, want %s", got, want)
	}
}

func TestRetryAfter_DefaultsWithoutParameter(t *testing.T) {
	cases := []struct {
		retryAfter int
		want       time.Duration
	}{
		{7, 7 * time.Second},
		{0, defaultRetryAfter},
		{-3, defaultRetryAfter},
	}
	for _, tc := range cases {
		apiErr := &tgbotapi.Error{Code: 429, ResponseParameters: tgbotapi.ResponseParameters{RetryAfter: tc.retryAfter}}
		if got := retryAfter(apiErr); got != tc.want {
			t.Errorf("retryAfter(retry_after=%d) = %s, want %s", tc.retryAfter, got, tc.want)
		}
	}
}
