package bot

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	"telegram-bot-webhook/store"
)

// Outbox sender parameters.
const (
	// sendBatchSize is how many due messages one store query returns.
	sendBatchSize = 50
	// chatLimiterIdle is how long an unused per-chat limiter is kept.
	chatLimiterIdle = 10 * time.Minute
	// minSenderWait keeps the sender loop from spinning.
	minSenderWait = 5 * time.Millisecond
	// defaultRetryAfter is the pause after a 429 response without retry_after.
	defaultRetryAfter = 5 * time.Second
)

// sender delivers the outbox: it sends due messages one at a time, within
// the global and per-chat rates, and records each outcome in the store. A
// chat's next message is due only after its oldest pending one was sent,
// dropped or kept as dead, because store.ListDueMessages returns only the
// oldest pending message of each chat.
type sender struct {
	bot         *Bot
	maxAttempts int
	interval    time.Duration
	retryBase   time.Duration
	retryMax    time.Duration
	wake        chan struct{}

	global   *rate.Limiter
	chatRate rate.Limit
	chats    map[int64]*chatLimiter
	// nextRetry is the earliest retry this sender scheduled, zero if none.
	nextRetry time.Time
	// idle, when set by a test, is called each time the sender starts
	// waiting.
	idle func()
	// jitter returns a random int64 in [0, n) for the retry backoff.
	jitter func(n int64) int64
}

type chatLimiter struct {
	limiter  *rate.Limiter
	lastUsed time.Time
}

func newSender(b *Bot, opts Options) *sender {
	globalRate := orDefault(opts.Outbox.GlobalRate, defaultGlobalRate)
	return &sender{
		bot:         b,
		maxAttempts: orDefault(opts.Outbox.MaxAttempts, defaultMaxAttempts),
		interval:    orDefault(opts.Outbox.PollInterval, defaultPollInterval),
		retryBase:   orDefault(opts.RetryBaseDelay, defaultRetryBaseDelay),
		retryMax:    orDefault(opts.RetryMaxDelay, defaultRetryMaxDelay),
		wake:        make(chan struct{}, 1),
		global:      rate.NewLimiter(rate.Limit(globalRate), max(1, int(globalRate))),
		chatRate:    rate.Limit(orDefault(opts.Outbox.ChatRate, defaultChatRate)),
		chats:       make(map[int64]*chatLimiter),
		jitter:      rand.Int64N,
	}
}

func (s *sender) wakeUp() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// run sends due messages until ctx is done, waking on wakeUp, at the
// earliest scheduled retry, and at least every poll interval.
func (s *sender) run(ctx context.Context) {
	s.bot.log.Info("Outbox sender started")
	for {
		wait := s.drain(ctx)
		if ctx.Err() != nil {
			return
		}
		if s.idle != nil {
			s.idle()
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-s.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// drain sends every due message and returns how long to wait before
// looking again.
func (s *sender) drain(ctx context.Context) time.Duration {
	deferred := make(map[int64]bool)
	wait := s.interval
	for ctx.Err() == nil {
		list, err := s.bot.store.ListDueMessages(ctx, s.bot.clock.Now(), sendBatchSize)
		if err != nil {
			if ctx.Err() == nil {
				s.bot.log.Error("Failed to list due outbox messages", "error", err)
			}
			return s.interval
		}

		progressed := false
		for _, msg := range list {
			if deferred[msg.ChatID] || ctx.Err() != nil {
				continue
			}
			delay, err := s.process(ctx, msg)
			switch {
			case err != nil:
				return s.interval
			case delay > 0:
				deferred[msg.ChatID] = true
				wait = min(wait, delay)
			default:
				progressed = true
			}
		}
		if !progressed {
			break
		}
	}
	s.pruneChats()
	return max(minSenderWait, min(wait, s.untilNextRetry()))
}

// process sends one message. It returns a positive delay when the chat's
// rate does not allow a send yet, and an error when the store failed or ctx
// is done, which ends the current drain.
func (s *sender) process(ctx context.Context, msg store.OutboxMessage) (time.Duration, error) {
	out, err := s.bot.render(ctx, msg)
	if err != nil {
		if errors.Is(err, errUnsendable) {
			s.markDead(ctx, msg, err.Error())
			return 0, nil
		}
		s.bot.log.Error("Failed to render outbox message",
			"message_id", msg.ID, "order_id", msg.MerchantTransactionID, "chat_id", msg.ChatID, "error", err)
		return 0, err
	}

	if delay := s.reserveChat(msg.ChatID); delay > 0 {
		return delay, nil
	}
	if err := s.waitGlobal(ctx); err != nil {
		return 0, err
	}

	// Shutdown ends a wait for the rate limit pause, but a started send
	// finishes, so that its outcome can be recorded and a delivered message
	// is not sent again.
	_, sendErr := s.bot.sendMessageAfterPause(ctx, context.WithoutCancel(ctx), out)
	if errors.Is(sendErr, errPauseNotOver) {
		s.bot.log.Info("Shutdown ended the wait for the rate limit pause, so the message stays pending",
			"message_id", msg.ID, "order_id", msg.MerchantTransactionID, "chat_id", msg.ChatID)
		return 0, sendErr
	}
	return 0, s.record(ctx, msg, sendErr)
}

// record stores the outcome of a send. The store writes finish even when
// ctx is done, but the pause after a 429 response ends with ctx.
func (s *sender) record(ctx context.Context, msg store.OutboxMessage, sendErr error) error {
	b := s.bot
	storeCtx := context.WithoutCancel(ctx)
	now := b.clock.Now()
	if sendErr == nil {
		b.metrics.OutboxSent(msg.Kind)
		if err := b.store.MarkMessageSent(storeCtx, msg.ID, now); err != nil {
			// The message stays pending and will be sent a second time.
			b.log.Error("Failed to record sent outbox message",
				"message_id", msg.ID, "order_id", msg.MerchantTransactionID, "chat_id", msg.ChatID, "error", err)
			return err
		}
		b.log.Debug("Sent outbox message",
			"message_id", msg.ID, "order_id", msg.MerchantTransactionID, "chat_id", msg.ChatID, "kind", msg.Kind)
		return nil
	}

	description := b.describe(sendErr)
	apiErr, isAPI := apiError(sendErr)
	switch {
	case isAPI && apiErr.Code == http.StatusTooManyRequests:
		return s.pause(ctx, storeCtx, msg, retryAfter(apiErr), description)
	case isAPI && apiErr.Code == http.StatusForbidden:
		return s.dropChat(storeCtx, msg, description)
	case isAPI && apiErr.Code == http.StatusBadRequest:
		s.markDead(storeCtx, msg, description)
		return nil
	default:
		return s.retryLater(storeCtx, msg, description)
	}
}

// pause handles a 429 response, which sendOnce has already turned into a
// rate limit pause for every send. The message stays pending for the wait
// of retry_after, and the sender sleeps that long, so the message is due
// when it wakes. The retry is recorded through storeCtx. The sleep ends
// early when ctx is done, so shutdown does not wait for retry_after, and
// the message is then sent after the next start.
func (s *sender) pause(ctx, storeCtx context.Context, msg store.OutboxMessage, wait time.Duration, description string) error {
	b := s.bot
	b.log.Warn("Telegram rate limit reached, pausing all sends",
		"message_id", msg.ID, "order_id", msg.MerchantTransactionID, "chat_id", msg.ChatID,
		"retry_after", wait, "error", description)
	b.metrics.OutboxRetried(msg.Kind)
	if err := b.store.MarkMessageRetry(storeCtx, msg.ID, b.clock.Now().Add(wait), description); err != nil {
		b.log.Error("Failed to record outbox retry", "message_id", msg.ID, "error", err)
		return err
	}
	if err := b.clock.Sleep(ctx, wait); err != nil {
		b.log.Info("Shutdown ended the rate limit pause, so the message stays pending",
			"message_id", msg.ID, "order_id", msg.MerchantTransactionID, "chat_id", msg.ChatID)
		return err
	}
	return nil
}

// dropChat handles a 403 response: the user blocked the bot or was
// deactivated, so the chat is marked unreachable and its pending messages
// are dropped. Both happen in one transaction, so a user who writes to the
// bot afterwards is seen as unreachable, and store.UpsertUserAndRequeue
// queues the buyer's dropped messages again.
func (s *sender) dropChat(ctx context.Context, msg store.OutboxMessage, description string) error {
	b := s.bot
	var count int64
	err := b.store.Transaction(ctx, func(tx *store.Store) error {
		if err := tx.MarkChatUnreachable(ctx, msg.ChatID); err != nil {
			return err
		}
		var err error
		count, err = tx.DropPendingMessages(ctx, msg.ChatID, description)
		return err
	})
	if err != nil {
		b.log.Error("Failed to drop the pending messages of an unreachable chat",
			"chat_id", msg.ChatID, "error", err)
		return err
	}
	b.metrics.OutboxDropped(int(count))
	b.log.Warn("Chat unreachable, dropped its pending messages",
		"message_id", msg.ID, "order_id", msg.MerchantTransactionID, "chat_id", msg.ChatID,
		"count", count, "error", description)
	return nil
}

// retryLater handles a network error, a 5xx or another unexpected answer:
// the message is tried again after an exponential backoff with jitter, and
// kept as dead after maxAttempts attempts.
func (s *sender) retryLater(ctx context.Context, msg store.OutboxMessage, description string) error {
	b := s.bot
	attempts := msg.Attempts + 1
	if attempts >= s.maxAttempts {
		s.markDead(ctx, msg, description)
		return nil
	}
	delay := s.retryDelay(attempts)
	next := b.clock.Now().Add(delay)
	if err := b.store.MarkMessageRetry(ctx, msg.ID, next, description); err != nil {
		b.log.Error("Failed to record outbox retry", "message_id", msg.ID, "error", err)
		return err
	}
	if s.nextRetry.IsZero() || next.Before(s.nextRetry) {
		s.nextRetry = next
	}
	b.metrics.OutboxRetried(msg.Kind)
	b.log.Warn("Failed to send outbox message, will retry",
		"message_id", msg.ID, "order_id", msg.MerchantTransactionID, "chat_id", msg.ChatID,
		"attempt", attempts, "retry_in", delay, "error", description)
	return nil
}

// markDead keeps the message as dead with the error that ended it.
func (s *sender) markDead(ctx context.Context, msg store.OutboxMessage, description string) {
	b := s.bot
	b.metrics.OutboxDead(msg.Kind)
	b.log.Error("Outbox message will not be sent, kept as dead",
		"message_id", msg.ID, "order_id", msg.MerchantTransactionID, "chat_id", msg.ChatID,
		"kind", msg.Kind, "attempts", msg.Attempts+1, "error", description)
	if err := b.store.MarkMessageDead(ctx, msg.ID, description); err != nil {
		b.log.Error("Failed to mark outbox message dead", "message_id", msg.ID, "error", err)
	}
}

// retryDelay returns the backoff before attempt+1. Its bound d is retryBase
// doubled per attempt and capped at retryMax, and the result is drawn
// uniformly from [d/2, d] through jitter.
func (s *sender) retryDelay(attempt int) time.Duration {
	delay := s.retryBase
	for i := 1; i < attempt && delay < s.retryMax; i++ {
		delay *= 2
	}
	delay = min(delay, s.retryMax)
	half := delay / 2
	return half + time.Duration(s.jitter(int64(half)+1))
}

// untilNextRetry returns the time until the earliest scheduled retry, or
// the poll interval when none is scheduled.
func (s *sender) untilNextRetry() time.Duration {
	if s.nextRetry.IsZero() {
		return s.interval
	}
	wait := s.nextRetry.Sub(s.bot.clock.Now())
	if wait <= 0 {
		s.nextRetry = time.Time{}
		return minSenderWait
	}
	return wait
}

// waitGlobal waits for the global rate limiter on the sender's clock.
func (s *sender) waitGlobal(ctx context.Context) error {
	now := s.bot.clock.Now()
	reservation := s.global.ReserveN(now, 1)
	delay := reservation.DelayFrom(now)
	if delay <= 0 {
		return nil
	}
	if err := s.bot.clock.Sleep(ctx, delay); err != nil {
		reservation.CancelAt(s.bot.clock.Now())
		return err
	}
	return nil
}

// reserveChat takes a send from the chat's rate. It returns how long to wait
// when the chat has none left; the sender then serves other chats.
func (s *sender) reserveChat(chatID int64) time.Duration {
	now := s.bot.clock.Now()
	chat, ok := s.chats[chatID]
	if !ok {
		chat = &chatLimiter{limiter: rate.NewLimiter(s.chatRate, 1)}
		s.chats[chatID] = chat
	}
	chat.lastUsed = now
	reservation := chat.limiter.ReserveN(now, 1)
	if delay := reservation.DelayFrom(now); delay > 0 {
		reservation.CancelAt(now)
		return delay
	}
	return 0
}

// pruneChats forgets the limiters of chats idle for chatLimiterIdle.
func (s *sender) pruneChats() {
	now := s.bot.clock.Now()
	for chatID, chat := range s.chats {
		if now.Sub(chat.lastUsed) > chatLimiterIdle {
			delete(s.chats, chatID)
		}
	}
}
