package bot

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// recentUpdateCount is how many handled update ids are remembered to
// ignore repeated deliveries.
const recentUpdateCount = 2048

// dispatcher hands updates to a fixed pool of workers. Each worker has its
// own bounded queue, and a chat's updates always go to the same worker, so
// they are handled one at a time in arrival order.
type dispatcher struct {
	bot *Bot
	// handler handles one update; it is Bot.handleUpdate outside tests.
	handler func(ctx context.Context, update tgbotapi.Update)
	queues  []chan tgbotapi.Update
	wg      sync.WaitGroup

	// mu guards closed; senders hold the read lock so that close never
	// races with a send on a queue.
	mu     sync.RWMutex
	closed bool

	seenMu sync.Mutex
	seen   recentIDs

	droppedMu sync.Mutex
	dropped   int
}

func newDispatcher(b *Bot, workers, queueSize int) *dispatcher {
	d := &dispatcher{bot: b, handler: b.handleUpdate, seen: newRecentIDs(recentUpdateCount)}
	perWorker := max(1, queueSize/workers)
	for range workers {
		d.queues = append(d.queues, make(chan tgbotapi.Update, perWorker))
	}
	return d
}

// queueFor returns the queue of the worker that serves the update's chat.
func (d *dispatcher) queueFor(update tgbotapi.Update) chan tgbotapi.Update {
	chatID := updateChatID(update)
	return d.queues[uint64(chatID)%uint64(len(d.queues))]
}

// offer queues the update without blocking. It returns false when the
// worker's queue is full or the dispatcher is closed. A repeated update_id
// is accepted and ignored.
func (d *dispatcher) offer(update tgbotapi.Update) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return false
	}

	d.seenMu.Lock()
	defer d.seenMu.Unlock()
	if d.seen.contains(update.UpdateID) {
		d.logDuplicate(update)
		return true
	}
	select {
	case d.queueFor(update) <- update:
		d.seen.add(update.UpdateID)
		return true
	default:
		return false
	}
}

// enqueue queues the update, waiting for room until ctx is done.
func (d *dispatcher) enqueue(ctx context.Context, update tgbotapi.Update) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return fmt.Errorf("bot: queue update %d: dispatcher stopped", update.UpdateID)
	}

	d.seenMu.Lock()
	duplicate := d.seen.contains(update.UpdateID)
	if !duplicate {
		d.seen.add(update.UpdateID)
	}
	d.seenMu.Unlock()
	if duplicate {
		d.logDuplicate(update)
		return nil
	}

	select {
	case d.queueFor(update) <- update:
		return nil
	case <-ctx.Done():
		d.seenMu.Lock()
		d.seen.remove(update.UpdateID)
		d.seenMu.Unlock()
		return ctx.Err()
	}
}

func (d *dispatcher) logDuplicate(update tgbotapi.Update) {
	d.bot.log.Debug("Ignoring repeated update", "update_id", update.UpdateID, "chat_id", updateChatID(update))
}

// start runs the workers until close is called and the queues are empty.
// Updates still queued once ctx is done are skipped and counted.
func (d *dispatcher) start(ctx context.Context) {
	for _, queue := range d.queues {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			for update := range queue {
				if ctx.Err() != nil {
					d.droppedMu.Lock()
					d.dropped++
					d.droppedMu.Unlock()
					continue
				}
				d.handle(ctx, update)
			}
		}()
	}
}

// close stops accepting updates; workers finish the queued ones.
func (d *dispatcher) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.closed = true
	for _, queue := range d.queues {
		close(queue)
	}
}

// wait blocks until every worker has stopped and returns how many queued
// updates were skipped.
func (d *dispatcher) wait() int {
	d.wg.Wait()
	d.droppedMu.Lock()
	defer d.droppedMu.Unlock()
	return d.dropped
}

// handle runs the update's handler with a timeout, recovering a panic.
func (d *dispatcher) handle(ctx context.Context, update tgbotapi.Update) {
	ctx, cancel := context.WithTimeout(ctx, d.bot.handlerTimeout)
	defer cancel()
	defer d.bot.recoverPanic("update", update.UpdateID, updateChatID(update))
	d.handler(ctx, update)
}

// recoverPanic logs a recovered panic of a handler. Call it deferred.
func (b *Bot) recoverPanic(what string, updateID int, chatID int64) {
	if r := recover(); r != nil {
		b.log.Error("Recovered from panic in "+what+" handler",
			"update_id", updateID,
			"chat_id", chatID,
			"panic", b.redact(fmt.Sprint(r)),
			"stack", b.redact(string(debug.Stack())),
		)
	}
}

// updateChatID returns the chat an update belongs to, or 0.
func updateChatID(update tgbotapi.Update) int64 {
	switch {
	case update.Message != nil && update.Message.Chat != nil:
		return update.Message.Chat.ID
	case update.EditedMessage != nil && update.EditedMessage.Chat != nil:
		return update.EditedMessage.Chat.ID
	case update.CallbackQuery != nil && update.CallbackQuery.Message != nil && update.CallbackQuery.Message.Chat != nil:
		return update.CallbackQuery.Message.Chat.ID
	case update.CallbackQuery != nil && update.CallbackQuery.From != nil:
		return update.CallbackQuery.From.ID
	case update.MyChatMember != nil:
		return update.MyChatMember.Chat.ID
	}
	return 0
}

// recentIDs is a fixed-size set of the most recently added ids.
type recentIDs struct {
	ring  []int
	next  int
	count map[int]int
}

func newRecentIDs(size int) recentIDs {
	return recentIDs{ring: make([]int, 0, size), count: make(map[int]int, size)}
}

func (r *recentIDs) contains(id int) bool {
	return r.count[id] > 0
}

func (r *recentIDs) add(id int) {
	if len(r.ring) < cap(r.ring) {
		r.ring = append(r.ring, id)
	} else {
		r.forget(r.ring[r.next])
		r.ring[r.next] = id
		r.next = (r.next + 1) % len(r.ring)
	}
	r.count[id]++
}

// remove forgets id without freeing its ring slot; the slot is reused later.
func (r *recentIDs) remove(id int) {
	delete(r.count, id)
}

func (r *recentIDs) forget(id int) {
	if r.count[id] <= 1 {
		delete(r.count, id)
		return
	}
	r.count[id]--
}
