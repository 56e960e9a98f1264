package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// apiError is an error response already logged by the handler that returns it.
// It is written as {"error":Code,"message":Message}.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *apiError) Error() string {
	return e.Code + ": " + e.Message
}

func newAPIError(status int, code, message string) *apiError {
	return &apiError{Status: status, Code: code, Message: message}
}

// statusErrors gives the JSON body for errors raised by Echo itself, such as
// an unknown path or a wrong method.
var statusErrors = map[int]apiError{
	http.StatusBadRequest: {Code: "bad_request", Message: "the request is invalid"},
	http.StatusNotFound:   {Code: "not_found", Message: "no endpoint at this path"},
	http.StatusMethodNotAllowed: {
		Code:    "method_not_allowed",
		Message: "this method is not allowed on this path, see the Allow header",
	},
	http.StatusRequestEntityTooLarge: {
		Code:    "body_too_large",
		Message: "the request body is larger than the server accepts",
	},
	http.StatusUnsupportedMediaType: {
		Code:    "unsupported_media_type",
		Message: "the request content type is not supported",
	},
	http.StatusInternalServerError: {Code: "internal_error", Message: "internal server error"},
}

// handleError is the Echo HTTPErrorHandler. It writes every error as JSON
// and logs only errors that no handler has logged.
func (s *Server) handleError(err error, c echo.Context) {
	// Echo calls the handler a second time with the same error after the
	// access log has handled it, and a handler may fail after writing.
	if c.Response().Committed {
		return
	}

	response := s.errorResponse(err, c)
	if err := writeAPIError(c, response); err != nil {
		s.requestLogger(c).Debug("Writing error response failed", "error", err)
	}
}

func (s *Server) errorResponse(err error, c echo.Context) *apiError {
	var response *apiError
	if errors.As(err, &response) {
		return response
	}

	var httpErr *echo.HTTPError
	if errors.As(err, &httpErr) {
		if known, ok := statusErrors[httpErr.Code]; ok {
			known.Status = httpErr.Code
			return &known
		}

		code := strings.ReplaceAll(strings.ToLower(http.StatusText(httpErr.Code)), " ", "_")
		return newAPIError(httpErr.Code, code, strings.ToLower(http.StatusText(httpErr.Code)))
	}

	s.requestLogger(c).Error("Request failed",
		"method", c.Request().Method,
		"path", loggedPath(c.Request().URL.Path),
		"error", err)
	return internalError()
}

func internalError() *apiError {
	return newAPIError(http.StatusInternalServerError, "internal_error", "internal server error")
}

func writeAPIError(c echo.Context, response *apiError) error {
	if c.Request().Method == http.MethodHead {
		return c.NoContent(response.Status)
	}

	body, err := json.Marshal(response)
	if err != nil {
		return err
	}
	return c.JSONBlob(response.Status, body)
}

// serverErrorWriter sends the http.Server error log to slog. TLS handshake
// failures go to Debug because every scanner on the internet causes them.
type serverErrorWriter struct {
	logger *slog.Logger
}

func (w serverErrorWriter) Write(p []byte) (int, error) {
	message := strings.TrimSpace(string(p))

	level := slog.LevelWarn
	if strings.Contains(message, "TLS handshake error") {
		level = slog.LevelDebug
	}

	w.logger.Log(context.Background(), level, "HTTP server error", "error", message)
	return len(p), nil
}
