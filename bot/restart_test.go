package bot

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"telegram-bot-webhook/bot/telegramtest"
)

// updateRecorder records the update_id of every update a bot handles.
type updateRecorder struct {
	mu  sync.Mutex
	ids []int
}

// wrap makes the bot record each update before handling it.
func (r *updateRecorder) wrap(b *Bot) {
	handle := b.dispatcher.handler
	b.dispatcher.handler = func(ctx context.Context, update tgbotapi.Update) {
		r.mu.Lock()
		r.ids = append(r.ids, update.UpdateID)
		r.mu.Unlock()
		handle(ctx, update)
	}
}

// sorted returns the recorded ids in ascending order.
func (r *updateRecorder) sorted() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := slices.Clone(r.ids)
	slices.Sort(ids)
	return ids
}

// confirmedOffset returns the highest getUpdates offset the fake received,
// which confirms every update below it.
func confirmedOffset(tg *telegramtest.Server) int {
	offsets := tg.Offsets()
	if len(offsets) == 0 {
		return 0
	}
	return slices.Max(offsets)
}

func TestPolling_RestartHandlesQueuedUpdatesOnce(t *testing.T) {
	first := newEnv(t, nil)
	queued := []int{
		first.tg.SendText(alice, "/help"),
		first.tg.SendText(li, "/help"),
		first.tg.SendText(alice, "/orders"),
	}
	var firstHandled updateRecorder
	firstHandled.wrap(first.bot)
	first.start(t)

	first.tg.WaitForMessage(t, alice.ID, containsText(textsEN.OrdersEmpty))
	first.tg.WaitUntil(t, "replies to the three queued updates", func() bool {
		return len(first.tg.Messages(alice.ID)) == 2 && len(first.tg.Messages(li.ID)) == 1
	})
	if err := first.stop(); err != nil {
		t.Fatalf("first Run: %v", err)
	}
	if got := firstHandled.sorted(); !slices.Equal(got, queued) {
		t.Errorf("first bot handled %v, want the queued updates %v", got, queued)
	}
	last := queued[len(queued)-1]
	if got := confirmedOffset(first.tg); got != last+1 {
		t.Errorf("confirmed offset after shutdown = %d, want last handled update_id + 1 = %d", got, last+1)
	}
	if pending := first.tg.PendingUpdates(); pending != 0 {
		t.Errorf("%d updates left unconfirmed after shutdown", pending)
	}

	second := newEnvOn(t, first.tg, first.store, nil)
	var secondHandled updateRecorder
	secondHandled.wrap(second.bot)
	second.start(t)
	fresh := second.tg.SendText(li, "/orders")
	second.tg.WaitForMessage(t, li.ID, containsText(textsZH.OrdersEmpty))
	if err := second.stop(); err != nil {
		t.Fatalf("second Run: %v", err)
	}

	if got := secondHandled.sorted(); !slices.Equal(got, []int{fresh}) {
		t.Errorf("second bot handled %v, want only the new update %d", got, fresh)
	}
	if n := len(second.tg.Messages(alice.ID)); n != 2 {
		t.Errorf("alice got %d replies, want 2 (no update handled twice)", n)
	}
	if n := len(second.tg.Messages(li.ID)); n != 2 {
		t.Errorf("li got %d replies, want 2 (no update handled twice)", n)
	}
}

func TestPolling_ShutdownKeepsUpdatesNotYetQueued(t *testing.T) {
	// One worker with room for one queued update: while the worker holds
	// the first update, the poller queues the second and waits to queue the
	// third, so shutdown stops it in the middle of a batch.
	first := newEnv(t, func(o *Options) {
		o.Workers = 1
		o.QueueSize = 1
	})
	ids := []int{
		first.tg.SendText(alice, "/help"),
		first.tg.SendText(li, "/help"),
		first.tg.SendText(alice, "/orders"),
		first.tg.SendText(li, "/orders"),
	}
	var firstHandled updateRecorder
	firstHandled.wrap(first.bot)
	holding := make(chan struct{})
	release := make(chan struct{})
	handle := first.bot.dispatcher.handler
	first.bot.dispatcher.handler = func(ctx context.Context, update tgbotapi.Update) {
		if update.UpdateID == ids[0] {
			close(holding)
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		handle(ctx, update)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- first.bot.Run(ctx) }()

	select {
	case <-holding:
	case <-time.After(telegramtest.WaitTimeout):
		t.Fatal("the worker never started the first update")
	}
	waitFor(t, "the second update to be queued", func() bool { return len(first.bot.dispatcher.queues[0]) == 1 })
	cancel()
	waitFor(t, "polling to stop", func() bool { return len(first.logs.lines("Stopped polling")) == 1 })
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("first Run: %v", err)
		}
	case <-time.After(telegramtest.WaitTimeout):
		t.Fatal("first Run did not return after cancel")
	}

	if got := firstHandled.sorted(); !slices.Equal(got, ids[:2]) {
		t.Errorf("first bot handled %v, want the two queued updates %v", got, ids[:2])
	}
	if got := confirmedOffset(first.tg); got != ids[1]+1 {
		t.Errorf("confirmed offset after shutdown = %d, want last handled update_id + 1 = %d", got, ids[1]+1)
	}
	confirmLine := fmt.Sprintf("offset=%d", ids[1]+1)
	if lines := first.logs.lines("Confirmed handled updates", confirmLine); len(lines) != 1 {
		t.Errorf("confirmation log lines = %v, want one at shutdown", lines)
	}
	if pending := first.tg.PendingUpdates(); pending != 2 {
		t.Errorf("%d updates left unconfirmed, want the 2 the first bot did not queue", pending)
	}

	second := newEnvOn(t, first.tg, first.store, nil)
	var secondHandled updateRecorder
	secondHandled.wrap(second.bot)
	second.start(t)
	fresh := second.tg.SendText(alice, "/help")
	second.tg.WaitUntil(t, "replies to the rest and the new update", func() bool {
		return len(second.tg.Messages(alice.ID)) == 3 && len(second.tg.Messages(li.ID)) == 2
	})
	if err := second.stop(); err != nil {
		t.Fatalf("second Run: %v", err)
	}

	if got, want := secondHandled.sorted(), []int{ids[2], ids[3], fresh}; !slices.Equal(got, want) {
		t.Errorf("second bot handled %v, want the updates left over and the new one %v", got, want)
	}
	if got := confirmedOffset(second.tg); got != fresh+1 {
		t.Errorf("confirmed offset after the second shutdown = %d, want %d", got, fresh+1)
	}
}
