package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v5"
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"telegram-bot-webhook/config"
)

// Long polling parameters of getUpdates.
const (
	pollTimeoutSeconds = 30
	pollLimit          = 100
	// pollRequestSlack is added to the long poll timeout for the HTTP
	// request's own deadline.
	pollRequestSlack = 15 * time.Second
)

// allowedUpdates are the update types the bot requests from Telegram.
var allowedUpdates = []string{"message", "callback_query"}

// Run serves the bot until ctx is done: it sets the command menu, registers
// the webhook (webhook mode) or removes it and polls getUpdates (polling
// mode), and runs the update workers and the outbox sender. At shutdown it
// stops polling, finishes the queued updates within a time limit, and stops
// the sender. Run returns nil after a shutdown through ctx and an error when
// the webhook cannot be set or Telegram rejects the token while polling.
func (b *Bot) Run(ctx context.Context) error {
	if !b.running.CompareAndSwap(false, true) {
		return errors.New("bot: run: the bot is already running or has run")
	}
	b.log.Info("Starting Telegram bot", "username", b.Username(), "mode", b.mode)
	b.setCommands(ctx)
	if b.mode == config.ModeWebhook {
		if err := b.setWebhook(ctx); err != nil {
			b.dispatcher.close()
			return err
		}
	} else {
		b.deleteWebhook(ctx)
	}

	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	b.workCtx = workCtx
	b.dispatcher.start(workCtx)

	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		b.sender.run(runCtx)
	}()

	var runErr error
	var updates *poller
	if b.mode == config.ModePolling {
		updates = &poller{bot: b}
		runErr = updates.run(runCtx)
		b.log.Info("Stopped polling")
	} else {
		<-runCtx.Done()
	}
	stopRun()

	b.stopWorkers(stopWork)
	if updates != nil && runErr == nil {
		updates.confirm(context.WithoutCancel(ctx))
	}
	<-senderDone
	b.log.Info("Outbox sender stopped")
	b.log.Info("Telegram bot stopped")
	return runErr
}

// stopWorkers closes the update queue and waits for the workers and the
// running order creations, cancelling them after drainTimeout.
func (b *Bot) stopWorkers(stopWork context.CancelFunc) {
	b.dispatcher.close()
	timer := time.AfterFunc(b.drainTimeout, stopWork)
	defer timer.Stop()
	skipped := b.dispatcher.wait()
	b.orderWG.Wait()
	if skipped > 0 {
		b.log.Warn("Skipped queued updates at shutdown", "count", skipped)
	}
	b.log.Info("Update workers stopped")
}

// setCommands sets the command menu in English and Chinese, and the menu
// of each admin chat. A failure, such as a Bot API server without
// setMyCommands, is logged and ignored.
func (b *Bot) setCommands(ctx context.Context) {
	for _, lang := range []string{"", "zh"} {
		t := textsFor(lang)
		cfg := tgbotapi.NewSetMyCommands(t.commandMenu()...)
		cfg.LanguageCode = lang
		if err := b.request(ctx, cfg); err != nil {
			b.log.Warn("Failed to set the command menu, continuing without it",
				"language", lang, "error", b.describe(err))
			return
		}
	}
	b.setAdminCommands(ctx)
}

// setWebhook registers WebhookURL with the secret token. tgbotapi v5.5.1
// has no secret_token field, so the parameters are built here.
func (b *Bot) setWebhook(ctx context.Context) error {
	allowed, err := json.Marshal(allowedUpdates)
	if err != nil {
		return fmt.Errorf("bot: encode allowed updates: %w", err)
	}
	params := tgbotapi.Params{
		"url":             b.webhookURL,
		"secret_token":    b.secret,
		"allowed_updates": string(allowed),
	}
	if b.maxConns > 0 {
		params["max_connections"] = strconv.Itoa(b.maxConns)
	}
	warnUnsupportedWebhookPort(b.log, b.webhookURL)

	callCtx, cancel := context.WithTimeout(ctx, b.requestTimeout)
	defer cancel()
	if _, err := b.apiWith(callCtx).MakeRequest("setWebhook", params); err != nil {
		return fmt.Errorf("bot: set webhook to %s: %s", b.webhookURL, b.describe(err))
	}
	b.log.Info("Webhook registered", "url", b.webhookURL)
	return nil
}

// deleteWebhook removes a webhook so that getUpdates works, keeping the
// pending updates. A failure is logged; polling then reports the conflict.
func (b *Bot) deleteWebhook(ctx context.Context) {
	if err := b.request(ctx, tgbotapi.DeleteWebhookConfig{DropPendingUpdates: false}); err != nil {
		b.log.Warn("Failed to delete the webhook before polling", "error", b.describe(err))
	}
}

// poller runs the getUpdates loop.
type poller struct {
	bot *Bot
	// offset is the next update_id to ask for; sentOffset is the offset of
	// the last request sent, which Telegram took as confirmation.
	offset     int
	sentOffset int
}

// run polls until ctx is done. It returns an error only when Telegram
// rejects the token.
func (p *poller) run(ctx context.Context) error {
	b := p.bot
	wait := backoff.NewExponentialBackOff()
	wait.InitialInterval = b.pollBackoff
	wait.MaxInterval = time.Minute
	conflictReported := false

	for ctx.Err() == nil {
		updates, err := p.getUpdates(ctx, pollTimeoutSeconds, pollLimit)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if fatal := p.reportError(err, &conflictReported); fatal != nil {
				return fatal
			}
			if b.clock.Sleep(ctx, wait.NextBackOff()) != nil {
				return nil
			}
			continue
		}
		wait.Reset()
		if conflictReported {
			b.log.Info("Polling resumed")
			conflictReported = false
		}
		p.dispatch(ctx, updates)
	}
	return nil
}

// reportError logs a failed getUpdates call and returns a non-nil error if
// polling cannot go on. A 409 conflict is logged once until polling works
// again.
func (p *poller) reportError(err error, conflictReported *bool) error {
	b := p.bot
	apiErr, isAPI := apiError(err)
	switch {
	case isAPI && apiErr.Code == http.StatusUnauthorized:
		return fmt.Errorf("bot: poll updates: Telegram rejected the bot token: %s", b.describe(err))
	case isAPI && apiErr.Code == http.StatusConflict:
		if !*conflictReported {
			b.log.Error("Cannot poll updates: another instance is polling with this bot token, or a webhook is set; "+
				"stop the other instance or use webhook mode. Retrying with backoff",
				"error", b.describe(err))
			*conflictReported = true
		}
	default:
		b.log.Warn("Failed to poll updates, retrying with backoff", "error", b.describe(err))
	}
	return nil
}

func (p *poller) dispatch(ctx context.Context, updates []tgbotapi.Update) {
	for _, update := range updates {
		if update.UpdateID < p.offset {
			continue
		}
		if err := p.bot.dispatcher.enqueue(ctx, update); err != nil {
			// ctx is done: the update stays unconfirmed and is delivered
			// again on the next start.
			return
		}
		p.offset = update.UpdateID + 1
	}
}

func (p *poller) getUpdates(ctx context.Context, timeoutSeconds, limit int) ([]tgbotapi.Update, error) {
	cfg := tgbotapi.NewUpdate(p.offset)
	cfg.Timeout = timeoutSeconds
	cfg.Limit = limit
	cfg.AllowedUpdates = allowedUpdates

	deadline := time.Duration(timeoutSeconds)*time.Second + pollRequestSlack
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	p.sentOffset = p.offset
	return p.bot.apiWith(ctx).GetUpdates(cfg)
}

// confirm marks the updates handled since the last request as received,
// with a getUpdates call that does not wait, so Telegram does not deliver
// them again.
func (p *poller) confirm(ctx context.Context) {
	if p.offset == 0 || p.offset == p.sentOffset {
		return
	}
	if _, err := p.getUpdates(ctx, 0, 1); err != nil {
		p.bot.log.Warn("Failed to confirm handled updates; they may be delivered again",
			"offset", p.offset, "error", p.bot.describe(err))
		return
	}
	p.bot.log.Debug("Confirmed handled updates", "offset", p.offset)
}

// webhookPorts are the only ports Telegram delivers webhook updates to.
var webhookPorts = map[string]bool{"443": true, "80": true, "88": true, "8443": true}

// warnUnsupportedWebhookPort logs a warning when the webhook URL's port is
// one Telegram does not deliver to, because setWebhook may still succeed
// and updates then silently never arrive.
func warnUnsupportedWebhookPort(log *slog.Logger, webhookURL string) {
	parsed, err := url.Parse(webhookURL)
	if err != nil {
		return
	}
	port := parsed.Port()
	if port == "" {
		port = map[string]string{"https": "443", "http": "80"}[parsed.Scheme]
	}
	if !webhookPorts[port] {
		log.Warn("Telegram delivers webhook updates only to ports 443, 80, 88 and 8443; "+
			"change PUBLIC_BASE_URL or put a proxy on one of them",
			"webhook_url", webhookURL, "port", port)
	}
}
