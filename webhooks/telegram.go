package webhooks

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/labstack/echo/v4"
)

// telegramSecretHeader carries the secret_token given to setWebhook on every
// webhook request.
const telegramSecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// telegramRetryAfter is the Retry-After value, in seconds, sent when the
// update queue is full.
const telegramRetryAfter = 5

// handleTelegram checks the webhook secret, decodes the update and queues it.
// Neither the received nor the expected secret is ever logged.
func (s *Server) handleTelegram(c echo.Context) error {
	logger := s.requestLogger(c).With("remote_addr", c.RealIP())

	received, present := c.Request().Header[telegramSecretHeader]
	if !present || !s.isTelegramSecret(received[0]) {
		reason := "wrong secret token"
		if !present {
			reason = "missing secret token"
		}
		logger.Warn("Telegram webhook request rejected", "reason", reason)
		return newAPIError(http.StatusUnauthorized, "invalid_secret_token",
			"the "+telegramSecretHeader+" header is missing or wrong")
	}

	// Telegram posts updates as application/json.
	contentType := c.Request().Header.Get(echo.HeaderContentType)
	if !isJSONContentType(contentType) {
		logger.Warn("Telegram webhook request rejected",
			"reason", "unsupported content type",
			"content_type", truncateForLog(contentType))
		return newAPIError(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"the content type must be application/json")
	}

	body, err := s.readBody(c)
	if err != nil {
		logger.Warn("Telegram webhook request rejected", "reason", "unreadable body", "error", err)
		return s.bodyError(err)
	}

	var update tgbotapi.Update
	if err := json.Unmarshal(body, &update); err != nil {
		logger.Warn("Telegram webhook request rejected", "reason", "invalid JSON", "error", err)
		return newAPIError(http.StatusBadRequest, "invalid_update",
			"the body is not a JSON Telegram update")
	}

	if !s.telegram.HandleWebhookUpdate(update) {
		logger.Warn("Telegram update queue full, asking for redelivery", "update_id", update.UpdateID)
		c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(telegramRetryAfter))
		return newAPIError(http.StatusServiceUnavailable, "queue_full",
			"the update queue is full, retry later")
	}

	logger.Debug("Telegram update queued", "update_id", update.UpdateID)
	return c.NoContent(http.StatusOK)
}

// isTelegramSecret compares in constant time. Hashing both sides first
// keeps the comparison time independent of the secret's length too.
func (s *Server) isTelegramSecret(received string) bool {
	want := sha256.Sum256([]byte(s.telegramSecret))
	got := sha256.Sum256([]byte(received))
	return subtle.ConstantTimeCompare(want[:], got[:]) == 1
}
