package webhooks

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
)

// CheckoutErrorPages is implemented by an Options.Checkout handler that
// shows its own page for the requests the server rejects before they reach
// it: 429 when the client is over the rate limit and 413 when a form is over
// BodyLimit. Without it those responses are the server's JSON errors.
type CheckoutErrorPages interface {
	// ServeErrorPage writes the page of status to w. For 429 the response
	// header already carries Retry-After in seconds.
	ServeErrorPage(w http.ResponseWriter, r *http.Request, status int)
}

// showCheckoutErrors returns a middleware that lets pages write the 429 and
// 413 responses of the middleware after it. Other errors go on to the
// server's error handler.
func showCheckoutErrors(pages CheckoutErrorPages) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			var rejected *apiError
			if err == nil || c.Response().Committed || !errors.As(err, &rejected) {
				return err
			}
			switch rejected.Status {
			case http.StatusTooManyRequests, http.StatusRequestEntityTooLarge:
				pages.ServeErrorPage(c.Response(), c.Request(), rejected.Status)
				return nil
			default:
				return err
			}
		}
	}
}
