package bot

import (
	"context"
	"html"
	"net/http"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"telegram-bot-webhook/store"
)

// Callback data of the bot's inline buttons.
const (
	catalogCallback   = "catalog"
	buyCallbackPrefix = "buy:"
	// startBuyPrefix starts a purchase from a deep link: /start buy_<sku>.
	startBuyPrefix = "buy_"
	// ordersShown is how many orders /orders lists.
	ordersShown = 10
)

// chat is the chat and sender of one update: a private chat, or an admin
// group whose sender is not stored (see groupChat).
type chat struct {
	id    int64
	user  store.User
	texts *texts
	// registered is false when storing the user failed; purchases are then
	// refused because the order must belong to a stored user.
	registered bool
}

// handleUpdate routes one update. Updates other than messages and callback
// queries are ignored; Telegram sends none with the allowed updates set.
func (b *Bot) handleUpdate(ctx context.Context, update tgbotapi.Update) {
	switch {
	case update.Message != nil:
		b.metrics.UpdateHandled("message")
		b.handleMessage(ctx, update.Message)
	case update.CallbackQuery != nil:
		b.metrics.UpdateHandled("callback_query")
		b.handleCallback(ctx, update.CallbackQuery)
	default:
		b.metrics.UpdateHandled("other")
		b.log.Debug("Ignoring update without message or callback query", "update_id", update.UpdateID)
	}
}

func (b *Bot) handleMessage(ctx context.Context, msg *tgbotapi.Message) {
	if msg.From == nil || msg.Chat == nil || msg.From.IsBot {
		return
	}
	command, args, addressed := parseCommand(msg.Text, b.Username())
	if msg.Chat.Type != "private" {
		// In groups only a command meant for this bot gets a reply.
		if command != "" && addressed {
			b.handleGroupCommand(ctx, groupChat(msg.Chat.ID, msg.From), command, args)
		}
		return
	}

	c := b.register(ctx, msg.Chat.ID, msg.From)
	if command == "" || !addressed {
		b.reply(ctx, c.id, c.texts.UnknownCommand, nil)
		return
	}
	switch command {
	case "start":
		b.handleStart(ctx, c, args)
	case "products":
		b.sendCatalog(ctx, c)
	case "buy":
		b.handleBuyCommand(ctx, c, args)
	case "orders":
		b.sendOrders(ctx, c)
	case "help":
		b.reply(ctx, c.id, b.helpText(c), nil)
	default:
		if !b.handleAdminCommand(ctx, c, command, args) {
			b.reply(ctx, c.id, c.texts.UnknownCommand, nil)
		}
	}
}

// handleGroupCommand runs an admin command or /help in a group listed
// among the admin chats, where every member counts as an admin. Any other
// command, and every command in other groups, gets a pointer to the
// private chat.
func (b *Bot) handleGroupCommand(ctx context.Context, c chat, command, args string) {
	if b.isAdmin(c.id) {
		if command == "help" {
			b.reply(ctx, c.id, adminEN.Help, nil)
			return
		}
		if b.handleAdminCommand(ctx, c, command, args) {
			return
		}
	}
	b.reply(ctx, c.id, c.texts.PrivateOnly, nil)
}

// groupChat returns the chat of an update from a group. The sender is not
// stored as a user, because a stored user's chat is the private chat with
// the bot, where the outbox delivers the user's messages.
func groupChat(chatID int64, from *tgbotapi.User) chat {
	return chat{
		id: chatID,
		user: store.User{
			ID:           from.ID,
			Username:     from.UserName,
			FirstName:    from.FirstName,
			LanguageCode: from.LanguageCode,
		},
		texts: textsFor(from.LanguageCode),
	}
}

// parseCommand splits "/name@bot args" into the lowercased name and the
// arguments. addressed is false when the command names another bot.
func parseCommand(text, username string) (command, args string, addressed bool) {
	if !strings.HasPrefix(text, "/") {
		return "", "", false
	}
	head, rest, _ := strings.Cut(strings.TrimSpace(text), " ")
	name, target, hasTarget := strings.Cut(head[1:], "@")
	if name == "" {
		return "", "", false
	}
	addressed = !hasTarget || strings.EqualFold(target, username)
	return strings.ToLower(name), strings.TrimSpace(rest), addressed
}

// register stores the user and returns the chat with the user's language.
// Storing marks an unreachable user reachable again and queues again the
// buyer messages dropped while the user blocked the bot, and the sender is
// then woken for them.
func (b *Bot) register(ctx context.Context, chatID int64, from *tgbotapi.User) chat {
	c := chat{
		id: chatID,
		user: store.User{
			ID:           from.ID,
			ChatID:       chatID,
			Username:     from.UserName,
			FirstName:    from.FirstName,
			LanguageCode: from.LanguageCode,
		},
		texts: textsFor(from.LanguageCode),
	}
	requeued, err := b.store.UpsertUserAndRequeue(ctx, &c.user)
	if err != nil {
		b.log.Error("Failed to store user", "user_id", from.ID, "chat_id", chatID, "error", err)
		return c
	}
	c.registered = true
	if requeued > 0 {
		b.log.Info("User is reachable again, queued their dropped messages again",
			"user_id", from.ID, "chat_id", chatID, "count", requeued)
		b.WakeSender()
	}
	return c
}

func (b *Bot) handleStart(ctx context.Context, c chat, payload string) {
	if sku, ok := strings.CutPrefix(payload, startBuyPrefix); ok && sku != "" {
		if _, found := b.product(sku); !found {
			b.reply(ctx, c.id, formatHTML(c.texts.UnknownProduct, truncate(sku, maxSKURunes)), nil)
			b.sendCatalog(ctx, c)
			return
		}
		b.startOrder(ctx, c, sku, nil)
		return
	}

	name := c.user.FirstName
	if name == "" {
		name = c.user.Username
	}
	keyboard := tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData(c.texts.BrowseButton, catalogCallback),
	))
	b.reply(ctx, c.id, formatHTML(c.texts.Greeting, truncate(name, maxNameRunes)), &keyboard)
}

func (b *Bot) handleBuyCommand(ctx context.Context, c chat, args string) {
	sku, _, _ := strings.Cut(args, " ")
	if sku == "" {
		b.reply(ctx, c.id, c.texts.BuyUsage, nil)
		return
	}
	b.startOrder(ctx, c, sku, nil)
}

// handleCallback answers every callback query exactly once: the deferred
// answer covers every path, including a panic, unless answer ran before.
func (b *Bot) handleCallback(ctx context.Context, query *tgbotapi.CallbackQuery) {
	answered := false
	answer := func(text string) {
		if answered {
			return
		}
		answered = true
		if err := b.request(ctx, tgbotapi.NewCallback(query.ID, text)); err != nil {
			b.log.Warn("Failed to answer callback query", "callback_query_id", query.ID, "error", b.describe(err))
		}
	}
	defer answer("")

	if query.From == nil {
		return
	}
	lang := textsFor(query.From.LanguageCode)
	if query.Message == nil || query.Message.Chat == nil {
		answer(lang.PrivateOnly)
		return
	}
	if query.Message.Chat.Type != "private" {
		// Admin buttons also work in a group listed among the admin chats.
		// A refund confirmation still checks the user who sent /refund.
		chatID := query.Message.Chat.ID
		if b.isAdmin(chatID) && strings.HasPrefix(query.Data, adminCallbackPrefix) {
			b.handleAdminCallback(ctx, groupChat(chatID, query.From), query, answer)
			return
		}
		answer(lang.PrivateOnly)
		return
	}

	c := b.register(ctx, query.Message.Chat.ID, query.From)
	switch {
	case query.Data == catalogCallback:
		answer("")
		b.sendCatalog(ctx, c)
	case strings.HasPrefix(query.Data, buyCallbackPrefix):
		b.startOrder(ctx, c, strings.TrimPrefix(query.Data, buyCallbackPrefix), answer)
	case strings.HasPrefix(query.Data, adminCallbackPrefix):
		b.handleAdminCallback(ctx, c, query, answer)
	default:
		answer(c.texts.UnknownAction)
	}
}

// reply sends an HTML message to the chat. It waits while a rate limit
// pause lasts, as every sendMessage call does. A failure is only logged,
// because the buyer can repeat the command.
//
// NOTE: replies are sent directly, not through the outbox, so they skip the
// outbox rate limits. A reply that gets a 429 response starts the pause for
// every send but is itself dropped. So is a reply whose ctx ends during the
// pause.
func (b *Bot) reply(ctx context.Context, chatID int64, text string, keyboard *tgbotapi.InlineKeyboardMarkup) {
	msg := tgbotapi.NewMessage(chatID, text)
	msg.ParseMode = tgbotapi.ModeHTML
	msg.DisableWebPagePreview = true
	if keyboard != nil && len(keyboard.InlineKeyboard) > 0 {
		msg.ReplyMarkup = keyboard
	}
	_, err := b.sendMessage(ctx, msg)
	if err == nil {
		return
	}
	if apiErr, ok := apiError(err); ok && apiErr.Code == http.StatusTooManyRequests {
		b.log.Warn("Telegram rate limit reached, dropped the reply and pausing all sends",
			"chat_id", chatID, "retry_after", retryAfter(apiErr), "error", b.describe(err))
		return
	}
	b.log.Warn("Failed to send reply", "chat_id", chatID, "error", b.describe(err))
}

// escape makes user or merchant text safe for parse mode HTML.
func escape(text string) string {
	return html.EscapeString(text)
}
