package bot

import (
	"context"
	"fmt"
	"html"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"telegram-bot-webhook/config"
	"telegram-bot-webhook/payments/money"
	"telegram-bot-webhook/store"
)

// Length limits. Telegram accepts 4096 characters of text after entity
// parsing, counted in UTF-16 code units.
const (
	maxMessageLength = 4096
	// catalogBudget leaves room for the "more products" line.
	catalogBudget = 3800
	// The product text limits are the ones config.Load enforces, so message
	// text shows every field of the configured catalog in full: truncate
	// counts runes, and a text has no more runes than UTF-16 code units.
	// The guards still cut products passed to New directly and order names
	// stored before a catalog change.
	maxNameRunes        = config.MaxProductNameLength
	maxDescriptionRunes = config.MaxProductDescriptionLength
	// maxDeliveryLength is in UTF-16 code units, for truncateLength.
	maxDeliveryLength  = config.MaxProductDeliveryLength
	maxButtonNameRunes = 40
	maxSKURunes        = 64
	maxReasonRunes     = 300
	// maxCatalogButtons stays below Telegram's 100 buttons per keyboard.
	maxCatalogButtons = 90
	// maxCatalogPages bounds how many messages one /products sends.
	maxCatalogPages = 5
)

// formatHTML fills an HTML format with arguments, escaping every string
// argument so that user and merchant text cannot form tags or entities.
func formatHTML(format string, args ...any) string {
	for i, arg := range args {
		if text, ok := arg.(string); ok {
			args[i] = escape(text)
		}
	}
	return fmt.Sprintf(format, args...)
}

// truncate shortens text to at most limit runes, ending with "…" when it
// cut something.
func truncate(text string, limit int) string {
	runes := []rune(text)
	if len(runes) <= limit {
		return text
	}
	return string(runes[:limit-1]) + "…"
}

// textLength returns the length of text in UTF-16 code units, the unit of
// Telegram's message length limit.
func textLength(text string) int {
	length := 0
	for _, r := range text {
		length += max(1, utf16.RuneLen(r))
	}
	return length
}

// truncateLength shortens text to at most limit UTF-16 code units.
func truncateLength(text string, limit int) string {
	if textLength(text) <= limit {
		return text
	}
	var sb strings.Builder
	length := 0
	for _, r := range text {
		size := max(1, utf16.RuneLen(r))
		if length+size > limit-1 {
			break
		}
		sb.WriteRune(r)
		length += size
	}
	return sb.String() + "…"
}

func (b *Bot) sendCatalog(ctx context.Context, c chat) {
	for _, page := range renderCatalog(c.texts, b.products) {
		b.reply(ctx, c.id, page.text, page.keyboard)
	}
}

// catalogPage is one message of the catalog with its Buy buttons.
type catalogPage struct {
	text     string
	keyboard *tgbotapi.InlineKeyboardMarkup
}

// renderCatalog lists the products with a Buy button each, in as many
// messages as they need, up to maxCatalogPages. Products beyond that are
// named by their codes in a closing line, for /buy.
func renderCatalog(t *texts, products []config.Product) []catalogPage {
	if len(products) == 0 {
		return []catalogPage{{text: t.CatalogEmpty}}
	}

	var pages []catalogPage
	rest := products
	for len(rest) > 0 && len(pages) < maxCatalogPages {
		page, shown := renderCatalogPage(t, rest, len(pages) == 0)
		pages = append(pages, page)
		rest = rest[shown:]
	}
	if len(rest) > 0 {
		last := &pages[len(pages)-1]
		last.text += "\n\n" + catalogRemainder(t, rest, catalogBudget-htmlTextLength(last.text))
	}
	return pages
}

// renderCatalogPage renders as many of the products as fit one message and
// returns the page and how many it shows, at least one.
func renderCatalogPage(t *texts, products []config.Product, first bool) (catalogPage, int) {
	var sb strings.Builder
	if first {
		sb.WriteString(t.CatalogTitle)
	}
	var rows [][]tgbotapi.InlineKeyboardButton
	for i, p := range products {
		price := money.FormatMoney(p.AmountMinor, p.Currency)
		block := formatHTML("<b>%s</b> — %s", truncate(p.Name, maxNameRunes), price)
		if p.Description != "" {
			block += "\n" + escape(truncate(p.Description, maxDescriptionRunes))
		}
		if sb.Len() > 0 {
			block = "\n\n" + block
		}
		full := htmlTextLength(sb.String())+htmlTextLength(block) > catalogBudget || len(rows) >= maxCatalogButtons
		if full && i > 0 {
			return catalogPage{text: sb.String(), keyboard: keyboardOf(rows)}, i
		}
		sb.WriteString(block)
		label := fmt.Sprintf(t.BuyButton, truncate(p.Name, maxButtonNameRunes), price)
		rows = append(rows, tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData(label, buyCallbackPrefix+p.SKU),
		))
	}
	return catalogPage{text: sb.String(), keyboard: keyboardOf(rows)}, len(products)
}

func keyboardOf(rows [][]tgbotapi.InlineKeyboardButton) *tgbotapi.InlineKeyboardMarkup {
	keyboard := tgbotapi.NewInlineKeyboardMarkup(rows...)
	return &keyboard
}

// catalogRemainder names the products that got no page by their codes,
// within budget UTF-16 code units.
func catalogRemainder(t *texts, products []config.Product, budget int) string {
	line := fmt.Sprintf(t.CatalogMore, len(products))
	for i, p := range products {
		code := escape(truncate(p.SKU, maxSKURunes))
		separator := " "
		if i > 0 {
			separator = ", "
		}
		if htmlTextLength(line+separator+code)+1 > budget {
			return line + " …"
		}
		line += separator + code
	}
	return line
}

func (b *Bot) sendOrders(ctx context.Context, c chat) {
	orders, err := b.store.ListUserOrders(ctx, c.user.ID, ordersShown)
	if err != nil {
		b.log.Error("Failed to list orders", "user_id", c.user.ID, "chat_id", c.id, "error", err)
		b.reply(ctx, c.id, c.texts.TryAgainLater, nil)
		return
	}
	text, keyboard := renderOrders(c.texts, orders)
	b.reply(ctx, c.id, text, keyboard)
}

// renderOrders lists orders with their status, and a pay button for each
// order that can still be paid.
func renderOrders(t *texts, orders []store.Order) (string, *tgbotapi.InlineKeyboardMarkup) {
	if len(orders) == 0 {
		return t.OrdersEmpty, nil
	}

	var sb strings.Builder
	sb.WriteString(t.OrdersTitle)
	var rows [][]tgbotapi.InlineKeyboardButton
	for i, o := range orders {
		line := formatHTML(t.OrderLine,
			truncate(o.ProductName, maxNameRunes),
			money.FormatMoney(o.AmountMinor, o.Currency),
			o.MerchantTransactionID,
			t.status(o.Status),
		)
		if o.RefundedMinor > 0 {
			line += "\n" + formatHTML(t.OrderRefunded, money.FormatMoney(o.RefundedMinor, o.Currency))
		}
		fmt.Fprintf(&sb, "\n\n%d. %s", i+1, line)

		if o.Status.IsPayable() && validPaymentURL(o.PaymentURL) {
			label := fmt.Sprintf(t.PayOrderButton, o.MerchantTransactionID)
			rows = append(rows, tgbotapi.NewInlineKeyboardRow(
				tgbotapi.NewInlineKeyboardButtonURL(label, o.PaymentURL),
			))
		}
	}
	text := truncateHTMLMessage(sb.String())
	if len(rows) == 0 {
		return text, nil
	}
	keyboard := tgbotapi.NewInlineKeyboardMarkup(rows...)
	return text, &keyboard
}

// truncateHTMLMessage keeps HTML built from bounded parts within the message
// length limit. It drops whole blocks separated by blank lines, so no tag or
// entity is split. The parts are sized so that this is rarely needed.
func truncateHTMLMessage(text string) string {
	if htmlTextLength(text) <= maxMessageLength {
		return text
	}
	blocks := strings.Split(text, "\n\n")
	kept := blocks[:0]
	length := 0
	for _, block := range blocks {
		blockLength := htmlTextLength(block) + 2
		if length+blockLength > maxMessageLength-2 {
			break
		}
		kept = append(kept, block)
		length += blockLength
	}
	if len(kept) == 0 {
		plain := html.UnescapeString(stripTags(text))
		return escape(truncateLength(plain, maxMessageLength))
	}
	return strings.Join(kept, "\n\n") + "\n…"
}

// htmlTextLength returns the length of the text Telegram shows for HTML
// this package generates: tags do not count and an entity counts as one
// character.
func htmlTextLength(text string) int {
	length := 0
	for i := 0; i < len(text); {
		switch text[i] {
		case '<':
			end := strings.IndexByte(text[i:], '>')
			if end < 0 {
				return length + textLength(text[i:])
			}
			i += end + 1
		case '&':
			end := strings.IndexByte(text[i:], ';')
			if end < 0 {
				return length + textLength(text[i:])
			}
			length++
			i += end + 1
		default:
			r, size := utf8.DecodeRuneInString(text[i:])
			length += max(1, utf16.RuneLen(r))
			i += size
		}
	}
	return length
}

// stripTags removes the tags of HTML this package generates.
func stripTags(text string) string {
	var sb strings.Builder
	for {
		start := strings.IndexByte(text, '<')
		if start < 0 {
			sb.WriteString(text)
			return sb.String()
		}
		sb.WriteString(text[:start])
		end := strings.IndexByte(text[start:], '>')
		if end < 0 {
			return sb.String()
		}
		text = text[start+end+1:]
	}
}
