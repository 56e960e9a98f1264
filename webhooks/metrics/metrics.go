// Package metrics holds the Prometheus collectors of the whole process and
// serves them. Other packages record through small interfaces of their own,
// which *Metrics implements, so they do not import Prometheus.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "shopbot"

// OutboxStats reports the outbox backlog at scrape time.
type OutboxStats interface {
	// OutboxBacklog returns the number of pending messages and the time the
	// oldest of them was queued (zero when none is pending).
	OutboxBacklog(ctx context.Context) (pending int64, oldest time.Time, err error)
}

// Metrics is the process's set of collectors.
type Metrics struct {
	registry *prometheus.Registry

	notifications     *prometheus.CounterVec
	signatureFailures prometheus.Counter
	orders            *prometheus.CounterVec
	pingpongLatency   *prometheus.HistogramVec
	telegramLatency   *prometheus.HistogramVec
	telegramErrors    *prometheus.CounterVec
	updates           *prometheus.CounterVec
	outboxResults     *prometheus.CounterVec
	reconcileFailures prometheus.Counter

	created atomic.Int64
	paid    atomic.Int64
}

// New registers every collector on a new registry. outbox may be nil.
func New(outbox OutboxStats) *Metrics {
	m := &Metrics{registry: prometheus.NewRegistry()}
	m.notifications = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "notifications_received_total",
		Help: "PingPong notifications received, by notifyType and outcome.",
	}, []string{"notify_type", "outcome"})
	m.signatureFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "notification_signature_failures_total",
		Help: "PingPong notifications whose signature did not verify.",
	})
	m.orders = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "orders_total",
		Help: "Orders by event: created, paid, failed, refunded, expired, checkout_failed.",
	}, []string{"event"})
	m.pingpongLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "pingpong_request_duration_seconds",
		Help:    "PingPong API call latency, by call and outcome.",
		Buckets: prometheus.DefBuckets,
	}, []string{"call", "outcome"})
	m.telegramLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "telegram_request_duration_seconds",
		Help:    "Telegram Bot API call latency, by method and outcome.",
		Buckets: prometheus.DefBuckets,
	}, []string{"method", "outcome"})
	m.telegramErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "telegram_errors_total",
		Help: "Telegram Bot API errors, by method and error code (0 for network errors).",
	}, []string{"method", "code"})
	m.updates = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "telegram_updates_total",
		Help: "Telegram updates handled, by type.",
	}, []string{"type"})
	m.outboxResults = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "outbox_messages_total",
		Help: "Outbox send results: sent, retried, dead, dropped.",
	}, []string{"result"})
	m.reconcileFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "reconciler_inquiry_failures_total",
		Help: "Transaction inquiries the reconciler could not complete.",
	})
	successRate := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Name: "order_success_ratio",
		Help: "Paid orders divided by created orders since the process started.",
	}, m.successRate)

	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.notifications, m.signatureFailures, m.orders, m.pingpongLatency,
		m.telegramLatency, m.telegramErrors, m.updates, m.outboxResults,
		m.reconcileFailures, successRate,
	)
	if outbox != nil {
		m.registry.MustRegister(newOutboxCollector(outbox))
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Registry returns the registry, for tests.
func (m *Metrics) Registry() *prometheus.Registry {
	return m.registry
}

// NotificationReceived counts one notification by its type and outcome.
func (m *Metrics) NotificationReceived(notifyType, outcome string) {
	if notifyType == "" {
		notifyType = "unknown"
	}
	m.notifications.WithLabelValues(notifyType, outcome).Inc()
	if outcome == "bad_signature" {
		m.signatureFailures.Inc()
	}
}

// OrderEvent counts an order event such as "created" or "paid".
func (m *Metrics) OrderEvent(event string) {
	m.orders.WithLabelValues(event).Inc()
	switch event {
	case "created":
		m.created.Add(1)
	case "paid":
		m.paid.Add(1)
	}
}

func (m *Metrics) successRate() float64 {
	created := m.created.Load()
	if created == 0 {
		return 0
	}
	return float64(m.paid.Load()) / float64(created)
}

// PingPongCall records one PingPong API call.
func (m *Metrics) PingPongCall(call, outcome string, d time.Duration) {
	m.pingpongLatency.WithLabelValues(call, outcome).Observe(d.Seconds())
}

// TelegramCall records one Bot API call; code is the Bot API error code, 0
// for success or a network error, which outcome distinguishes.
func (m *Metrics) TelegramCall(method, outcome string, code int, d time.Duration) {
	m.telegramLatency.WithLabelValues(method, outcome).Observe(d.Seconds())
	if outcome != "ok" {
		m.telegramErrors.WithLabelValues(method, strconv.Itoa(code)).Inc()
	}
}

// UpdateHandled counts one Telegram update by type, such as "message".
func (m *Metrics) UpdateHandled(kind string) {
	m.updates.WithLabelValues(kind).Inc()
}

// ReconcileFailure counts a failed inquiry of the reconciler.
func (m *Metrics) ReconcileFailure() {
	m.reconcileFailures.Inc()
}

// OutboxSent counts a delivered outbox message.
func (m *Metrics) OutboxSent(string) { m.outboxResults.WithLabelValues("sent").Inc() }

// OutboxRetried counts an outbox send that will be tried again.
func (m *Metrics) OutboxRetried(string) { m.outboxResults.WithLabelValues("retried").Inc() }

// OutboxDead counts an outbox message kept as dead.
func (m *Metrics) OutboxDead(string) { m.outboxResults.WithLabelValues("dead").Inc() }

// OutboxDropped counts outbox messages dropped for an unreachable chat.
func (m *Metrics) OutboxDropped(count int) {
	m.outboxResults.WithLabelValues("dropped").Add(float64(count))
}

// UpdateRejected counts a webhook update refused because the queue was
// full.
func (m *Metrics) UpdateRejected() { m.updates.WithLabelValues("rejected_queue_full").Inc() }
