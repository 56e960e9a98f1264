// Package payments talks to PingPong Checkout v4 and owns the order's money
// path.
//
// Flows: the bot asks Service.CreateOrder for a checkout; the order is
// stored as "creating" before prePay is called, so a notification can never
// arrive for an order we do not know, and moves to "pending" with the
// payment URL. The buyer pays on PingPong's page. PingPong then POSTs a
// signed notification, which Service.ProcessNotification verifies and
// applies. The Reconciler asks PingPong about orders that stayed unpaid and
// applies the answer through the same path.
//
// Races and repeats: PingPong retries a notification until it gets a 2xx,
// may send one several times and keeps no order between them, and the
// reconciler may learn a result before the notification does. Each event
// therefore has a key (see eventKey) with a unique index, and the order's
// state change, the stored notification and the buyer's messages commit in
// one transaction. The notification, verified by its signature, is the
// source of truth; the redirect back from the checkout page is never
// trusted.
package payments

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"telegram-bot-webhook/config"
	"telegram-bot-webhook/payments/money"
	"telegram-bot-webhook/store"
)

// CheckoutValidity is how long PingPong keeps a hosted checkout link usable.
const CheckoutValidity = 48 * time.Hour

// ErrCheckoutUnavailable is wrapped by CreateOrder errors that come from
// PingPong or the network; the buyer should try again later.
var ErrCheckoutUnavailable = errors.New("payments: checkout unavailable")

var errCheckoutClosed = errors.New("payments: order closed during checkout creation")

// Gateway is the part of the PingPong API the service uses. *Client
// implements it.
type Gateway interface {
	PrePay(ctx context.Context, req PrePayRequest) (*PrePayResult, error)
	Query(ctx context.Context, merchantTransactionID string) (*QueryResult, error)
	Refund(ctx context.Context, req RefundRequest) (*RefundResult, error)
}

var _ Gateway = (*Client)(nil)

// ServiceOptions configures a Service.
type ServiceOptions struct {
	Store   *store.Store
	Gateway Gateway
	// AccID, ClientID and Salt identify our PingPong store; notifications for
	// another store are rejected.
	AccID    string
	ClientID string
	Salt     string
	// PublicBaseURL is the origin PingPong reaches; notifications go to
	// PublicBaseURL + NotificationPath.
	PublicBaseURL string
	// ReturnURL is the page PingPong sends the buyer to after paying or
	// cancelling, such as the bot's t.me link.
	ReturnURL    string
	ShopperIP    string
	AdminChatIDs []int64
	Logger       *slog.Logger
	// Wake is called after a transaction queued outbox messages.
	Wake func()
	// Now returns the current time; tests set it.
	Now func() time.Time
	// Metrics counts notifications and order events; nil counts nothing.
	Metrics Metrics
}

// Metrics receives the service's counts. Events are "created", "paid",
// "failed", "partially_refunded", "refunded", "expired" and
// "checkout_failed".
type Metrics interface {
	NotificationReceived(notifyType, outcome string)
	OrderEvent(event string)
}

type noMetrics struct{}

func (noMetrics) NotificationReceived(string, string) {}
func (noMetrics) OrderEvent(string)                   {}

// NotificationPath is the route PingPong posts notifications to.
const NotificationPath = "/webhook/pingpong"

// Service creates orders and applies payment events to them.
type Service struct {
	opts ServiceOptions
	log  *slog.Logger
	// invalidRecords bounds how many unverified bodies are stored.
	invalidRecords *rate.Limiter
	// signatureAlerts bounds admin alerts about failed signature checks.
	signatureAlerts *rate.Limiter
}

// NewService returns a Service; Store, Gateway and Salt are required.
func NewService(opts ServiceOptions) (*Service, error) {
	if opts.Store == nil || opts.Gateway == nil {
		return nil, errors.New("payments: new service: store and gateway are required")
	}
	if opts.Salt == "" {
		return nil, errors.New("payments: new service: the PingPong salt is missing")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Wake == nil {
		opts.Wake = func() {}
	}
	if opts.Metrics == nil {
		opts.Metrics = noMetrics{}
	}
	return &Service{
		opts:            opts,
		log:             opts.Logger,
		invalidRecords:  rate.NewLimiter(1, 60),
		signatureAlerts: rate.NewLimiter(rate.Every(time.Hour), 1),
	}, nil
}

// NotificationURL returns the URL PingPong posts notifications to.
func (s *Service) NotificationURL() string {
	return strings.TrimRight(s.opts.PublicBaseURL, "/") + NotificationPath
}

// CreateOrder stores a new order for the user and product, creates its
// PingPong hosted checkout, and returns it as pending with the payment URL.
// When PingPong fails, the order is moved to checkout_failed, so it never
// looks payable, and the error wraps ErrCheckoutUnavailable.
func (s *Service) CreateOrder(ctx context.Context, user *store.User, product config.Product) (*store.Order, error) {
	now := s.opts.Now().UTC()
	order := &store.Order{
		MerchantTransactionID: newOrderID(now),
		UserID:                user.ID,
		ChatID:                user.ChatID,
		SKU:                   product.SKU,
		ProductName:           product.Name,
		AmountMinor:           product.AmountMinor,
		Currency:              product.Currency,
		Status:                store.StatusCreating,
		LanguageCode:          user.LanguageCode,
		ExpiresAt:             now.Add(CheckoutValidity),
	}
	if err := s.opts.Store.CreateOrder(ctx, order); err != nil {
		return nil, fmt.Errorf("payments: create order for user %d: %w", user.ID, err)
	}
	s.opts.Metrics.OrderEvent("created")

	result, err := s.opts.Gateway.PrePay(ctx, PrePayRequest{
		MerchantTransactionID: order.MerchantTransactionID,
		AmountMinor:           order.AmountMinor,
		Currency:              order.Currency,
		ShopperIP:             s.opts.ShopperIP,
		NotificationURL:       s.NotificationURL(),
		PayResultURL:          s.opts.ReturnURL,
		PayCancelURL:          s.opts.ReturnURL,
		Language:              checkoutLanguage(user.LanguageCode),
		Remark:                product.SKU,
		TimeExpire:            order.ExpiresAt,
		GoodsName:             product.Name,
		GoodsDescription:      product.Description,
	})
	if err != nil {
		s.failCheckout(ctx, order, err)
		return nil, fmt.Errorf("%w: order %s: %w", ErrCheckoutUnavailable, order.MerchantTransactionID, err)
	}

	err = s.opts.Store.Transaction(ctx, func(tx *store.Store) error {
		current, err := tx.GetOrder(ctx, order.MerchantTransactionID)
		if err != nil {
			return err
		}
		*order = *current
		switch current.Status {
		case store.StatusCreating:
			return tx.TransitionOrder(ctx, order, store.StatusPending, store.OrderChange{
				TransactionID: result.TransactionID,
				PaymentURL:    result.PaymentURL,
			})
		case store.StatusCheckoutFailed:
			// The reconciler gave up on the order while prePay was still
			// running; the buyer must not get a link for a closed order.
			return errCheckoutClosed
		default:
			// A notification got here first; keep its state.
			return nil
		}
	})
	if errors.Is(err, errCheckoutClosed) {
		return nil, fmt.Errorf("%w: order %s was closed while its checkout was created",
			ErrCheckoutUnavailable, order.MerchantTransactionID)
	}
	if err != nil {
		return nil, fmt.Errorf("payments: save checkout of order %s: %w", order.MerchantTransactionID, err)
	}
	if order.PaymentURL == "" {
		order.PaymentURL = result.PaymentURL
	}
	s.log.Info("Checkout created",
		"order_id", order.MerchantTransactionID,
		"transaction_id", result.TransactionID,
		"user_id", user.ID,
		"sku", product.SKU,
		"amount", money.FormatMoney(order.AmountMinor, order.Currency))
	return order, nil
}

// failCheckout moves an order whose prePay failed to checkout_failed. The
// caller logs and reports the prePay error itself.
func (s *Service) failCheckout(ctx context.Context, order *store.Order, cause error) {
	reason := cause.Error()
	var apiErr *APIError
	if errors.As(cause, &apiErr) {
		reason = apiErr.Code + " " + apiErr.Description
	}
	err := s.opts.Store.Transaction(ctx, func(tx *store.Store) error {
		current, err := tx.GetOrder(ctx, order.MerchantTransactionID)
		if err != nil {
			return err
		}
		if current.Status != store.StatusCreating {
			return nil
		}
		return tx.TransitionOrder(ctx, current, store.StatusCheckoutFailed, store.OrderChange{
			FailureReason: &reason,
		})
	})
	if err == nil {
		s.opts.Metrics.OrderEvent("checkout_failed")
	}
	if err != nil {
		// NOTE: the order stays "creating", which is not payable either; the
		// reconciler moves it on once PingPong can be asked.
		s.log.Error("Failed to mark checkout as failed",
			"order_id", order.MerchantTransactionID, "error", err)
	}
}

func checkoutLanguage(code string) string {
	if strings.HasPrefix(strings.ToLower(code), "zh") {
		return "zh"
	}
	return "en"
}

var orderIDEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newOrderID returns an order id such as "ORD20261204-K3J9X2QW7Z": the
// date for people and 50 random bits so ids cannot be guessed.
func newOrderID(now time.Time) string {
	return "ORD" + now.Format("20060102") + "-" + randomSuffix()
}

// randomSuffix returns 10 base32 characters carrying 50 random bits.
func randomSuffix() string {
	random := make([]byte, 7)
	_, _ = rand.Read(random)
	return orderIDEncoding.EncodeToString(random)[:10]
}

// SetReturnURL sets where PingPong's page sends the buyer afterwards. Call
// it before the service is used concurrently.
func (s *Service) SetReturnURL(url string) {
	s.opts.ReturnURL = url
}
