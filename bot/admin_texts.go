package bot

import tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

// adminTexts holds the texts of the admin commands, in English only. Like
// texts, they are HTML whose %s arguments are escaped by formatHTML, and
// the comment names the arguments in order.
type adminTexts struct {
	Help     string
	Commands []tgbotapi.BotCommand
	// HelpCommand is /help in the menu of an admin group, where it lists
	// the admin commands only.
	HelpCommand tgbotapi.BotCommand

	StoreFailed   string
	OrderUsage    string
	OrderNotFound string // order id

	ResendUsage   string
	ResendNotPaid string // order id, status
	ResendQueued  string // order id, chat id, outbox message id

	RefundsNotConfigured string
	RefundUsage          string
	RefundNotPaid        string // order id, status
	RefundNothingLeft    string // order id, paid, refunded, waiting
	RefundTooMuch        string // amount, order id, left, paid, refunded, waiting
	RefundInvalidAmount  string // order id, parse error, example amount
	RefundSummary        string // order id, product, user id, chat id, paid, refunded, amount, left after
	RefundWaitingNote    string // count, amount
	ConfirmRefundButton  string
	CancelButton         string

	// Callback query answers, plain text.
	RefundStarting            string
	RefundCancelledAnswer     string
	RefundConfirmationGone    string
	RefundConfirmationForeign string

	RefundRequesting  string // amount, order id
	RefundRequested   string // order id, amount, merchant refund id, refund id
	RefundRejected    string // order id, amount, merchant refund id, reason
	RefundNotPossible string // order id, error
	RefundFailed      string // order id, error, order id
	RefundCancelled   string // order id
	RefundExpired     string // order id
}

var adminEN = adminTexts{
	Help: "<b>Admin commands</b>\n" +
		"/deadletters – dead messages, rejected notifications, stuck orders and waiting refunds\n" +
		"/stats – orders and revenue today, in the last 7 days and in total\n" +
		"/order &lt;id&gt; – details of an order with its notifications and refunds\n" +
		"/refund &lt;id&gt; [amount] – refund an order, by default all that is left\n" +
		"/resend &lt;id&gt; – send the delivery message of a paid order again",
	Commands: []tgbotapi.BotCommand{
		{Command: "deadletters", Description: "Admin: problems that need a look"},
		{Command: "stats", Description: "Admin: order and revenue statistics"},
		{Command: "order", Description: "Admin: order details, /order <id>"},
		{Command: "refund", Description: "Admin: refund an order, /refund <id> [amount]"},
		{Command: "resend", Description: "Admin: resend a delivery, /resend <id>"},
	},
	HelpCommand: tgbotapi.BotCommand{Command: "help", Description: "Admin: list of admin commands"},

	StoreFailed:   "Reading the database failed. The error is in the log; try again later.",
	OrderUsage:    "Send /order followed by an order id, such as /order ORD-123.",
	OrderNotFound: "No order with the id <code>%s</code> was found. Check the id and send the command again.",

	ResendUsage: "Send /resend followed by the id of a paid order.",
	ResendNotPaid: "Order <code>%s</code> is %s. Only paid and partially refunded orders " +
		"have a delivery to send again.",
	ResendQueued: "Queued the delivery message of order <code>%s</code> for chat %d (outbox message %d).",

	RefundsNotConfigured: "Refunds are not configured in this bot, so /refund is not available.",
	RefundUsage: "Send /refund followed by an order id and, optionally, an amount in the order's " +
		"currency, such as /refund ORD-123 4.99. Without an amount all that is left is refunded.",
	RefundNotPaid: "Order <code>%s</code> is %s. Only paid and partially refunded orders can be refunded.",
	RefundNothingLeft: "Order <code>%s</code> has nothing left to refund: paid %s, refunded %s, " +
		"waiting for PingPong's refund notification %s.",
	RefundTooMuch: "Cannot refund %s on order <code>%s</code>: only %s is left " +
		"(paid %s, refunded %s, waiting for PingPong's refund notification %s). Send a smaller amount.",
	RefundInvalidAmount: "Cannot refund order <code>%s</code>: %s. Send an amount such as %s, " +
		"or no amount to refund all that is left.",
	RefundSummary: "<b>Refund order</b> <code>%s</code>?\n\n" +
		"Product: %s\nBuyer: user %d, chat %d\nPaid: %s\nRefunded before: %s\n" +
		"Refund now: <b>%s</b>\nLeft after this refund: %s\n\n" +
		"PingPong's refund notification updates the order and tells the buyer. " +
		"This confirmation expires in 10 minutes.",
	RefundWaitingNote:   "⚠️ Earlier refund requests still waiting for PingPong's notification: %d, %s in total.",
	ConfirmRefundButton: "Confirm refund",
	CancelButton:        "Cancel",

	RefundStarting:            "Requesting the refund…",
	RefundCancelledAnswer:     "Refund cancelled.",
	RefundConfirmationGone:    "This confirmation expired or was used already. Send /refund again.",
	RefundConfirmationForeign: "Only the admin who sent this /refund can confirm it.",

	RefundRequesting: "Requesting a refund of %s for order <code>%s</code>…",
	RefundRequested: "↩️ <b>Refund requested</b>\n\nOrder: <code>%s</code>\nAmount: %s\n" +
		"Merchant refund ID: <code>%s</code>\nPingPong refund ID: <code>%s</code>\n\n" +
		"Waiting for PingPong's refund notification, which updates the order and tells the buyer.",
	RefundRejected: "❌ <b>PingPong rejected the refund</b>\n\nOrder: <code>%s</code>\nAmount: %s\n" +
		"Merchant refund ID: <code>%s</code>\nReason: %s",
	RefundNotPossible: "❌ <b>Refund not possible</b>\n\nOrder: <code>%s</code>\n%s",
	RefundFailed: "❌ <b>Refund request failed</b>\n\nOrder: <code>%s</code>\nError: %s\n\n" +
		"The request may have reached PingPong. Check /order %s before trying again.",
	RefundCancelled: "Refund of order <code>%s</code> cancelled. Nothing was sent to PingPong.",
	RefundExpired:   "The refund confirmation for order <code>%s</code> expired. Send /refund again.",
}
