package bot

import (
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"telegram-bot-webhook/store"
)

// texts holds every text the bot sends in one language. Texts are HTML for
// parse mode HTML; each %s is filled with escaped text, and the comment
// names the arguments in order.
type texts struct {
	Greeting        string // first name
	BrowseButton    string
	CatalogTitle    string
	CatalogEmpty    string
	CatalogMore     string // count of products not shown; their codes follow
	BuyButton       string // product name, price
	BuyUsage        string
	UnknownProduct  string // SKU
	AlreadyCreating string
	CreatingOrder   string
	OrderCreated    string // product name, amount, order id
	LinkValidUntil  string // date and time in UTC
	PayButton       string
	PayOrderButton  string // order id
	MissingPayLink  string // order id
	CheckoutFailed  string
	TryAgainLater   string
	OrdersTitle     string
	OrdersEmpty     string
	OrderLine       string // product name, amount, order id, status
	OrderRefunded   string // refunded amount
	Help            string
	UnknownCommand  string
	UnknownAction   string
	PrivateOnly     string
	// Statuses names every order status.
	Statuses map[store.OrderStatus]string
	// Commands describes each command in the command menu.
	Commands []tgbotapi.BotCommand

	// Outbox messages.
	Paid           string // order id, product name, amount
	PaidDelivery   string // delivery text
	PaidNoDelivery string // order id
	Failed         string // order id
	FailedReason   string // reason
	FailedRetry    string
	Refunded       string // order id, refunded amount
	Expired        string // order id
}

var textsEN = texts{
	Greeting: "Hello, %s! 👋\n\nThis bot sells digital products. Pay securely on the " +
		"PingPong checkout page and receive your purchase right here in this chat.",
	BrowseButton:    "🛍 Browse products",
	CatalogTitle:    "<b>Products</b>",
	CatalogEmpty:    "No products are available right now. Please check back later.",
	CatalogMore:     "…and %d more products. Send /buy followed by a code to buy one:",
	BuyButton:       "Buy %s · %s",
	BuyUsage:        "Send /buy followed by a product code, or choose a product from /products.",
	UnknownProduct:  "There is no product with the code <code>%s</code>. See /products for the catalog.",
	AlreadyCreating: "Already creating your order, please wait a moment.",
	CreatingOrder:   "Creating your order…",
	OrderCreated: "<b>Order created</b>\n\nProduct: %s\nAmount: %s\nOrder ID: <code>%s</code>\n\n" +
		"Tap “Pay now” to pay on the secure checkout page.",
	LinkValidUntil: "The payment link is valid until %s.",
	PayButton:      "💳 Pay now",
	PayOrderButton: "💳 Pay %s",
	MissingPayLink: "The payment link of order <code>%s</code> is missing. Please contact the seller.",
	CheckoutFailed: "The payment service is unavailable right now. No money was taken. " +
		"Please try again later.",
	TryAgainLater: "Something went wrong on our side. Please try again later.",
	OrdersTitle:   "<b>Your recent orders</b>",
	OrdersEmpty:   "You have no orders yet. See /products to buy something.",
	OrderLine:     "<b>%s</b> — %s\nOrder ID: <code>%s</code>\nStatus: %s",
	OrderRefunded: "Refunded: %s",
	Help: "<b>Commands</b>\n" +
		"/start – welcome message\n" +
		"/products – product catalog\n" +
		"/buy &lt;code&gt; – buy a product by its code\n" +
		"/orders – your recent orders\n" +
		"/help – this list",
	UnknownCommand: "Sorry, I don't understand that. Send /help to see what I can do.",
	UnknownAction:  "Unknown action. Please use /products.",
	PrivateOnly:    "I work in private chat only. Please message me directly.",
	Statuses: map[store.OrderStatus]string{
		store.StatusCreating:          "being created",
		store.StatusPending:           "awaiting payment",
		store.StatusFailed:            "payment failed",
		store.StatusPaid:              "paid",
		store.StatusPartiallyRefunded: "partially refunded",
		store.StatusRefunded:          "refunded",
		store.StatusExpired:           "expired",
		store.StatusCheckoutFailed:    "checkout failed",
	},
	Commands: []tgbotapi.BotCommand{
		{Command: "start", Description: "Welcome message"},
		{Command: "products", Description: "Product catalog"},
		{Command: "orders", Description: "Your recent orders"},
		{Command: "help", Description: "List of commands"},
	},

	Paid:           "✅ <b>Payment received</b>\n\nOrder ID: <code>%s</code>\nProduct: %s\nAmount: %s",
	PaidDelivery:   "<b>Your purchase:</b>\n%s",
	PaidNoDelivery: "Please contact the seller with your order ID <code>%s</code> to receive your purchase.",
	Failed:         "❌ <b>Payment failed</b>\n\nOrder ID: <code>%s</code>",
	FailedReason:   "Reason: %s",
	FailedRetry:    "You can try again with the same payment link.",
	Refunded:       "↩️ <b>Refund issued</b>\n\nOrder ID: <code>%s</code>\nRefunded amount: %s",
	Expired: "⌛ <b>Payment link expired</b>\n\nOrder ID: <code>%s</code>\n" +
		"The order was not paid in time. See /products to buy again.",
}

var textsZH = texts{
	Greeting:        "%s，你好！👋\n\n本机器人出售数字商品。在 PingPong 安全收银台付款后，您会在此聊天中收到所购商品。",
	BrowseButton:    "🛍 浏览商品",
	CatalogTitle:    "<b>商品列表</b>",
	CatalogEmpty:    "目前没有可购买的商品，请稍后再来。",
	CatalogMore:     "……另有 %d 件商品未显示。发送 /buy 加以下商品代码即可购买：",
	BuyButton:       "购买 %s · %s",
	BuyUsage:        "请发送 /buy 加商品代码，或在 /products 中选择商品。",
	UnknownProduct:  "没有代码为 <code>%s</code> 的商品。请查看 /products 商品列表。",
	AlreadyCreating: "正在为您创建订单，请稍候。",
	CreatingOrder:   "正在创建订单……",
	OrderCreated:    "<b>订单已创建</b>\n\n商品：%s\n金额：%s\n订单号：<code>%s</code>\n\n点击“立即付款”在安全收银台完成支付。",
	LinkValidUntil:  "付款链接有效期至 %s。",
	PayButton:       "💳 立即付款",
	PayOrderButton:  "💳 支付 %s",
	MissingPayLink:  "订单 <code>%s</code> 缺少付款链接，请联系卖家。",
	CheckoutFailed:  "支付服务暂时不可用，未扣除任何款项。请稍后再试。",
	TryAgainLater:   "我们这边出了点问题，请稍后再试。",
	OrdersTitle:     "<b>您最近的订单</b>",
	OrdersEmpty:     "您还没有订单。请查看 /products 选购商品。",
	OrderLine:       "<b>%s</b> — %s\n订单号：<code>%s</code>\n状态：%s",
	OrderRefunded:   "已退款：%s",
	Help: "<b>命令列表</b>\n" +
		"/start – 欢迎信息\n" +
		"/products – 商品列表\n" +
		"/buy &lt;代码&gt; – 按商品代码购买\n" +
		"/orders – 最近的订单\n" +
		"/help – 本列表",
	UnknownCommand: "抱歉，我不明白。发送 /help 查看可用命令。",
	UnknownAction:  "未知操作，请使用 /products。",
	PrivateOnly:    "我只在私聊中工作，请直接给我发消息。",
	Statuses: map[store.OrderStatus]string{
		store.StatusCreating:          "创建中",
		store.StatusPending:           "待付款",
		store.StatusFailed:            "付款失败",
		store.StatusPaid:              "已付款",
		store.StatusPartiallyRefunded: "部分退款",
		store.StatusRefunded:          "已退款",
		store.StatusExpired:           "已过期",
		store.StatusCheckoutFailed:    "创建收银台失败",
	},
	Commands: []tgbotapi.BotCommand{
		{Command: "start", Description: "欢迎信息"},
		{Command: "products", Description: "商品列表"},
		{Command: "orders", Description: "最近的订单"},
		{Command: "help", Description: "命令列表"},
	},

	Paid:           "✅ <b>已收到付款</b>\n\n订单号：<code>%s</code>\n商品：%s\n金额：%s",
	PaidDelivery:   "<b>您购买的商品：</b>\n%s",
	PaidNoDelivery: "请联系卖家并提供订单号 <code>%s</code> 以领取商品。",
	Failed:         "❌ <b>付款失败</b>\n\n订单号：<code>%s</code>",
	FailedReason:   "原因：%s",
	FailedRetry:    "您可以使用同一付款链接重试。",
	Refunded:       "↩️ <b>已退款</b>\n\n订单号：<code>%s</code>\n退款金额：%s",
	Expired:        "⌛ <b>付款链接已过期</b>\n\n订单号：<code>%s</code>\n订单未在有效期内付款。请查看 /products 重新购买。",
}

// textsFor returns the texts for a Telegram language code: Chinese for
// "zh" and its variants (zh-hans, zh-TW), English otherwise.
func textsFor(languageCode string) *texts {
	if strings.HasPrefix(strings.ToLower(languageCode), "zh") {
		return &textsZH
	}
	return &textsEN
}

// status returns the localised name of an order status.
func (t *texts) status(status store.OrderStatus) string {
	if name, ok := t.Statuses[status]; ok {
		return name
	}
	return string(status)
}

// commandMenu returns the commands for setMyCommands.
func (t *texts) commandMenu() []tgbotapi.BotCommand {
	return t.Commands
}
