package bot

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// redactedToken replaces the bot token wherever it would appear in text.
const redactedToken = "<redacted>"

// contextClient is the tgbotapi.HTTPClient of one call: it attaches ctx to
// the request, which tgbotapi builds without one, and removes the token
// from transport errors, whose text contains the full request URL.
type contextClient struct {
	ctx    context.Context
	client *http.Client
	redact func(string) string
}

func (c contextClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.client.Do(req.WithContext(c.ctx))
	if err != nil {
		return nil, newRedactedError(err, c.redact)
	}
	return resp, nil
}

// redactedError is a transport error with the token removed from its text.
// It unwraps to the cause when the cause's text contains no token, and
// otherwise only to the context error, if any, so that errors.Is still finds
// context.Canceled and context.DeadlineExceeded.
type redactedError struct {
	message string
	cause   error
}

func (e *redactedError) Error() string { return e.message }

func (e *redactedError) Unwrap() error { return e.cause }

func newRedactedError(err error, redact func(string) string) error {
	redacted := &redactedError{message: redact(err.Error())}
	cause := err
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		cause = urlErr.Err
	}
	switch {
	case redact(cause.Error()) == cause.Error():
		redacted.cause = cause
	case errors.Is(err, context.Canceled):
		redacted.cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		redacted.cause = context.DeadlineExceeded
	}
	return redacted
}

// redact removes the token from text, also in its URL-escaped forms.
func (b *Bot) redact(text string) string {
	for _, form := range []string{b.token, url.PathEscape(b.token), url.QueryEscape(b.token)} {
		if form != "" {
			text = strings.ReplaceAll(text, form, redactedToken)
		}
	}
	return text
}

// client returns an HTTP client for tgbotapi whose requests carry ctx.
func (b *Bot) client(ctx context.Context) contextClient {
	return contextClient{ctx: ctx, client: b.httpClient, redact: b.redact}
}

// apiWith returns a copy of the Bot API client whose requests carry ctx.
// tgbotapi.MakeRequest takes no context, so each call gets its own copy.
func (b *Bot) apiWith(ctx context.Context) *tgbotapi.BotAPI {
	api := *b.api
	api.Client = b.client(ctx)
	return &api
}

// request makes one Bot API call that returns no message, bounded by
// requestTimeout.
func (b *Bot) request(ctx context.Context, c tgbotapi.Chattable) error {
	ctx, cancel := context.WithTimeout(ctx, b.requestTimeout)
	defer cancel()
	_, err := b.apiWith(ctx).Request(c)
	return err
}

// sendMessage sends a message once the rate limit pause, if any, has
// ended. ctx bounds the wait and the requests, and each request is also
// bounded by requestTimeout.
func (b *Bot) sendMessage(ctx context.Context, msg tgbotapi.MessageConfig) (tgbotapi.Message, error) {
	return b.sendMessageAfterPause(ctx, ctx, msg)
}

// sendMessageAfterPause is sendMessage with two contexts: waitCtx bounds
// the wait for the rate limit pause and sendCtx bounds the requests. The
// outbox sender uses them to end the wait at shutdown but let a started
// send finish.
func (b *Bot) sendMessageAfterPause(waitCtx, sendCtx context.Context, msg tgbotapi.MessageConfig) (tgbotapi.Message, error) {
	sent, err := b.sendOnce(waitCtx, sendCtx, msg)
	if !isButtonURLError(err) {
		return sent, err
	}
	plain, ok := withoutURLButtons(msg)
	if !ok {
		return sent, err
	}
	// Telegram refuses some button URLs, such as a checkout on localhost
	// during development, so the links go into the text instead.
	b.log.Warn("Telegram refused a button URL, sending the link as text",
		"chat_id", msg.ChatID, "error", b.describe(err))
	return b.sendOnce(waitCtx, sendCtx, plain)
}

// sendOnce waits for the rate limit pause and makes one sendMessage call.
// A 429 response starts or extends the pause for every later send.
func (b *Bot) sendOnce(waitCtx, sendCtx context.Context, msg tgbotapi.MessageConfig) (tgbotapi.Message, error) {
	if err := b.waitSendPause(waitCtx); err != nil {
		return tgbotapi.Message{}, err
	}
	ctx, cancel := context.WithTimeout(sendCtx, b.requestTimeout)
	defer cancel()
	sent, err := b.apiWith(ctx).Send(msg)
	b.pauseAfter(err)
	return sent, err
}

// isButtonURLError reports whether Telegram rejected a message because of
// an inline button's URL ("BUTTON_URL_INVALID", "inline keyboard button
// URL ... is invalid").
func isButtonURLError(err error) bool {
	apiErr, ok := apiError(err)
	if !ok || apiErr.Code != http.StatusBadRequest {
		return false
	}
	text := strings.ToLower(apiErr.Message)
	return strings.Contains(text, "button") && strings.Contains(text, "url")
}

// withoutURLButtons returns msg with its URL buttons removed and their links
// appended to the text, and false when msg has no URL button.
func withoutURLButtons(msg tgbotapi.MessageConfig) (tgbotapi.MessageConfig, bool) {
	keyboard, ok := msg.ReplyMarkup.(*tgbotapi.InlineKeyboardMarkup)
	if !ok || keyboard == nil {
		return msg, false
	}
	var rows [][]tgbotapi.InlineKeyboardButton
	var links []string
	for _, row := range keyboard.InlineKeyboard {
		var kept []tgbotapi.InlineKeyboardButton
		for _, button := range row {
			if button.URL != nil {
				link := button.Text + ": " + *button.URL
				if msg.ParseMode == tgbotapi.ModeHTML {
					link = html.EscapeString(link)
				}
				links = append(links, link)
				continue
			}
			kept = append(kept, button)
		}
		if len(kept) > 0 {
			rows = append(rows, kept)
		}
	}
	if len(links) == 0 {
		return msg, false
	}
	plain := msg
	plain.Text = msg.Text + "\n\n" + strings.Join(links, "\n")
	plain.ReplyMarkup = nil
	if len(rows) > 0 {
		plain.ReplyMarkup = &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: rows}
	}
	return plain, true
}

// describe renders a Bot API call error for logs and stored messages: the
// status code and Telegram's description for an API error, the redacted
// text otherwise.
func (b *Bot) describe(err error) string {
	if apiErr, ok := apiError(err); ok {
		return b.redact(fmt.Sprintf("telegram answered %d: %s", apiErr.Code, apiErr.Message))
	}
	return b.redact(err.Error())
}

// apiError returns the Bot API error inside err, if Telegram returned one.
func apiError(err error) (*tgbotapi.Error, bool) {
	var apiErr *tgbotapi.Error
	if errors.As(err, &apiErr) {
		return apiErr, true
	}
	return nil, false
}

// discardLogger silences tgbotapi's package logger.
type discardLogger struct{}

func (discardLogger) Println(...any)        {}
func (discardLogger) Printf(string, ...any) {}
