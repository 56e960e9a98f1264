package local

import (
	"sort"
	"strconv"
	"strings"
)

// texts are the words of the checkout pages in one language.
type texts struct {
	// lang is the value of the html lang attribute.
	lang string

	notice      string
	checkout    string
	product     string
	description string
	amount      string
	order       string
	pay         string
	decline     string
	retryNote   string

	notFoundTitle   string
	notFoundText    string
	forbiddenTitle  string
	forbiddenText   string
	badRequestTitle string
	badRequestText  string
	doneTitle       string
	doneText        string
	busyTitle       string
	busyText        string
	errorTitle      string
	errorText       string

	tooManyTitle string
	// tooManyText is a format with one %d, the seconds to wait.
	tooManyText      string
	tooManyLaterText string
	tooLargeTitle    string
	tooLargeText     string

	paidTitle     string
	paidText      string
	declinedTitle string
	declinedText  string
	// pendingPaidTitle, pendingPaidText and pendingDeclinedText are shown
	// while a notification the app did not accept is posted again.
	pendingPaidTitle    string
	pendingPaidText     string
	pendingDeclinedText string
	// rejectedTitle is a format with one %s, the app's HTTP status or
	// noResponse.
	rejectedTitle    string
	rejectedPaidText string
	rejectedText     string
	noResponse       string
	// response is a format with one %s, the app's HTTP status.
	response string

	returnLink string
	backLink   string
}

var english = &texts{
	lang:        "en",
	notice:      "Local test checkout: payments are simulated and no money moves.",
	checkout:    "Checkout",
	product:     "Product",
	description: "Description",
	amount:      "Amount",
	order:       "Order",
	pay:         "Pay",
	decline:     "Decline",
	retryNote:   "The previous attempt was declined. You can pay now.",

	notFoundTitle: "Checkout not found",
	notFoundText: "This checkout link is unknown, expired or already paid. " +
		"Open the latest link the bot sent you in Telegram.",
	forbiddenTitle: "Request rejected",
	forbiddenText: "The form's security token is missing or does not match. " +
		"Reload the checkout page and press the button again.",
	badRequestTitle: "Invalid request",
	badRequestText:  "The form could not be read. Reload the checkout page and try again.",
	doneTitle:       "Already completed",
	doneText:        "This checkout was already paid. Return to Telegram for your order.",
	busyTitle:       "Please wait",
	busyText:        "This checkout is being processed. Reload the page in a moment.",
	errorTitle:      "Checkout failed",
	errorText:       "The notification could not be built. The server log has the reason.",

	tooManyTitle:     "Too many requests",
	tooManyText:      "This address sent too many requests. Wait %d seconds, then reload the page.",
	tooManyLaterText: "This address sent too many requests. Wait a moment, then reload the page.",
	tooLargeTitle:    "Request too large",
	tooLargeText: "The form is larger than the server accepts. " +
		"Reload the checkout page and press the button again.",

	paidTitle:        "Payment confirmed, return to Telegram",
	paidText:         "The shop accepted the payment. The bot sends your order in Telegram.",
	declinedTitle:    "Payment declined",
	declinedText:     "No money was taken. You can pay later from the same link.",
	pendingPaidTitle: "Payment made, confirmation on its way",
	pendingPaidText: "The shop has not confirmed the payment yet, so the notification is sent again " +
		"in the background. The bot sends your order in Telegram once the shop confirms it.",
	pendingDeclinedText: "No money was taken. The shop has not received the notice yet, so it is sent " +
		"again in the background. You can pay later from the same link.",
	rejectedTitle: "The shop did not accept the notification: %s",
	rejectedPaidText: "The payment counts as made. The shop confirms it when it next asks " +
		"for the order's status. The server log has the reason.",
	rejectedText: "The server log has the reason.",
	noResponse:   "no response",
	response:     "The shop responded with %s.",

	returnLink: "Return to Telegram",
	backLink:   "Back to the checkout",
}

var chinese = &texts{
	lang:        "zh",
	notice:      "本地测试收银台：支付为模拟，不会产生真实扣款。",
	checkout:    "收银台",
	product:     "商品",
	description: "说明",
	amount:      "金额",
	order:       "订单号",
	pay:         "支付",
	decline:     "拒绝",
	retryNote:   "上一次支付已被拒绝，您现在可以重新支付。",

	notFoundTitle:   "未找到支付页面",
	notFoundText:    "该支付链接不存在、已过期或已完成支付。请打开机器人在 Telegram 中发送给您的最新链接。",
	forbiddenTitle:  "请求被拒绝",
	forbiddenText:   "表单的安全令牌缺失或不匹配。请重新加载支付页面，然后再次点击按钮。",
	badRequestTitle: "无效请求",
	badRequestText:  "无法读取表单。请重新加载支付页面后重试。",
	doneTitle:       "已完成",
	doneText:        "该订单已支付。请返回 Telegram 查看您的订单。",
	busyTitle:       "请稍候",
	busyText:        "该订单正在处理中，请稍后刷新页面。",
	errorTitle:      "支付处理失败",
	errorText:       "无法生成支付通知。原因请查看服务器日志。",

	tooManyTitle:     "请求过于频繁",
	tooManyText:      "该地址的请求过多。请等待 %d 秒后刷新页面。",
	tooManyLaterText: "该地址的请求过多。请稍候片刻后刷新页面。",
	tooLargeTitle:    "请求过大",
	tooLargeText:     "表单超出了服务器允许的大小。请重新加载支付页面，然后再次点击按钮。",

	paidTitle:           "支付成功，请返回 Telegram",
	paidText:            "商店已确认收款，机器人会在 Telegram 中发送您的订单。",
	declinedTitle:       "支付已拒绝",
	declinedText:        "未扣款。您可以稍后通过同一链接重新支付。",
	pendingPaidTitle:    "支付已完成，确认通知发送中",
	pendingPaidText:     "商店尚未确认收款，系统正在后台重新发送支付通知。商店确认后，机器人会在 Telegram 中发送您的订单。",
	pendingDeclinedText: "未扣款。商店尚未收到通知，系统正在后台重新发送。您可以稍后通过同一链接重新支付。",
	rejectedTitle:       "商店未接受支付通知：%s",
	rejectedPaidText:    "该付款已记为成功。商店下次查询订单状态时会确认付款。原因请查看服务器日志。",
	rejectedText:        "原因请查看服务器日志。",
	noResponse:          "无响应",
	response:            "商店返回 %s。",

	returnLink: "返回 Telegram",
	backLink:   "返回支付页面",
}

// pageTexts picks the page language: Chinese when the checkout asked for
// it, otherwise the supported language the browser's Accept-Language header
// ranks highest, otherwise English. The checkout's language comes first
// because the bot sends "zh" only for buyers whose Telegram is in Chinese
// and "en" for everyone else, so only "zh" is a choice. checkoutLanguage is
// "" when there is no checkout.
func pageTexts(acceptLanguage, checkoutLanguage string) *texts {
	if isChinese(checkoutLanguage) {
		return chinese
	}
	if t := fromAcceptLanguage(acceptLanguage); t != nil {
		return t
	}
	return english
}

// fromAcceptLanguage returns the texts of the supported language with the
// highest quality in an Accept-Language header, the first listed on a tie,
// or nil when the header names none.
func fromAcceptLanguage(header string) *texts {
	type ranked struct {
		texts   *texts
		quality float64
	}
	var candidates []ranked
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		quality := 1.0
		if value, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			q, err := strconv.ParseFloat(value, 64)
			if err != nil {
				continue
			}
			quality = q
		}
		if quality <= 0 {
			continue
		}
		switch {
		case isChinese(tag):
			candidates = append(candidates, ranked{chinese, quality})
		case isEnglish(tag):
			candidates = append(candidates, ranked{english, quality})
		}
	}
	if len(candidates) == 0 {
		return nil
	}
	sort.SliceStable(candidates, func(i, j int) bool { return candidates[i].quality > candidates[j].quality })
	return candidates[0].texts
}

func isChinese(tag string) bool {
	return primarySubtag(tag) == "zh"
}

func isEnglish(tag string) bool {
	return primarySubtag(tag) == "en"
}

// primarySubtag returns the language of a tag such as "zh-CN", lowercased.
func primarySubtag(tag string) string {
	primary, _, _ := strings.Cut(strings.TrimSpace(tag), "-")
	return strings.ToLower(primary)
}
