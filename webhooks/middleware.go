package webhooks

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// maxRequestIDLength bounds a client-supplied X-Request-Id.
const maxRequestIDLength = 64

// dropInvalidRequestID removes an incoming X-Request-Id that is too long or
// contains characters outside [A-Za-z0-9._:-], so the request ID middleware
// generates a fresh one and logs never carry arbitrary client text.
func dropInvalidRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		header := c.Request().Header
		if id := header.Get(echo.HeaderXRequestID); id != "" && !isValidRequestID(id) {
			header.Del(echo.HeaderXRequestID)
		}
		return next(c)
	}
}

func isValidRequestID(id string) bool {
	if len(id) > maxRequestIDLength {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '.', r == '_', r == ':', r == '-':
		default:
			return false
		}
	}
	return true
}

// requestID returns the ID that the request ID middleware set on the
// response.
func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

// requestLogger returns the server logger with the request's request_id.
func (s *Server) requestLogger(c echo.Context) *slog.Logger {
	return s.logger.With("request_id", requestID(c))
}

// accessLog logs one line per request after the error handler has set the
// status. Health checks and PingPong notifications log at Debug: the first
// are frequent, the second get their own line from handlePingPong.
// Rate-limited requests log at Debug too, because limitRate already logs a
// counted warning per client and minute.
func (s *Server) accessLog() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		HandleError:  true,
		LogLatency:   true,
		LogMethod:    true,
		LogURIPath:   true,
		LogStatus:    true,
		LogRemoteIP:  true,
		LogRequestID: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.URIPath == HealthPath || v.URIPath == PingPongPath ||
				v.Status == http.StatusTooManyRequests {
				level = slog.LevelDebug
			}

			s.logger.LogAttrs(c.Request().Context(), level, "HTTP request",
				slog.String("method", v.Method),
				slog.String("path", loggedPath(v.URIPath)),
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency),
				slog.String("remote_ip", v.RemoteIP),
				slog.String("request_id", v.RequestID))
			return nil
		},
	})
}

// recoverPanic turns a panic in a handler into a 500 response and one Error
// line with the stack, so one bad request never stops the server.
// http.ErrAbortHandler is passed on because net/http uses it to abort a
// response on purpose.
func (s *Server) recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			recovered := recover()
			if recovered == nil {
				return
			}
			if abort, ok := recovered.(error); ok && errors.Is(abort, http.ErrAbortHandler) {
				panic(recovered)
			}

			s.requestLogger(c).Error("Panic while handling request",
				"method", c.Request().Method,
				"path", loggedPath(c.Request().URL.Path),
				"panic", fmt.Sprint(recovered),
				"stack", string(debug.Stack()))
			err = internalError()
		}()

		return next(c)
	}
}
