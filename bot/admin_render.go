package bot

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"telegram-bot-webhook/payments/money"
	"telegram-bot-webhook/store"
)

// Length limits of stored values in admin messages, in runes.
const (
	maxAdminIDRunes  = 80
	maxAdminURLRunes = 300
)

// emptyMark is shown in place of an empty value.
const emptyMark = "—"

// statusOrder lists the order states in the order /stats shows them.
var statusOrder = []store.OrderStatus{
	store.StatusCreating, store.StatusPending, store.StatusFailed, store.StatusPaid,
	store.StatusPartiallyRefunded, store.StatusRefunded, store.StatusExpired, store.StatusCheckoutFailed,
}

// flatText puts a stored value on one line and shortens it to limit runes.
// It returns emptyMark for an empty value. The result is not escaped.
func flatText(value string, limit int) string {
	flat := strings.Join(strings.Fields(value), " ")
	if flat == "" {
		return emptyMark
	}
	return truncate(flat, limit)
}

// adminField returns a stored value as escaped HTML for one line.
func adminField(value string, limit int) string {
	return escape(flatText(value, limit))
}

// adminCode returns an identifier as HTML code, or emptyMark.
func adminCode(value string) string {
	if strings.TrimSpace(value) == "" {
		return emptyMark
	}
	return "<code>" + adminField(value, maxAdminIDRunes) + "</code>"
}

// orEmptyMark returns value, or emptyMark when it is empty.
func orEmptyMark(value string) string {
	if value == "" {
		return emptyMark
	}
	return value
}

// adminTime formats a time in UTC to the second, or emptyMark for zero.
func adminTime(at time.Time) string {
	if at.IsZero() {
		return emptyMark
	}
	return at.UTC().Format("2006-01-02 15:04:05 UTC")
}

func adminTimePointer(at *time.Time) string {
	if at == nil {
		return emptyMark
	}
	return adminTime(*at)
}

// durationText writes a whole number of hours or minutes in words.
func durationText(d time.Duration) string {
	count, unit := int64(d/time.Minute), "minute"
	if d%time.Hour == 0 {
		count, unit = int64(d/time.Hour), "hour"
	}
	if count == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", count, unit)
}

// percent returns part of whole as a percentage with one decimal, rounded.
func percent(part, whole int64) string {
	if whole == 0 {
		return emptyMark
	}
	tenths := (part*1000 + whole/2) / whole
	return fmt.Sprintf("%d.%d%%", tenths/10, tenths%10)
}

// moreLine returns the line counting entries not shown, or "" if none.
func moreLine(total int64, shown int) string {
	if total <= int64(shown) {
		return ""
	}
	return fmt.Sprintf("\n…and %d more", total-int64(shown))
}

// truncateAdminMessage keeps admin HTML within the message length limit by
// dropping whole lines from the end. Every line of admin HTML closes the
// tags it opens, so no tag is split.
func truncateAdminMessage(text string) string {
	if htmlTextLength(text) <= maxMessageLength {
		return text
	}
	const marker = "\n…(message truncated)"
	budget := maxMessageLength - textLength(marker)
	var kept []string
	length := 0
	for _, line := range strings.Split(text, "\n") {
		lineLength := htmlTextLength(line) + 1
		if length+lineLength > budget {
			break
		}
		kept = append(kept, line)
		length += lineLength
	}
	return strings.Join(kept, "\n") + marker
}

// renderOrderDetail shows every field of an order, its newest
// notifications and its refunds.
func renderOrderDetail(order *store.Order, notifications []store.Notification, refunds []store.Refund) string {
	money := func(minor int64) string { return money.FormatMoney(minor, order.Currency) }
	var sb strings.Builder
	sb.WriteString("<b>Order</b> " + adminCode(order.MerchantTransactionID))
	lines := []string{
		"Status: " + adminField(string(order.Status), maxAdminIDRunes),
		fmt.Sprintf("User: %d · chat %d", order.UserID, order.ChatID),
		"Product: " + adminField(order.ProductName, maxNameRunes) + " · SKU " + adminCode(order.SKU),
		"Amount: " + escape(money(order.AmountMinor)),
		"Refunded: " + escape(money(order.RefundedMinor)),
		"Transaction ID: " + adminCode(order.TransactionID),
		"Payment URL: " + adminField(order.PaymentURL, maxAdminURLRunes),
		"Created: " + adminTime(order.CreatedAt),
		"Link expires: " + adminTime(order.ExpiresAt),
		"Paid: " + adminTimePointer(order.PaidAt),
		"Fully refunded: " + adminTimePointer(order.RefundedAt),
		"Failure reason: " + adminField(order.FailureReason, maxReasonRunes),
	}
	sb.WriteString("\n" + strings.Join(lines, "\n"))

	fmt.Fprintf(&sb, "\n\n<b>Notifications</b>: %d", len(notifications))
	shown := notifications[max(0, len(notifications)-adminListLimit):]
	if len(shown) < len(notifications) {
		fmt.Fprintf(&sb, "\n…%d earlier ones not shown", len(notifications)-len(shown))
	}
	for _, n := range shown {
		sb.WriteString("\n" + notificationLine(n))
	}

	fmt.Fprintf(&sb, "\n\n<b>Refunds</b>: %d", len(refunds))
	for _, refund := range refunds[:min(len(refunds), adminListLimit)] {
		sb.WriteString("\n" + refundLine(refund))
	}
	sb.WriteString(moreLine(int64(len(refunds)), adminListLimit))
	return truncateAdminMessage(sb.String())
}

// notificationLine describes a notification of an order in two lines.
func notificationLine(n store.Notification) string {
	event := flatText(n.NotifyType, maxAdminIDRunes) + "/" + flatText(n.Status, maxAdminIDRunes)
	line := fmt.Sprintf("• %s · %s", adminTime(n.CreatedAt), escape(event))
	if n.Amount != "" {
		line += " · " + adminField(n.Amount+" "+n.Currency, maxAdminIDRunes)
	}
	line += " · " + adminField(n.Outcome, maxAdminIDRunes) + " · " + adminField(n.Source, maxAdminIDRunes)
	if n.Detail != "" {
		line += "\n   " + adminField(n.Detail, maxReasonRunes)
	}
	return line
}

// refundLine describes a refund of an order in one or two lines.
func refundLine(refund store.Refund) string {
	line := fmt.Sprintf("• %s · refund ID %s · %s · %s · requested %s",
		adminCode(refund.MerchantRefundID),
		adminCode(refund.RefundID),
		escape(money.FormatMoney(refund.AmountMinor, refund.Currency)),
		adminField(refund.Status, maxAdminIDRunes),
		adminTime(time.Unix(refund.CreatedAt, 0)),
	)
	if refund.RequestedBy != 0 {
		line += fmt.Sprintf(" by %d", refund.RequestedBy)
	}
	if refund.LastError != "" {
		line += "\n   error: " + adminField(refund.LastError, maxReasonRunes)
	}
	return line
}

// renderRefundSummary describes the refund an admin is asked to confirm.
func renderRefundSummary(plan *refundPlan, amount int64) string {
	order := plan.order
	text := formatHTML(adminEN.RefundSummary,
		order.MerchantTransactionID,
		flatText(order.ProductName, maxNameRunes),
		order.UserID,
		order.ChatID,
		plan.money(order.AmountMinor),
		plan.money(order.RefundedMinor),
		plan.money(amount),
		plan.money(plan.left()-amount),
	)
	if plan.waitingCount > 0 {
		text += "\n\n" + formatHTML(adminEN.RefundWaitingNote, plan.waitingCount, plan.money(plan.waitingMinor))
	}
	return truncateAdminMessage(text)
}

// renderStats shows the order counts and revenue of each period.
func renderStats(periods []statsPeriod) string {
	var sb strings.Builder
	sb.WriteString("<b>Shop statistics</b>\n" +
		"Periods count orders by creation time in UTC. Paid includes refunded orders; " +
		"revenue is net of refunds.")
	for _, p := range periods {
		sb.WriteString("\n\n" + renderStatsPeriod(p))
	}
	return truncateAdminMessage(sb.String())
}

func renderStatsPeriod(p statsPeriod) string {
	header := "<b>" + escape(p.name) + "</b>"
	if !p.since.IsZero() {
		header += " · since " + adminTime(p.since)
	}

	var created, paid int64
	var statuses []string
	known := make(map[store.OrderStatus]bool)
	for _, status := range statusOrder {
		known[status] = true
		count := p.summary.Statuses[status]
		created += count
		if status.IsPaid() {
			paid += count
		}
		if count > 0 {
			statuses = append(statuses, fmt.Sprintf("%s %d", status, count))
		}
	}
	for _, status := range slices.Sorted(maps.Keys(p.summary.Statuses)) {
		if !known[status] {
			created += p.summary.Statuses[status]
			statuses = append(statuses, fmt.Sprintf("%s %d", adminField(string(status), maxAdminIDRunes), p.summary.Statuses[status]))
		}
	}

	var revenue []string
	for _, currency := range slices.Sorted(maps.Keys(p.summary.NetPaidMinor)) {
		revenue = append(revenue, escape(money.FormatMoney(p.summary.NetPaidMinor[currency], currency)))
	}

	lines := []string{
		header,
		fmt.Sprintf("Orders created: %d · paid: %d (%s of created)", created, paid, percent(paid, created)),
		"Revenue: " + joinOrNone(revenue),
		"By status: " + joinOrNone(statuses),
	}
	return strings.Join(lines, "\n")
}

func joinOrNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, " · ")
}

// renderDeadLetters shows what needs a person's attention.
func renderDeadLetters(r *deadLetterReport) string {
	var sb strings.Builder
	sb.WriteString("<b>Needs attention</b> · " + adminTime(r.now))

	fmt.Fprintf(&sb, "\n\n<b>Dead outbox messages</b>: %d", r.deadCount)
	for _, msg := range r.deadMessages {
		fmt.Fprintf(&sb, "\n• #%d · %s · order %s · chat %d · attempts %d · %s\n   error: %s",
			msg.ID, adminField(msg.Kind, maxAdminIDRunes), adminCode(msg.MerchantTransactionID),
			msg.ChatID, msg.Attempts, adminTime(msg.UpdatedAt), adminField(msg.LastError, maxReasonRunes))
	}
	sb.WriteString(moreLine(r.deadCount, len(r.deadMessages)))

	fmt.Fprintf(&sb, "\n\n<b>Rejected notifications</b>: %d", r.rejectedCount)
	for _, n := range r.rejected {
		event := flatText(n.NotifyType, maxAdminIDRunes) + "/" + flatText(n.Status, maxAdminIDRunes)
		fmt.Fprintf(&sb, "\n• #%d · order %s · transaction %s · %s · %s\n   %s",
			n.ID, adminCode(n.MerchantTransactionID), adminCode(n.TransactionID), escape(event),
			adminTime(n.CreatedAt), adminField(n.Detail, maxReasonRunes))
	}
	sb.WriteString(moreLine(r.rejectedCount, len(r.rejected)))

	fmt.Fprintf(&sb, "\n\n<b>Notifications in the last %s</b>\nBad signature: %d\nUnknown order: %d",
		durationText(recentProblemWindow), r.badSignatures, r.unknownOrders)

	fmt.Fprintf(&sb, "\n\n<b>Orders in creating for over %s</b>: %d", durationText(stuckCreatingAge), r.stuckCount)
	for _, o := range r.stuckOrders {
		fmt.Fprintf(&sb, "\n• %s · user %d · %s · %s · created %s",
			adminCode(o.MerchantTransactionID), o.UserID, adminField(o.ProductName, maxNameRunes),
			escape(money.FormatMoney(o.AmountMinor, o.Currency)), adminTime(o.CreatedAt))
	}
	sb.WriteString(moreLine(r.stuckCount, len(r.stuckOrders)))

	fmt.Fprintf(&sb, "\n\n<b>Refunds waiting over %s for PingPong's notification</b>: %d",
		durationText(staleRefundAge), r.staleCount)
	for _, refund := range r.staleRefunds {
		fmt.Fprintf(&sb, "\n• %s · order %s · %s · requested %s by %d",
			adminCode(refund.MerchantRefundID), adminCode(refund.MerchantTransactionID),
			escape(money.FormatMoney(refund.AmountMinor, refund.Currency)),
			adminTime(time.Unix(refund.CreatedAt, 0)), refund.RequestedBy)
	}
	sb.WriteString(moreLine(r.staleCount, len(r.staleRefunds)))
	return truncateAdminMessage(sb.String())
}
