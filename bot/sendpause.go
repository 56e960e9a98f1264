package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// errPauseNotOver is wrapped, together with the context error, by a send
// that was given up while it waited for a rate limit pause. Nothing was sent
// then.
var errPauseNotOver = errors.New("bot: message not sent because the Telegram rate limit pause had not ended")

// sendPause is the pause that Telegram requests with a 429 Too Many Requests
// response, whose retry_after is how long to wait before the next request.
// It is shared by the command replies and the outbox sender, so a 429 on
// either holds back the sendMessage calls of both.
//
// NOTE: only sendMessage waits for the pause. getUpdates,
// answerCallbackQuery, message edits and setMyCommands are sent during it.
type sendPause struct {
	mu    sync.Mutex
	until time.Time
}

// extend makes the pause last at least until the given time. A shorter
// pause never cuts a longer one.
func (p *sendPause) extend(until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.After(p.until) {
		p.until = until
	}
}

// end returns the time the pause ends, zero if there never was one.
func (p *sendPause) end() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.until
}

// waitSendPause waits on the Bot's clock until the rate limit pause has
// ended, and returns at once when there is none. It keeps waiting when
// another 429 extends the pause meanwhile. When ctx is done first, it
// returns an error that wraps errPauseNotOver and ctx.Err().
func (b *Bot) waitSendPause(ctx context.Context) error {
	for {
		remaining := b.pause.end().Sub(b.clock.Now())
		if remaining <= 0 {
			return nil
		}
		if err := b.clock.Sleep(ctx, remaining); err != nil {
			return fmt.Errorf("%w: %w", errPauseNotOver, err)
		}
	}
}

// pauseAfter starts or extends the rate limit pause when err is a 429
// response.
func (b *Bot) pauseAfter(err error) {
	apiErr, ok := apiError(err)
	if !ok || apiErr.Code != http.StatusTooManyRequests {
		return
	}
	b.pause.extend(b.clock.Now().Add(retryAfter(apiErr)))
}

// retryAfter returns the pause a 429 response requests: its retry_after
// seconds, or defaultRetryAfter when the response has none.
func retryAfter(apiErr *tgbotapi.Error) time.Duration {
	if apiErr.RetryAfter <= 0 {
		return defaultRetryAfter
	}
	return time.Duration(apiErr.RetryAfter) * time.Second
}
