package webhooks

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// errBodyTooLarge reports a request body over the server's body limit.
var errBodyTooLarge = errors.New("webhooks: request body exceeds the body limit")

// readBody reads the whole request body, up to the server's body limit. It
// returns errBodyTooLarge without reading when Content-Length is already
// over the limit.
func (s *Server) readBody(c echo.Context) ([]byte, error) {
	req := c.Request()
	if req.ContentLength > s.bodyLimit {
		return nil, errBodyTooLarge
	}

	reader := http.MaxBytesReader(c.Response().Writer, req.Body, s.bodyLimit)
	body, err := io.ReadAll(reader)

	var maxBytesErr *http.MaxBytesError
	if errors.As(err, &maxBytesErr) {
		return nil, errBodyTooLarge
	}
	if err != nil {
		return nil, fmt.Errorf("webhooks: read request body: %w", err)
	}
	return body, nil
}

// limitBody rejects with 413 a request whose Content-Length is over the body
// limit, and makes reading more than the limit fail for the handler.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.ContentLength > s.bodyLimit {
			return s.bodyError(errBodyTooLarge)
		}
		req.Body = http.MaxBytesReader(c.Response().Writer, req.Body, s.bodyLimit)
		return next(c)
	}
}

// bodyError returns the error response for an error from readBody.
func (s *Server) bodyError(err error) *apiError {
	if errors.Is(err, errBodyTooLarge) {
		return newAPIError(http.StatusRequestEntityTooLarge, "body_too_large",
			fmt.Sprintf("the request body is larger than %d bytes", s.bodyLimit))
	}
	return newAPIError(http.StatusBadRequest, "unreadable_body",
		"the request body could not be read")
}

// isJSONContentType reports whether a Content-Type header value is
// application/json, with or without parameters such as charset.
func isJSONContentType(value string) bool {
	mediaType, _, err := mime.ParseMediaType(value)
	return err == nil && mediaType == echo.MIMEApplicationJSON
}

// loggedPath returns the request path as logs show it. Below CheckoutPath
// comes a checkout token, which anyone could use to complete the checkout,
// so it is replaced.
func loggedPath(path string) string {
	if strings.HasPrefix(path, CheckoutPath+"/") {
		return CheckoutPath + "/[token]"
	}
	return path
}

// maxLoggedHeaderLength bounds client-supplied header values copied to logs.
const maxLoggedHeaderLength = 100

func truncateForLog(value string) string {
	if len(value) <= maxLoggedHeaderLength {
		return value
	}
	return value[:maxLoggedHeaderLength] + "..."
}
