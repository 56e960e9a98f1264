package webhooks

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"telegram-bot-webhook/payments"
	"telegram-bot-webhook/store"
)

// pingPongAcknowledgement is the body PingPong needs with a 2xx status to
// count a notification as received. A body of FAIL would count as not
// received, whatever the status.
const pingPongAcknowledgement = "OK"

// NotificationOutcomeHeader is the response header of PingPongPath that
// carries what became of a notification the processor handled: one of the
// store.Outcome values, such as "applied" or "duplicate", or "error" with a
// 500 for a transient failure. Requests rejected before processing, such
// as a wrong content type or a rate-limited client, do not carry it.
// PingPong ignores it, and tools that post notifications read it.
const NotificationOutcomeHeader = "X-Notification-Outcome"

// outcomeError is the NotificationOutcomeHeader value of a transient
// failure.
const outcomeError = "error"

// handlePingPong passes the raw notification body to the processor and
// responds so that PingPong retries exactly the notifications that were not
// handled: 500 for a transient failure, 401 and 400 for a request that can
// never succeed, 200 for everything else. It logs one line per request.
func (s *Server) handlePingPong(c echo.Context) error {
	start := time.Now()
	req := c.Request()
	remoteAddr := c.RealIP()
	logger := s.requestLogger(c).With("remote_addr", remoteAddr)

	contentType := req.Header.Get(echo.HeaderContentType)
	if !isJSONContentType(contentType) {
		logger.Warn("PingPong notification rejected",
			"reason", "unsupported content type",
			"content_type", truncateForLog(contentType),
			"duration", time.Since(start))
		return newAPIError(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"the content type must be application/json")
	}

	body, err := s.readBody(c)
	if err != nil {
		logger.Warn("PingPong notification rejected",
			"reason", "unreadable body",
			"content_length", req.ContentLength,
			"duration", time.Since(start),
			"error", err)
		return s.bodyError(err)
	}

	result, err := s.notifications.ProcessNotification(req.Context(), body, remoteAddr)
	attrs := notificationAttrs(result, time.Since(start))
	if err != nil {
		logger.LogAttrs(req.Context(), slog.LevelError, "PingPong notification failed",
			append(attrs, slog.Any("error", err))...)
		c.Response().Header().Set(NotificationOutcomeHeader, outcomeError)
		return newAPIError(http.StatusInternalServerError, "processing_failed",
			"the notification could not be processed now, retry later")
	}

	logger.LogAttrs(req.Context(), notificationLevel(result.Outcome),
		"PingPong notification processed", attrs...)

	if result.Outcome != "" {
		c.Response().Header().Set(NotificationOutcomeHeader, result.Outcome)
	}
	switch result.Outcome {
	case store.OutcomeBadSignature:
		return newAPIError(http.StatusUnauthorized, "invalid_signature",
			"signature verification failed")
	case store.OutcomeMalformed:
		return newAPIError(http.StatusBadRequest, "malformed_notification",
			"the body is not a valid PingPong notification")
	default:
		return c.String(http.StatusOK, pingPongAcknowledgement)
	}
}

// notificationAttrs returns the fields of the per-notification log line.
// The processor fills what it could read, so fields may be empty.
func notificationAttrs(result payments.Result, duration time.Duration) []slog.Attr {
	attrs := []slog.Attr{
		slog.String("order_id", result.OrderID),
		slog.String("transaction_id", result.TransactionID),
		slog.String("notify_type", result.NotifyType),
		slog.String("status", result.Status),
		slog.String("outcome", result.Outcome),
		slog.Duration("duration", duration),
	}
	if result.Detail != "" {
		attrs = append(attrs, slog.String("detail", result.Detail))
	}
	return attrs
}

// notificationLevel returns Warn for notifications that were rejected and
// Info for the rest.
func notificationLevel(outcome string) slog.Level {
	switch outcome {
	case store.OutcomeRejected, store.OutcomeBadSignature, store.OutcomeMalformed:
		return slog.LevelWarn
	default:
		return slog.LevelInfo
	}
}
