package store

import "time"

// User is a Telegram user who has talked to the bot. The primary key is the
// Telegram user id.
type User struct {
	ID           int64 `gorm:"primaryKey;autoIncrement:false"`
	ChatID       int64 `gorm:"not null;index"`
	Username     string
	FirstName    string
	LanguageCode string
	// Unreachable is set when Telegram answers 403 (bot blocked, user
	// deactivated); it is cleared when the user writes to the bot again.
	Unreachable bool `gorm:"not null;default:false"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Order is one purchase attempt. MerchantTransactionID is the order id shown
// to the buyer and sent to PingPong as merchantTransactionId.
type Order struct {
	ID                    uint   `gorm:"primaryKey"`
	MerchantTransactionID string `gorm:"size:64;not null;uniqueIndex"`
	UserID                int64  `gorm:"not null;index"`
	ChatID                int64  `gorm:"not null"`
	SKU                   string `gorm:"not null"`
	ProductName           string `gorm:"not null"`
	// AmountMinor is the price in the currency's minor units (cents for USD,
	// yen for JPY, fils for KWD).
	AmountMinor int64       `gorm:"not null"`
	Currency    string      `gorm:"size:3;not null"`
	Status      OrderStatus `gorm:"size:32;not null;index"`
	// TransactionID is PingPong's transactionId, known once prePay answers or
	// the first notification arrives.
	TransactionID string `gorm:"index"`
	// PaymentURL is indexed because the local checkout finds orders by it.
	PaymentURL string `gorm:"index"`
	// RefundedMinor is the sum of successful refunds in minor units.
	RefundedMinor int64 `gorm:"not null;default:0"`
	// FailureReason is the last reason PingPong or the checkout call gave for
	// a failure, shown to the buyer.
	FailureReason string
	LanguageCode  string
	// ExpiresAt is when the hosted checkout link stops working (48 hours
	// after creation).
	ExpiresAt  time.Time
	PaidAt     *time.Time
	RefundedAt *time.Time
	CreatedAt  time.Time `gorm:"index"`
	UpdatedAt  time.Time
}

// Notification outcomes stored with every received PingPong notification.
const (
	OutcomeApplied      = "applied"
	OutcomeDuplicate    = "duplicate"
	OutcomeRejected     = "rejected"
	OutcomeUnknownOrder = "unknown_order"
	OutcomeBadSignature = "bad_signature"
	OutcomeMalformed    = "malformed"
	OutcomeDeferred     = "deferred"
	OutcomeIgnored      = "ignored"
)

// Notification is one PingPong notification as received, whatever became of
// it. EventKey is set for the first verified copy of an event that reached
// a known order (applied, deferred, ignored or rejected). Its unique index
// makes sure one event is applied at most once. Later copies, unknown
// orders and unverified bodies are stored without a key.
type Notification struct {
	ID                    uint    `gorm:"primaryKey"`
	EventKey              *string `gorm:"uniqueIndex"`
	MerchantTransactionID string  `gorm:"index"`
	TransactionID         string
	NotifyType            string
	Status                string
	Amount                string
	Currency              string
	MerchantRefundID      string
	RefundID              string
	RequestID             string
	Verified              bool   `gorm:"not null"`
	Outcome               string `gorm:"size:32;not null;index"`
	Detail                string
	RawBody               string `gorm:"type:text"`
	RemoteAddr            string
	// Source is the origin of the event: "notification" for PingPong's
	// POST, "inquiry" for the reconciler.
	Source    string `gorm:"size:16;not null;default:notification"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Outbox message kinds.
const (
	MessagePaid     = "paid"
	MessageFailed   = "failed"
	MessageRefunded = "refunded"
	MessageExpired  = "expired"
	MessageAdmin    = "admin"
)

// Outbox message states.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxDead    = "dead"
	OutboxDropped = "dropped"
)

// OutboxMessage is a message to a Telegram chat, queued in the same
// transaction as the change that caused it and sent later by the bot.
// The text is rendered at send time from Kind, the order and Payload, in the
// recipient's language.
type OutboxMessage struct {
	ID                    uint   `gorm:"primaryKey"`
	ChatID                int64  `gorm:"not null;index"`
	MerchantTransactionID string `gorm:"index"`
	Kind                  string `gorm:"size:16;not null"`
	// Payload is a JSON object with the kind's details, see MessagePayload.
	Payload       string    `gorm:"type:text"`
	Status        string    `gorm:"size:16;not null;index"`
	Attempts      int       `gorm:"not null;default:0"`
	NextAttemptAt time.Time `gorm:"index"`
	LastError     string
	SentAt        *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// MessagePayload is the decoded Payload of an OutboxMessage.
type MessagePayload struct {
	// Reason is the failure reason for MessageFailed.
	Reason string `json:"reason,omitempty"`
	// AmountMinor and Currency are the refunded amount for MessageRefunded.
	AmountMinor int64  `json:"amount_minor,omitempty"`
	Currency    string `json:"currency,omitempty"`
	// Text is the message body for MessageAdmin, already plain text.
	Text string `json:"text,omitempty"`
}
